using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.Onboarding;

/// <summary>
/// Wizard step 6: the owner calls the business line from another phone and lets it ring out; the page polls
/// <c>/onboarding/verify/status</c> and turns green when that forwarded call reaches Recoverly.
/// </summary>
public sealed class VerifyModel(RecoverlyDb db, OwnerOnboarding onboarding, TimeProvider time, LineVerification lines) : OnboardingStepModel
{
    protected override bool OpenAfterOnboarding => true;

    public string RecoverlyNumber { get; private set; } = "";
    public DateTime? VerifiedAt { get; private set; }
    /// <summary>When this page was opened (Unix ms): only calls from then on count as the test call.</summary>
    public long Since { get; private set; }

    /// <summary>Set when the owner's phone system needs call-through and the line isn't verified yet: that comes before the test call.</summary>
    public Recoverly.Pages.Shared.LineVerificationView? LineToVerify { get; private set; }
    public string? LineError { get; private set; }
    public string? LineMessage { get; private set; }

    /// <param name="since">Set by the "check now" link (no JavaScript): keeps the original start of the test.</param>
    public async Task OnGetAsync(long? since, CancellationToken ct)
    {
        Since = ValidSince(since) is { } kept ? kept : time.GetUtcNow().ToUnixTimeMilliseconds();
        RecoverlyNumber = await db.Numbers.AsNoTracking().Where(n => n.BusinessId == BusinessId).OrderBy(n => n.Id)
            .Select(n => n.E164).FirstAsync(ct);
        VerifiedAt = since is null ? Business.ForwardingVerifiedAt : await onboarding.CheckForwardingAsync(BusinessId, FromUnixMs(Since), ct);
        await LoadLineAsync(ct);
    }

    private async Task LoadLineAsync(CancellationToken ct)
    {
        var fresh = await db.Businesses.AsNoTracking().FirstAsync(b => b.Id == BusinessId, ct);
        var needsCallThrough = ForwardingGuide.For(fresh.ForwardingCarrier, null)?.Method == ForwardingMethod.CallThrough;
        var state = lines.StateOf(fresh, time.GetUtcNow().UtcDateTime);
        LineToVerify = needsCallThrough && state != LineState.Verified
            ? new(fresh.BusinessPhone, state, lines.ProviderCanCall, fresh.LineVerifiedAt)
            : null;
    }

    /// <summary>"Call me with a code" from the test step (call-through phone systems).</summary>
    public async Task<IActionResult> OnPostCallMeAsync(CancellationToken ct)
    {
        if (await lines.CallWithCodeAsync(BusinessId, ct) is { } problem) return await LineProblemAsync(problem, ct);
        return Redirect("/onboarding/verify#line-verification");
    }

    public async Task<IActionResult> OnPostLineCodeAsync(string? code, CancellationToken ct)
    {
        if (await lines.EnterCodeAsync(BusinessId, code, ct) is { } problem) return await LineProblemAsync(problem, ct);
        return Redirect("/onboarding/verify");
    }

    private async Task<IActionResult> LineProblemAsync(string problem, CancellationToken ct)
    {
        await OnGetAsync(null, ct);
        LineError = problem;
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }

    /// <summary>GET /onboarding/verify/status?since=…: the signed-in owner's own business only.</summary>
    public async Task<IActionResult> OnGetStatusAsync(long? since, CancellationToken ct)
    {
        var from = ValidSince(since) is { } ms ? FromUnixMs(ms) : DateTime.MinValue;
        var at = await onboarding.CheckForwardingAsync(BusinessId, from, ct);
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(new { verified = at is not null, verifiedAt = at });
    }

    private static long? ValidSince(long? ms) => ms is >= 0 and < 253402300799999 ? ms : null;

    private static DateTime FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    /// <summary>"I'll test it later": onboarding ends without verification.</summary>
    public async Task<IActionResult> OnPostSkipAsync(CancellationToken ct)
    {
        await onboarding.FinishAsync(BusinessId, ct);
        return Redirect("/app");
    }
}
