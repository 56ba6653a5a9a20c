using Microsoft.AspNetCore.Mvc;
using Recoverly.Businesses;
using Recoverly.Owners;

namespace Recoverly.Pages.Onboarding;

/// <summary>Wizard step 3: what a caller hears once their call reached Recoverly.</summary>
public sealed class GreetingModel(OwnerOnboarding onboarding) : OnboardingStepModel
{
    [BindProperty] public GreetingKind? Greeting { get; set; }
    public string? Error { get; private set; }

    public void OnGet() => Greeting = Business.Greeting;

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (Greeting is not { } greeting || !Enum.IsDefined(greeting))
        {
            Error = "Pick what callers should hear.";
            return Page();
        }
        await onboarding.SetGreetingAsync(BusinessId, greeting, ct);
        return Redirect("/onboarding/alerts");
    }
}
