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
    /// <summary>The weekly summary e-mail (opt-in, its own setting): to the mailer, like <see cref="OwnerEmail"/>.</summary>
    OwnerSummaryEmail,
    /// <summary>A voicemail's transcription that came after the missed-call alert went out.</summary>
    OwnerVoicemailAlert,
    /// <summary>An emergency word in a caller's reply or voicemail: sent at once, even in quiet hours (its own daily cap).</summary>
    OwnerEmergencyAlert,
    /// <summary>A push alert to one of the owner's devices (<c>Push/PushAlerts.cs</c>); to the push service, not the SMS provider.</summary>
    OwnerPush,
}

public static class OutboundKinds
{
    /// <summary>Texts to the owner's phone about alerts, as opposed to texts to callers.</summary>
    public static bool IsToOwner(this OutboundKind kind) => kind is OutboundKind.OwnerOptInRequest or OutboundKind.OwnerConfirmation
        or OutboundKind.OwnerAlert or OutboundKind.OwnerReplyAlert or OutboundKind.OwnerNotice or OutboundKind.OwnerDigest
        or OutboundKind.OwnerVoicemailAlert or OutboundKind.OwnerEmergencyAlert;

    /// <summary>Goes to the mailer, not the SMS provider (no sending number, no pacing).</summary>
    public static bool IsEmail(this OutboundKind kind) => kind is OutboundKind.OwnerEmail or OutboundKind.OwnerSummaryEmail;

    /// <summary>Goes to a browser's push service, not the SMS provider (no sending number, no pacing).</summary>
    public static bool IsPush(this OutboundKind kind) => kind == OutboundKind.OwnerPush;

    /// <summary>A text through the SMS provider from a sending number, paced on it (not a mail, not a push alert).</summary>
    public static bool IsSms(this OutboundKind kind) => !kind.IsEmail() && !kind.IsPush();
}

public enum OutboundStatus
{
    /// <summary>Waiting in the outbox (possibly claimed by a dispatcher right now).</summary>
    Pending,
    /// <summary>A send attempt ended with no answer; must be reconciled with the provider before any resend.</summary>
    InDoubt,
    /// <summary>
    /// Fenced: a dispatcher re-checked consent and holds the row while its send is in flight. Nothing
    /// cancels it any more; a dispatcher that dies leaves it to be reconciled like <see cref="InDoubt"/>.
    /// </summary>
    Sending,
    Queued,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Cancelled,
    Expired,
}

/// <summary>
/// Why an outbox row stopped, is waiting or went wrong, as data. The owner's words for each are in
/// <c>Owners/OwnerWords.cs</c>; nothing decides anything by reading those words back.
/// </summary>
public enum OutboxReason
{
    None,
    /// <summary>The recipient opted out of this business's texts (STOP, carrier 21610, or recorded by the owner).</summary>
    CallerOptedOut,
    /// <summary>The owner turned alerts off (STOP from the owner's phone, Settings, or carrier 21610).</summary>
    OwnerAlertsOff,
    /// <summary>An owner text whose alerts were never confirmed with YES.</summary>
    OwnerAlertsNotConfirmed,
    AccountDeleted,
    EmailAlertsOff,
    /// <summary>The owner turned the weekly summary off before it went.</summary>
    WeeklySummaryOff,
    /// <summary>Its send window closed before it could go (a late text-back is worse than none).</summary>
    NotSentInTime,
    /// <summary>The provider refused every attempt until the send window closed.</summary>
    ProviderKeptRefusing,
    EmailRetrying,
    /// <summary>The provider could not be reached; nothing was sent, so it is retried.</summary>
    ProviderUnreachable,
    /// <summary>The provider asked us to slow down (HTTP 429 / 20429).</summary>
    ProviderBusy,
    /// <summary>No answer from the provider: it is reconciled with the provider before any resend.</summary>
    ProviderNoAnswer,
    /// <summary>The provider answered with a server error; reconciled before any resend.</summary>
    ProviderServerError,
    /// <summary>The provider or carrier refused it with <see cref="OutboundMessage.ErrorCode"/>.</summary>
    ProviderError,
    /// <summary>A line-type lookup said the number cannot take texts (a landline, toll-free, pager…); nothing was sent.</summary>
    NotTextableLine,
    /// <summary>The owner removed the device (Settings, or signed out on it) before the push went.</summary>
    PushDeviceRemoved,
    /// <summary>The push service said the subscription no longer exists (404/410); the device was removed.</summary>
    PushDeviceGone,
    /// <summary>The push service could not take it yet (unreachable, 429 or 5xx); retried until the alert is stale.</summary>
    PushRetrying,
    /// <summary>The push service refused it (its HTTP status is in ProviderStatus); not retried.</summary>
    PushRefused,
    /// <summary>A text-back held until 8 am (the owner's overnight option); <see cref="OutboundMessage.NextAttemptAt"/> is when it goes.</summary>
    HeldOvernight,
    /// <summary>A held text-back the owner made unnecessary: they replied or called the caller back first.</summary>
    OwnerAnsweredFirst,
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
    public OutboxReason Reason { get; set; }
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

/// <summary>A sending number's next free send slot, shared by every dispatcher (see <c>Dispatch/SendPacer.cs</c>).</summary>
public sealed class SenderSlot
{
    public required string Sender { get; set; }
    /// <summary>UTC ticks, so both databases do the slot arithmetic in one integer expression.</summary>
    public long NextSlotTicks { get; set; }
}
