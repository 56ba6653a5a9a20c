namespace Recoverly.Businesses;

/// <summary>Whether a business's plan lets Recoverly text on its behalf (docs/product/plans.md).</summary>
public static class Entitlement
{
    public static readonly TimeSpan TrialLength = TimeSpan.FromDays(14);
    public static readonly TimeSpan PastDueGrace = TimeSpan.FromDays(7);

    /// <param name="billingEnabled">False when Billing:Provider=None: a self-hosted install entitles everyone.</param>
    public static bool MayText(Business business, DateTime nowUtc, bool billingEnabled) =>
        !billingEnabled || business.Plan switch
        {
            PlanState.Founding or PlanState.Active => true,
            PlanState.Trial => nowUtc < business.TrialEndsAt,
            PlanState.PastDue => business.PastDueSince is { } since && nowUtc < since + PastDueGrace,
            _ => false,
        };
}
