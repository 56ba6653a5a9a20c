using Microsoft.AspNetCore.Mvc;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.App;

/// <summary>The owner's billing page. With Billing:Provider=None it does not exist (404).</summary>
public sealed class BillingModel(BillingSettings billing, CurrentOwner owner, TimeProvider time,
    StripeCheckout stripe, FoundingProgram founding, RecoverlyDb db, ILogger<BillingModel> log) : OwnerPageModel
{
    public PlanStatus Status { get; private set; } = null!;
    public int FoundingPlacesLeft { get; private set; }
    public string? Notice { get; private set; }
    public string? Error { get; private set; }
    /// <summary>How to undo forwarding on the owner's carrier, shown next to the cancel button.</summary>
    public ForwardingInstructions? Forwarding { get; private set; }

    [BindProperty(SupportsGet = true, Name = "checkout")] public string? CheckoutResult { get; set; }

    protected override IActionResult? BeforeHandler()
    {
        if (!billing.IsStripe) return NotFound();
        Status = PlanStatus.For(Business, time.GetUtcNow().UtcDateTime, billing.Enabled);
        return null;
    }

    public async Task OnGetAsync(CancellationToken ct)
    {
        FoundingPlacesLeft = await founding.PlacesLeftAsync(ct);
        Forwarding = await ForwardingUndo.ForAsync(db, Business, ct);
        Notice = CheckoutResult switch
        {
            "done" => "Thanks! Your subscription starts as soon as Stripe confirms the payment (usually within a minute).",
            "cancelled" => "Checkout was cancelled; nothing was charged.",
            _ => null,
        };
    }

    public async Task<IActionResult> OnPostCheckoutAsync(CancellationToken ct)
    {
        if (Business.Plan is PlanState.Founding or PlanState.Active) return Redirect("/app/billing");
        return await ToStripeAsync(() => stripe.StartCheckoutAsync(Business, owner.Email, ct), ct);
    }

    public async Task<IActionResult> OnPostPortalAsync(CancellationToken ct)
    {
        if (Business.StripeCustomerId is null) return Redirect("/app/billing");
        return await ToStripeAsync(() => stripe.OpenPortalAsync(Business, ct), ct);
    }

    private async Task<IActionResult> ToStripeAsync(Func<Task<string>> create, CancellationToken ct)
    {
        try
        {
            return Redirect(await create());
        }
        catch (Exception e) when (e is Stripe.StripeException or HttpRequestException)
        {
            log.LogError("Stripe refused the request: {Reason}", e.Message);
            Error = "Stripe couldn't be reached just now. Please try again in a minute.";
            FoundingPlacesLeft = await founding.PlacesLeftAsync(ct);
            Forwarding = await ForwardingUndo.ForAsync(db, Business, ct);
            return Page();
        }
    }
}
