using Microsoft.AspNetCore.Mvc;
using Recoverly.Owners;

namespace Recoverly.Pages.Onboarding;

/// <summary>A wizard step after the business exists: owners who finished onboarding go to the inbox instead.</summary>
public abstract class OnboardingStepModel : OwnerPageModel
{
    /// <summary>Steps worth revisiting later (forwarding after a phone change) stay open after onboarding.</summary>
    protected virtual bool OpenAfterOnboarding => false;

    protected override IActionResult? BeforeHandler() =>
        !OpenAfterOnboarding && Business.OnboardedAt is not null ? Redirect("/app") : null;
}

/// <summary>The wizard's steps, in order, for the progress indicator.</summary>
public static class WizardSteps
{
    public static readonly string[] Names = ["Business", "Number", "Greeting", "Alerts", "Forwarding", "Verify"];
}
