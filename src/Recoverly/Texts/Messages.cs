using Recoverly.Consent;

namespace Recoverly.Texts;

public enum OutboundKind
{
    TextBack,
    OptOutConfirmation,
    OptInConfirmation,
    HelpReply,
    OwnerReply,
    OwnerOptInRequest,
    OwnerConfirmation,
    OwnerAlert,
    OwnerReplyAlert,
    OwnerNotice,
    /// <summary>Alerts held during the owner's quiet hours, sent as one text when they end.</summary>
    OwnerDigest,
    /// <summary>An owner alert (or digest) by email; the dispatcher hands it to the mailer, not the SMS provider.</summary>
    OwnerEmail,
}

public enum OutboundStatus
{
    /// <summary>Waiting in the outbox (possibly claimed by a dispatcher right now).</summary>
    Pending,
    /// <summary>A send attempt ended with no answer; must be reconciled with the provider before any resend.</summary>
    InDoubt,
    Queued,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Cancelled,
    Expired,
}

/// <summary>An outbox row: every text Recoverly sends, from intent to delivery.</summary>
public sealed class OutboundMessage
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public long? ContactId { get; set; }
    public long? MissedCallId { get; set; }
    public OutboundKind Kind { get; set; }
    public required string To { get; set; }
    public required string From { get; set; }
    public required string Body { get; set; }
    public OutboundStatus Status { get; set; }
    /// <summary>Unique per intent (e.g. one text-back per missed call) so a retried webhook cannot enqueue twice.</summary>
    public string? DedupeKey { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public int Attempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    /// <summary>Set when a send may have reached the provider; cleared once the outcome is known.</summary>
    public DateTime? AttemptStartedAt { get; set; }
    /// <summary>A rate-limit slot reserved for this message on its sending number.</summary>
    public DateTime? PacedUntil { get; set; }
    public string? ProviderSid { get; set; }
    public string? ProviderStatus { get; set; }
    public int? ErrorCode { get; set; }
    public string? StatusReason { get; set; }
    public DateTime? SentAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
}

public sealed class InboundMessage
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public long? ContactId { get; set; }
    public required string MessageSid { get; set; }
    public required string From { get; set; }
    public required string To { get; set; }
    public required string Body { get; set; }
    public DateTime At { get; set; }
    public InboundIntent Intent { get; set; }
    public bool FromOwner { get; set; }
}

/// <summary>Every delivery status callback, kept once per (MessageSid, status) so replays change nothing.</summary>
public sealed class MessageStatusEvent
{
    public long Id { get; set; }
    public required string MessageSid { get; set; }
    public required string Status { get; set; }
    public int? ErrorCode { get; set; }
    public DateTime ReceivedAt { get; set; }
}
