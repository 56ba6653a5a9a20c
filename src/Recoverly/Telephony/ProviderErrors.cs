namespace Recoverly.Telephony;

/// <summary>What a provider error means for the message and for the caller.</summary>
public enum ErrorCategory
{
    /// <summary>Not processed; safe to send again after backing off.</summary>
    Retry,
    OptedOut,
    Landline,
    Invalid,
    Filtered,
    Unreachable,
    /// <summary>The operator must act (sender registration, credentials).</summary>
    Configuration,
    /// <summary>A carrier or registration volume limit: the sender must slow down, and the operator is told.</summary>
    Throttled,
    /// <summary>The provider's validity period ran out before the text could leave (it was never delivered late).</summary>
    Expired,
    Permanent,
}

public sealed record ProviderError(int Code, ErrorCategory Category, string Reason, string Link)
{
    public ProviderError(int code, ErrorCategory category, string reason) : this(code, category, reason, ProviderErrors.LinkFor(code))
    {
    }
}

/// <summary>
/// Provider error codes in plain words (docs/product/sending.md): Twilio's (2xxxx, 3xxxx) and Telnyx's
/// (1xxxx, 4xxxx, <see cref="TelnyxErrors"/>). The two sets do not overlap, so one stored code says
/// which provider it came from and what it means.
/// </summary>
public static class ProviderErrors
{
    private static readonly ProviderError[] Twilio =
    [
        new(20429, ErrorCategory.Retry, "Provider busy (too many requests); retrying"),
        // Accepted-then-failed codes (30xxx) arrive on the status callback; docs/product/sending.md says what each does.
        new(21611, ErrorCategory.Retry, "Provider's queue for this sending number is full; retrying"),
        new(21610, ErrorCategory.OptedOut, "Not sent — the caller has opted out (replied STOP) with the carrier"),
        new(21614, ErrorCategory.Landline, "Not sent — the number can't receive texts (landline)"),
        new(21635, ErrorCategory.Landline, "Not sent — the number is a landline"),
        // Not proof of a landline (a mobile on an unreachable carrier gets it too), so it is never remembered as one.
        new(30006, ErrorCategory.Unreachable, "Not delivered — landline or unreachable carrier"),
        new(21211, ErrorCategory.Invalid, "Not sent — not a valid phone number"),
        new(21265, ErrorCategory.Invalid, "Not sent — short codes can't be texted"),
        new(21408, ErrorCategory.Configuration, "Not sent — texting that country isn't enabled on the provider account; the operator must enable it"),
        new(21608, ErrorCategory.Configuration, "Not sent — provider account not verified for this number (trial account)"),
        new(21606, ErrorCategory.Configuration, "Not sent — the sending number can't send texts; the operator must fix the number"),
        new(21212, ErrorCategory.Configuration, "Not sent — the sending number is invalid; the operator must fix the number"),
        new(20003, ErrorCategory.Configuration, "Not sent — provider credentials were refused; the operator must fix them"),
        new(30034, ErrorCategory.Configuration, "Not delivered — sending number not registered (10DLC); the operator must register it"),
        new(30032, ErrorCategory.Configuration, "Not delivered — toll-free sending number not verified; the operator must verify it"),
        new(30007, ErrorCategory.Filtered, "Not delivered — filtered by the carrier (message content)"),
        new(30003, ErrorCategory.Unreachable, "Not delivered — the phone is off or unreachable"),
        new(30005, ErrorCategory.Unreachable, "Not delivered — unknown or inactive number"),
        new(30008, ErrorCategory.Unreachable, "Not delivered — unknown carrier error"),
        new(30004, ErrorCategory.Unreachable, "Not delivered — the phone blocks texts from this number"),
        new(30036, ErrorCategory.Expired, "Expired — not sent in time (the provider's validity period ran out)"),
        new(30022, ErrorCategory.Throttled, "Not delivered — over the 10DLC sending rate; the operator has been told"),
        new(30023, ErrorCategory.Throttled, "Not delivered — the 10DLC daily limit was reached; the operator has been told"),
        new(30027, ErrorCategory.Throttled, "Not delivered — T-Mobile's daily limit for this sender was reached; the operator has been told"),
        new(30450, ErrorCategory.Throttled, "Not delivered — the carrier is limiting this sender; the operator has been told"),
    ];

    private static readonly Dictionary<int, ProviderError> Known = Twilio.Concat(TelnyxErrors.Known).ToDictionary(e => e.Code);

    public static IReadOnlyCollection<int> TwilioCodes => Twilio.Select(e => e.Code).ToList();

    /// <summary>Telnyx's documented codes are 1xxxx (request) and 4xxxx (delivery); Twilio's messaging codes are 2xxxx and 3xxxx.</summary>
    public static string LinkFor(int code) => code is >= 40000 and < 50000 or >= 10000 and < 11000
        ? TelnyxErrors.LinkFor(code)
        : $"https://www.twilio.com/docs/errors/{code}";

    public static ProviderError Describe(int code) =>
        Known.TryGetValue(code, out var e) ? e : new(code, ErrorCategory.Permanent, $"Not sent — provider error {code}");

    public static ProviderError? Find(int code) => Known.GetValueOrDefault(code);
}
