using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.Onboarding;

/// <summary>Wizard step 5: the carrier / phone-system picker and its codes with the Recoverly number filled in.</summary>
public sealed class ForwardingModel(RecoverlyDb db, OwnerOnboarding onboarding) : OnboardingStepModel
{
    protected override bool OpenAfterOnboarding => true;

    [BindProperty(SupportsGet = true)] public string? Carrier { get; set; }
    public string RecoverlyNumber { get; private set; } = "";
    public ForwardingInstructions? Instructions { get; private set; }
    public string? AreaCodeNote { get; private set; }
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
        // Systems that can't forward only missed calls publish the Recoverly number instead (call-through).
        var mode = ForwardingGuide.For(system.Key, null)!.Method == ForwardingMethod.CallThrough ? CallMode.CallThrough : CallMode.Forwarding;
        await onboarding.SetForwardingCarrierAsync(BusinessId, system.Key, mode, ct);
        return Redirect("/onboarding/verify");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        // The registration banner reads the number rows too (docs/product/registration.md).
        var numbers = db.Entry(Business).Collection(b => b.Numbers);
        if (!numbers.IsLoaded) await numbers.LoadAsync(ct);
        RecoverlyNumber = Business.Numbers.OrderBy(n => n.Id).First().E164;
        Instructions = ForwardingGuide.For(Carrier, RecoverlyNumber);
        AreaCodeNote = ForwardingGuide.AreaCodeNote(RecoverlyNumber, Business.BusinessPhone);
    }
}
