using Recoverly.Telephony;

namespace Recoverly.Calls;

/// <summary>
/// Everything the outcome of a missed call depends on, gathered by <see cref="MissedCallRecorder"/>.
/// The last two are the results of the recorder's two atomic claims (docs/product/missed-calls.md).
/// </summary>
public sealed record CallFacts
{
    public required CallerIdKind Caller { get; init; }
    /// <summary>The business line, the owner's phone or any Recoverly number (a loop otherwise).</summary>
    public bool Internal { get; init; }
    /// <summary>The caller's country is one the operator allows texting (US and Canada by default).</summary>
    public bool CountryAllowed { get; init; } = true;
    /// <summary>The carrier says STIR/SHAKEN verification of the caller ID failed.</summary>
    public bool CallerIdFailedVerification { get; init; }
    /// <summary>A landline (or other number that cannot take texts), from a lookup or an earlier send's error.</summary>
    public bool Landline { get; init; }
    public bool OptedOut { get; init; }
    /// <summary>The caller already got (or is getting) this episode's one text-back.</summary>
    public bool TextedThisEpisode { get; init; }
    /// <summary>The plan lets Recoverly text for this business (trial, founding, paid).</summary>
    public bool Entitled { get; init; } = true;
    public bool Paused { get; init; }
    /// <summary>The business has text-backs left today (its abuse guard).</summary>
    public bool UnderDailyCap { get; init; } = true;
}

/// <summary>
/// The outcome of a missed call: a pure decision, checked in this order, with exactly one answer. A
/// call that passes every check is <see cref="CallOutcome.Texted"/>: its text-back is queued.
/// </summary>
public static class MissedCallClassifier
{
    public static CallOutcome Classify(CallFacts f)
    {
        if (f.Caller == CallerIdKind.Withheld) return CallOutcome.Withheld;
        if (f.Internal) return CallOutcome.Internal;
        if (f.Caller == CallerIdKind.ShortCode) return CallOutcome.ShortCode;
        if (!f.CountryAllowed) return CallOutcome.International;
        if (f.CallerIdFailedVerification) return CallOutcome.UnverifiedCaller;
        if (f.Landline) return CallOutcome.Landline;
        if (f.OptedOut) return CallOutcome.OptedOut;
        if (f.TextedThisEpisode) return CallOutcome.Repeat;
        if (!f.Entitled) return CallOutcome.Inactive;
        if (f.Paused) return CallOutcome.Paused;
        if (!f.UnderDailyCap) return CallOutcome.DailyLimit;
        return CallOutcome.Texted;
    }

    /// <summary>Twilio's <c>StirVerstat</c> values for a caller ID that failed verification start with this.</summary>
    public static bool FailedVerification(string? stirVerstat) =>
        stirVerstat?.StartsWith("TN-Validation-Failed", StringComparison.OrdinalIgnoreCase) == true;
}
