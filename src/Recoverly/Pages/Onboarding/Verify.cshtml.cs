using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.Onboarding;

/// <summary>
/// Wizard step 6: the owner calls the business line from another phone and lets it ring out; the page polls
/// <c>/onboarding/verify/status</c> and turns green when that forwarded call reaches Recoverly.
/// </summary>
public sealed class VerifyModel(RecoverlyDb db, OwnerOnboarding onboarding, TimeProvider time) : OnboardingStepModel
{
    protected override bool OpenAfterOnboarding => true;

    public string RecoverlyNumber { get; private set; } = "";
    public DateTime? VerifiedAt { get; private set; }
    /// <summary>When this page was opened (Unix ms): only calls from then on count as the test call.</summary>
    public long Since { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Since = time.GetUtcNow().ToUnixTimeMilliseconds();
        RecoverlyNumber = await db.Numbers.AsNoTracking().Where(n => n.BusinessId == BusinessId).OrderBy(n => n.Id)
            .Select(n => n.E164).FirstAsync(ct);
        VerifiedAt = Business.ForwardingVerifiedAt;
    }

    /// <summary>GET /onboarding/verify/status?since=…: the signed-in owner's own business only.</summary>
    public async Task<IActionResult> OnGetStatusAsync(long? since, CancellationToken ct)
    {
        var from = since is >= 0 and < 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(since.Value).UtcDateTime : DateTime.MinValue;
        var at = await onboarding.CheckForwardingAsync(BusinessId, from, ct);
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(new { verified = at is not null, verifiedAt = at });
    }

    /// <summary>"I'll test it later": onboarding ends without verification.</summary>
    public async Task<IActionResult> OnPostSkipAsync(CancellationToken ct)
    {
        await onboarding.FinishAsync(BusinessId, ct);
        return Redirect("/app");
    }
}
