using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>A fenced row as the send found it.</summary>
/// <param name="FencedAt">When this attempt's fence stamped the row (the provider may have the text from then on).</param>
/// <param name="EarlierAttempt">An earlier attempt that may have reached the provider, still to be ruled out.</param>
public sealed record SendAttempt(OutboundKind Kind, int Attempts, DateTime? ExpiresAt, DateTime FencedAt, DateTime? EarlierAttempt)
{
    /// <summary>When the request left for the provider (after its pacing turn was confirmed); an accepted text was sent then.</summary>
    public DateTime? RequestedAt { get; init; }
}

/// <summary>The row after the provider answered; <see cref="AttemptStartedAt"/> non-null means "reconcile before any resend".</summary>
public sealed record AfterSend(OutboundStatus Status, int Attempts, DateTime? NextAttemptAt, string? ProviderSid, string? ProviderStatus,
    int? ErrorCode, OutboxReason Reason, DateTime? SentAt, DateTime? AttemptStartedAt)
{
    /// <summary>The provider error teaches something lasting (an opt-out, a landline): apply it with the row.</summary>
    public bool LearnFromError => Status == OutboundStatus.Failed && ErrorCode is not null;
}

/// <summary>
/// What one send attempt does to its outbox row: a pure function from the row and the provider's typed
/// answer to the row's next state (docs/product/sending.md). The dispatcher only applies it.
/// </summary>
public static class SendTransition
{
    public static AfterSend Apply(SendAttempt row, SendResult result, DateTime now)
    {
        var attempts = row.Attempts + 1;
        switch (result.Outcome)
        {
            case SendOutcome.Accepted:
                // The provider's first status ("queued", "sent") is kept when it is further along than Queued.
                var status = DeliveryStatus.Map(result.ProviderStatus) is { } s && DeliveryStatus.Rank(s) > 0 ? s : OutboundStatus.Queued;
                return new(status, attempts, null, result.Sid, result.ProviderStatus, result.ErrorCode, result.Reason, row.RequestedAt ?? now,
                    AttemptStartedAt: null);

            case SendOutcome.Retry:
                // Never processed by the provider: only an earlier in-doubt attempt still needs ruling out.
                var next = now + (result.RetryAfter ?? DispatchOptions.Backoff(attempts));
                if (row.ExpiresAt is { } expires && next > expires)
                    return new(OutboundStatus.Expired, attempts, null, null, null, result.ErrorCode, OutboxReason.ProviderKeptRefusing, null, null);
                return new(OutboundStatus.Pending, attempts, next, null, null, result.ErrorCode, result.Reason, null, row.EarlierAttempt);

            case SendOutcome.InDoubt:
                // It may have gone: the next attempt looks at the provider from the earliest possible moment first.
                return new(OutboundStatus.InDoubt, attempts, now + DispatchOptions.Backoff(attempts), null, null, result.ErrorCode, result.Reason,
                    null, row.EarlierAttempt ?? row.FencedAt);

            default:
                // Refused for good: opted out at the carrier, a landline, an invalid number, or the operator must act.
                return new(OutboundStatus.Failed, attempts, null, null, null, result.ErrorCode, result.Reason, null, null);
        }
    }
}
