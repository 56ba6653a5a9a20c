using Microsoft.AspNetCore.Mvc;
using Recoverly.Consent;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.Onboarding;

/// <summary>Wizard step 4: the owner's mobile number and the opt-in to alert texts (an unticked box; docs/product/owner-alerts.md).</summary>
public sealed class AlertsModel(OwnerOnboarding onboarding) : OnboardingStepModel
{
    [BindProperty] public string? Mobile { get; set; }
    /// <summary>Bound only from the form: the box is never ticked by us.</summary>
    [BindProperty] public bool AlertsOptIn { get; set; }
    public string? Error { get; private set; }
    public OwnerAlertConsent State { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Mobile = Business.OwnerPhone is { } phone ? Phones.FormatForDisplay(phone) : null;
        State = await onboarding.OwnerAlertStateAsync(Business, ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Error = await onboarding.SaveOwnerAlertsAsync(Business, Mobile, AlertsOptIn,
            HttpContext.Connection.RemoteIpAddress?.ToString(), Request.Headers.UserAgent.ToString(), ct);
        if (Error is null) return Redirect("/onboarding/forwarding");
        State = await onboarding.OwnerAlertStateAsync(Business, ct);
        return Page();
    }
}
