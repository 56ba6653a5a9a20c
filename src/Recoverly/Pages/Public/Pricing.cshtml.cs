using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.Public;

public sealed class PricingModel(FoundingProgram founding, CurrentOwner owner, RecoverlyDb db) : PageModel
{
    public int PlacesLeft { get; private set; }
    public bool SignedIn { get; private set; }
    public bool HasBusiness { get; private set; }
    public bool IsFounding { get; private set; }
    public bool EmailVerified { get; private set; }
    public bool ForwardingVerified { get; private set; }
    public string? Notice { get; private set; }
    public bool NoticeOk { get; private set; }

    /// <summary>The claim's outcome, carried over the redirect (post/redirect/get).</summary>
    [BindProperty(SupportsGet = true, Name = "founding")] public string? Outcome { get; set; }
    [BindProperty(SupportsGet = true, Name = "slot")] public int? Slot { get; set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        PlacesLeft = await founding.PlacesLeftAsync(ct);
        SignedIn = User.Identity?.IsAuthenticated == true;
        if (owner.BusinessId is { } id)
        {
            HasBusiness = true;
            IsFounding = await db.Businesses.AnyAsync(b => b.Id == id && b.Plan == PlanState.Founding, ct);
            EmailVerified = await Accounts.IsEmailVerifiedAsync(db, id, ct);
            ForwardingVerified = await db.Businesses.AnyAsync(b => b.Id == id && b.ForwardingVerifiedAt != null, ct);
        }
        (Notice, NoticeOk) = Outcome switch
        {
            "granted" => ($"You're founding user #{Slot}. Recoverly is free for your business for life — no card, no bill. Thank you!", true),
            "already" => ($"Your business is already a founding user (#{Slot}).", true),
            "full" => ("Sorry — the Founding User Program is full: all 10 spots were claimed. Your 14-day free trial still stands, no card needed; after it, Recoverly is $29/month.", false),
            "verify" => ("Founding places go to businesses that are set up for real: confirm your email and verify call forwarding with a test call, then claim again.", false),
            "not-eligible" => ("Your business has a paid subscription. Cancel it from the billing page first, then claim your founding spot.", false),
            _ => (null, false),
        };
    }

    public async Task<IActionResult> OnPostClaimAsync(CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated != true) return Redirect("/login?ReturnUrl=%2Fpricing");
        if (owner.BusinessId is not { } id) return Redirect("/onboarding");
        var result = await founding.ClaimAsync(id, ct);
        var outcome = result.Outcome switch
        {
            FoundingOutcome.Granted => "granted",
            FoundingOutcome.AlreadyFounding => "already",
            FoundingOutcome.Full => "full",
            FoundingOutcome.NotVerified => "verify",
            _ => "not-eligible",
        };
        return Redirect(result.Slot is { } slot ? $"/pricing?founding={outcome}&slot={slot}" : $"/pricing?founding={outcome}");
    }
}
