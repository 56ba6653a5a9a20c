namespace Recoverly.Telephony;

/// <summary>
/// Telnyx messaging error codes in plain words. Sources: Telnyx's messaging error-code reference
/// (delivery errors 40xxx, reported in <c>message.finalized</c>), its API error list (request errors 1xxxx,
/// answered at once) and its opt-out guide (40300). Each code links to its page at Telnyx.
/// </summary>
public static class TelnyxErrors
{
    public static string LinkFor(int code) => $"https://developers.telnyx.com/api/errors/{code}";

    internal static readonly ProviderError[] Known =
    [
        // The recipient texted STOP (or another opt-out word) to a number on this messaging profile; Telnyx blocks
        // every later message. Like Twilio's 21610, it is an opt-out the ledger must record.
        new(40300, ErrorCategory.OptedOut, "Not sent — the caller has opted out (replied STOP) with the carrier"),
        new(40001, ErrorCategory.Landline, "Not delivered — the number can't receive texts (landline or not routable)"),
        new(10002, ErrorCategory.Invalid, "Not sent — not a valid phone number"),
        new(10016, ErrorCategory.Invalid, "Not sent — not a valid phone number"),
        new(40012, ErrorCategory.Invalid, "Not delivered — the carrier rejected the number as invalid"),
        new(10001, ErrorCategory.Invalid, "Not sent — the phone number is inactive"),
        new(40002, ErrorCategory.Filtered, "Not delivered — filtered by the carrier as spam"),
        new(40015, ErrorCategory.Filtered, "Not sent — filtered by the provider's spam filter"),
        new(40009, ErrorCategory.Filtered, "Not delivered — the carrier rejected the message content"),
        new(40004, ErrorCategory.Unreachable, "Not delivered — rejected by the caller's carrier"),
        new(40005, ErrorCategory.Unreachable, "Not delivered — expired before the carrier took it"),
        new(40006, ErrorCategory.Unreachable, "Not delivered — the caller's carrier is unavailable"),
        new(40008, ErrorCategory.Unreachable, "Not delivered — the carrier did not accept the message"),
        new(40014, ErrorCategory.Unreachable, "Not delivered — expired in the provider's queue"),
        new(40003, ErrorCategory.Configuration, "Not delivered — the sending number is blocked by carriers; the operator must replace it"),
        new(40013, ErrorCategory.Configuration, "Not delivered — the carrier rejected the sending number; the operator must check it"),
        new(10009, ErrorCategory.Configuration, "Not sent — provider credentials were refused; the operator must fix them"),
        new(10010, ErrorCategory.Configuration, "Not sent — the provider account may not send from this number; the operator must fix it"),
        new(40011, ErrorCategory.Retry, "Provider busy (carrier throughput limit); retrying"),
        new(10011, ErrorCategory.Retry, "Provider busy (too many requests); retrying"),
    ];
}
