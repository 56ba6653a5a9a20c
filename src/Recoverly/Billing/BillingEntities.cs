namespace Recoverly.Billing;

/// <summary>One of the ten Founding User Program places; the primary key on Slot makes a claim atomic.</summary>
public sealed class FoundingClaim
{
    public int Slot { get; set; }
    public long BusinessId { get; set; }
    public DateTime ClaimedAt { get; set; }
}

/// <summary>Every Stripe event applied, once (replays change nothing).</summary>
public sealed class BillingEvent
{
    public required string StripeEventId { get; set; }
    public required string Type { get; set; }
    public long? BusinessId { get; set; }
    /// <summary>Stripe's own creation time: an older event never overrides a newer state.</summary>
    public DateTime EventCreatedAt { get; set; }
    public DateTime ReceivedAt { get; set; }
}
