namespace Recoverly.Telephony;

/// <summary>
/// Which inbound texts Telnyx has already answered itself (docs/product/consent.md, "When the provider
/// answers a keyword"). By default Telnyx blocks further messages and sends its own reply when the whole
/// text is one of its opt-out words, and lifts the block on START or UNSTOP; with Advanced Opt-In/Out
/// configured it names the keyword it answered in <c>autoresponse_type</c>. Either way Recoverly records
/// the consent change and sends no answer of its own (ours would be refused with 40300 anyway).
/// </summary>
public static class TelnyxKeywords
{
    private static readonly HashSet<string> OptOut = new(StringComparer.OrdinalIgnoreCase)
        { "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit" };

    private static readonly HashSet<string> OptIn = new(StringComparer.OrdinalIgnoreCase) { "start", "unstop" };

    /// <returns><c>STOP</c>, <c>START</c> or <c>HELP</c> when Telnyx answered this text, else null.</returns>
    public static string? AnsweredByTelnyx(string body, string? autoresponseType)
    {
        switch (autoresponseType?.Trim().ToLowerInvariant())
        {
            case "stop": return "STOP";
            case "start": return "START";
            case "help" or "info": return "HELP";
        }
        // Telnyx recognises its words only when they are the whole message.
        var words = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (OptOut.Contains(words)) return "STOP";
        if (OptIn.Contains(words)) return "START";
        return null;
    }
}
