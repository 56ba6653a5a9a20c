using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.App;

/// <summary>The owner's billing page. With Billing:Provider=None it does not exist (404).</summary>
public sealed class BillingModel(BillingSettings billing, CurrentOwner owner, RecoverlyDb db, TimeProvider time,
    StripeCheckout stripe, FoundingProgram founding, ILogger<BillingModel> log) : PageModel
{
    public PlanStatus? Status { get; private set; }
    public int FoundingPlacesLeft { get; private set; }
    public string? Notice { get; private set; }
    public string? Error { get; private set; }

    [BindProperty(SupportsGet = true, Name = "checkout")] public string? CheckoutResult { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!billing.IsStripe) return NotFound();
        if (await LoadAsync(ct) is null) return Redirect("/onboarding");
        Notice = CheckoutResult switch
        {
            "done" => "Thanks! Your subscription starts as soon as Stripe confirms the payment (usually within a minute).",
            "cancelled" => "Checkout was cancelled; nothing was charged.",
            _ => null,
        };
        return Page();
    }

    public async Task<IActionResult> OnPostCheckoutAsync(CancellationToken ct)
    {
        if (!billing.IsStripe) return NotFound();
        if (await LoadAsync(ct) is not { } business) return Redirect("/onboarding");
        if (business.Plan is PlanState.Founding or PlanState.Active) return Redirect("/app/billing");
        return await ToStripeAsync(() => stripe.StartCheckoutAsync(business, owner.Email, ct));
    }

    public async Task<IActionResult> OnPostPortalAsync(CancellationToken ct)
    {
        if (!billing.IsStripe) return NotFound();
        if (await LoadAsync(ct) is not { } business) return Redirect("/onboarding");
        if (business.StripeCustomerId is null) return Redirect("/app/billing");
        return await ToStripeAsync(() => stripe.OpenPortalAsync(business, ct));
    }

    private async Task<IActionResult> ToStripeAsync(Func<Task<string>> create)
    {
        try
        {
            return Redirect(await create());
        }
        catch (Exception e) when (e is Stripe.StripeException or HttpRequestException)
        {
            log.LogError("Stripe refused the request: {Reason}", e.Message);
            Error = "Stripe couldn't be reached just now. Please try again in a minute.";
            return Page();
        }
    }

    private async Task<Business?> LoadAsync(CancellationToken ct)
    {
        if (owner.BusinessId is not { } id) return null;
        var business = await db.Businesses.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, ct);
        if (business is null) return null;
        Status = PlanStatus.For(business, time.GetUtcNow().UtcDateTime, billing.Enabled);
        FoundingPlacesLeft = await founding.PlacesLeftAsync(ct);
        return business;
    }
}
