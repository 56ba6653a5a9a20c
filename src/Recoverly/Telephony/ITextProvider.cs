using Recoverly.Texts;

namespace Recoverly.Telephony;

public enum SendOutcome { Accepted, Retry, InDoubt, OptedOut, Landline, Permanent, Configuration }

/// <summary>The typed answer to one send attempt: what the dispatcher must do next.</summary>
public sealed record SendResult(SendOutcome Outcome, string? Sid = null, string? ProviderStatus = null, int? ErrorCode = null,
    OutboxReason Reason = OutboxReason.None, TimeSpan? RetryAfter = null);

/// <param name="ValidFor">How long the provider may hold it before giving up (the row's expiry); null: the provider's default.</param>
public sealed record OutgoingText(string To, string From, string Body, Uri? StatusCallback, TimeSpan? ValidFor = null);

public sealed record ProviderMessage(string Sid, string? To, string? From, string? Body, string? Status, DateTime? CreatedAt);

/// <summary>
/// The seam between the dispatcher and a telephony provider's messaging API (Twilio, Telnyx; the
/// simulator speaks Twilio's). The dispatcher is the only caller; webhooks never send.
/// </summary>
public interface ITextProvider
{
    /// <summary>Where this provider posts the status events of the texts we send (a path under PublicBaseUrl).</summary>
    string StatusCallbackPath { get; }

    /// <summary>Hands one text to the provider; every failure comes back as a typed result, never as an exception.</summary>
    Task<SendResult> SendAsync(OutgoingText text, CancellationToken ct);

    /// <summary>
    /// The messages the provider holds from <paramref name="from"/> to <paramref name="to"/>, newest first, to
    /// settle an attempt started at <paramref name="attemptStartedAt"/> whose outcome is unknown
    /// (docs/decisions/0004-unknown-send-outcome.md). Throws when the provider cannot answer yet; the row then
    /// waits and asks again, it never resends blind.
    /// </summary>
    Task<IReadOnlyList<ProviderMessage>> FindRecentAsync(string to, string? from, DateTime attemptStartedAt, CancellationToken ct);
}
