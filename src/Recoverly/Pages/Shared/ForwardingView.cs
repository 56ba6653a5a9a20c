using Recoverly.Telephony;

namespace Recoverly.Pages.Shared;

/// <summary>What the forwarding partial renders: one guide, in onboarding (the owner's own number) or on the public pages.</summary>
/// <param name="AreaCodeNote">Shown with the costs when the Recoverly number is not local to the business line.</param>
public sealed record ForwardingView(ForwardingInstructions Guide, bool InOnboarding, string? AreaCodeNote = null);
