using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>A text (or e-mail alert) some part of Recoverly wants sent; <see cref="Outbox.Enqueue"/> turns it into an outbox row.</summary>
/// <param name="From">The sending Recoverly number (or <c>OwnerAlerts.EmailSender</c> for e-mail).</param>
public sealed record OutboxItem(long BusinessId, OutboundKind Kind, string To, string From, string Body)
{
    public long? ContactId { get; init; }
    public long? MissedCallId { get; init; }
    /// <summary>Unique per intent, so a retried webhook or a double-submitted form queues it once.</summary>
    public string? DedupeKey { get; init; }
    /// <summary>Not before this time (coalesced alerts, digests); null = at once.</summary>
    public DateTime? SendAt { get; init; }
    /// <summary>Past this time the row expires instead of being sent.</summary>
    public DateTime? ExpiresAt { get; init; }
    /// <summary>Why it waits, when it does (a held text-back).</summary>
    public OutboxReason Reason { get; init; }
}

/// <summary>
/// The producer side of the outbox: every text Recoverly sends starts here, inside the producer's own
/// transaction, and only the dispatcher ever hands it to the provider (docs/decisions/0002-database-as-queue.md).
/// </summary>
public static class Outbox
{
    public const int MaxBodyLength = 1600;

    /// <summary>Adds the row to the context; it is written with the producer's next SaveChanges.</summary>
    public static OutboundMessage Enqueue(RecoverlyDb db, OutboxItem item, DateTime now)
    {
        var row = new OutboundMessage
        {
            BusinessId = item.BusinessId,
            ContactId = item.ContactId,
            MissedCallId = item.MissedCallId,
            Kind = item.Kind,
            To = item.To,
            From = item.From,
            Body = item.Body.Length <= MaxBodyLength ? item.Body : item.Body[..MaxBodyLength],
            Status = OutboundStatus.Pending,
            DedupeKey = item.DedupeKey,
            CreatedAt = now,
            NextAttemptAt = item.SendAt ?? now,
            ExpiresAt = item.ExpiresAt,
            Reason = item.Reason,
        };
        db.OutboundMessages.Add(row);
        return row;
    }
}
