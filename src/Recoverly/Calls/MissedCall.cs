namespace Recoverly.Calls;

/// <summary>The outcome codes, in the order the checks run (docs/product/missed-calls.md).</summary>
public enum CallOutcome
{
    Withheld,
    Internal,
    ShortCode,
    International,
    UnverifiedCaller,
    Landline,
    OptedOut,
    Repeat,
    Inactive,
    Paused,
    DailyLimit,
    Texted,
}

public sealed class MissedCall
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public long? ContactId { get; set; }
    public required string CallSid { get; set; }
    /// <summary>The caller ID exactly as the provider sent it (may be "anonymous").</summary>
    public required string FromRaw { get; set; }
    public string? FromE164 { get; set; }
    public required string To { get; set; }

    private DateTime _at;

    public DateTime At
    {
        get => _at;
        // A call is its inbox row's first activity, however the row is made (EF reads and writes the field directly).
        set
        {
            _at = value;
            if (LastActivityAt < value) LastActivityAt = value;
        }
    }

    /// <summary>
    /// When this call's inbox row last had activity: the call itself, or a later reply either way. The inbox
    /// orders by it, and only an episode's newest call is moved (see <c>Owners/ConversationActivity.cs</c>).
    /// </summary>
    public DateTime LastActivityAt { get; set; }
    public CallOutcome Outcome { get; set; }
    /// <summary>The first call of the episode this call belongs to; null when this call started it.</summary>
    public long? EpisodeFirstCallId { get; set; }
    public string? StirVerstat { get; set; }
    public string? ForwardedFrom { get; set; }
    public string? CallStatus { get; set; }
    public int? DurationSeconds { get; set; }
    public string? RecordingUrl { get; set; }
    public string? Transcription { get; set; }
    /// <summary>The provider's last word on the voicemail's transcription ("completed", "failed"); set once, so a replayed callback alerts no one twice.</summary>
    public string? TranscriptionStatus { get; set; }

    // What became of the episode, kept on its first call only (docs/product/report.md): the report counts these.
    public DateTime? CallerRepliedAt { get; set; }
    public DateTime? OwnerRepliedAt { get; set; }
    /// <summary>The owner's tap "I called them back" (a call is not something Recoverly can see).</summary>
    public DateTime? CalledBackAt { get; set; }
    /// <summary>The owner's tap "Booked / won".</summary>
    public DateTime? WonAt { get; set; }
    /// <summary>The job's value the owner typed with "Booked / won", in cents; null when they gave none.</summary>
    public long? JobValueCents { get; set; }
    /// <summary>The caller's name from the provider's caller-name lookup (CNAM), cleaned by <see cref="CallerNames.Clean"/>; never put in a text.</summary>
    public string? CallerName { get; set; }
}

/// <summary>A caller as seen by one business: episode bookkeeping lives here.</summary>
public sealed class Contact
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public required string Phone { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? EpisodeStartedAt { get; set; }
    public long? EpisodeFirstCallId { get; set; }
    public int EpisodeCallCount { get; set; }
    public DateTime? LastTextBackAt { get; set; }
    /// <summary>The call that claimed the current episode's text-back: the claim's token, so a claim is never mistaken for another's.</summary>
    public long? TextBackCallId { get; set; }
    public DateTime LastActivityAt { get; set; }
    /// <summary>When an emergency word in the caller's reply or voicemail made this conversation urgent; null once the owner handled it.</summary>
    public DateTime? UrgentAt { get; set; }
    /// <summary>The emergency word that matched, shown to the owner as the reason.</summary>
    public string? UrgentWord { get; set; }
}

/// <summary>
/// Line types learned from provider errors (21614/30006/21635), per business: one tenant's bad luck (or a wrong
/// error) never stops another business texting a number back; an entry counts for <see cref="Lifetime"/> only
/// (numbers move from landline to mobile). docs/product/texts.md, "Landlines".
/// </summary>
public sealed class LearnedLineType
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(90);

    public long BusinessId { get; set; }
    public required string Phone { get; set; }
    public required string LineType { get; set; }
    public int? ErrorCode { get; set; }
    public DateTime LearnedAt { get; set; }
}

/// <summary>
/// A provider line-type lookup of one number (Twilio Lookup v2 line type intelligence): the provider's fact about
/// the number, not a tenant's, so one row per number serves every business, and counts for <see cref="Lifetime"/>
/// (numbers get ported). docs/product/texts.md, "Landlines".
/// </summary>
public sealed class LineTypeLookup
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    public required string Phone { get; set; }
    /// <summary>The provider's <c>type</c> as it sent it (<c>mobile</c>, <c>landline</c>, <c>fixedVoip</c>, …).</summary>
    public required string LineType { get; set; }
    /// <summary><see cref="LineTypes.Textable"/> of <see cref="LineType"/> when it was looked up.</summary>
    public bool Textable { get; set; }
    public string? CarrierName { get; set; }
    public DateTime LookedUpAt { get; set; }
}
