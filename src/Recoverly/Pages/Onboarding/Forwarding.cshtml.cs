using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.Onboarding;

/// <summary>Wizard step 5: the carrier / phone-system picker and its codes with the Recoverly number filled in (SPEC 1.8).</summary>
public sealed class ForwardingModel(RecoverlyDb db, OwnerOnboarding onboarding) : OnboardingStepModel
{
    protected override bool OpenAfterOnboarding => true;

    [BindProperty(SupportsGet = true)] public string? Carrier { get; set; }
    public string RecoverlyNumber { get; private set; } = "";
    public ForwardingInstructions? Instructions { get; private set; }
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Carrier ??= Business.ForwardingCarrier;
        await LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (ForwardingGuide.Find(Carrier) is not { } system)
        {
            Error = "Pick your phone carrier or phone system first.";
            await LoadAsync(ct);
            return Page();
        }
        await onboarding.SetForwardingCarrierAsync(BusinessId, system.Key, ct);
        return Redirect("/onboarding/verify");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        RecoverlyNumber = await db.Numbers.AsNoTracking().Where(n => n.BusinessId == BusinessId).OrderBy(n => n.Id)
            .Select(n => n.E164).FirstAsync(ct);
        Instructions = ForwardingGuide.For(Carrier, RecoverlyNumber);
    }
}
