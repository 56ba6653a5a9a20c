namespace Recoverly.Telephony;

/// <summary>How inbound keywords are answered: by the provider's own keyword handling, or by Recoverly (<c>Twilio:KeywordReplies</c>).</summary>
public enum KeywordReplies
{
    /// <summary>The provider answers its exact default keywords; Recoverly records them and answers only what the provider does not catch.</summary>
    Provider,
    /// <summary>The account's default keyword handling is off: Recoverly answers every keyword itself.</summary>
    Recoverly,
}

/// <summary>
/// The one place that decides whether the provider already answered an inbound text (docs/product/consent.md,
/// "Who answers a keyword"). A provider answers only when the whole message is one of its own words; anything
/// else Recoverly reads as a keyword ("Stop please", "don't text me") is Recoverly's to answer.
/// </summary>
public static class ProviderKeywords
{
    public const string Stop = "STOP";
    public const string Start = "START";
    public const string Help = "HELP";

    /// <summary>Twilio's default keywords on long codes and toll-free numbers (without Advanced Opt-Out).</summary>
    public static readonly IReadOnlyDictionary<string, string> Twilio = Words(
        (Stop, ["stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"]),
        (Start, ["start", "yes", "unstop"]),
        (Help, ["help", "info"]));

    /// <summary>Telnyx's default words: it blocks and answers its opt-out words and lifts the block on START/UNSTOP; HELP is answered only when configured (then named in <c>autoresponse_type</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> Telnyx = Words(
        (Stop, ["stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit"]),
        (Start, ["start", "unstop"]));

    /// <summary>Who answered this inbound text.</summary>
    /// <param name="defaults">The provider's own words (<see cref="Twilio"/>, <see cref="Telnyx"/>).</param>
    /// <param name="reported">The keyword type the provider says it answered (Twilio <c>OptOutType</c>, Telnyx <c>autoresponse_type</c>).</param>
    /// <returns><see cref="Stop"/>, <see cref="Start"/> or <see cref="Help"/> when the provider answered, else null (Recoverly answers).</returns>
    public static string? AnsweredByProvider(IReadOnlyDictionary<string, string> defaults, string body, string? reported, KeywordReplies mode)
    {
        // What the provider says it did is true in either mode (a mismatch is reported, not second-guessed).
        switch (reported?.Trim().ToLowerInvariant())
        {
            case "stop": return Stop;
            case "start": return Start;
            case "help" or "info": return Help;
        }
        if (mode == KeywordReplies.Recoverly) return null;
        // Providers match the whole message, any case, spaces around and between words ignored.
        var words = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        return defaults.GetValueOrDefault(words);
    }

    private static Dictionary<string, string> Words(params (string Type, string[] Words)[] sets) =>
        sets.SelectMany(s => s.Words.Select(w => (w, s.Type))).ToDictionary(p => p.w, p => p.Type);
}

/// <summary>Telnyx's keyword handling, through <see cref="ProviderKeywords"/> (Telnyx's defaults are always on).</summary>
public static class TelnyxKeywords
{
    /// <returns><c>STOP</c>, <c>START</c> or <c>HELP</c> when Telnyx answered this text, else null.</returns>
    public static string? AnsweredByTelnyx(string body, string? autoresponseType) =>
        ProviderKeywords.AnsweredByProvider(ProviderKeywords.Telnyx, body, autoresponseType, KeywordReplies.Provider);
}
