using Recoverly.Businesses;

namespace Recoverly.Pages.Shared;

/// <summary>What the "verify your business line" box shows (settings and the onboarding test step post to their own handlers).</summary>
public sealed record LineVerificationView(string BusinessLine, LineState State, bool ProviderCanCall, DateTime? VerifiedAt);
