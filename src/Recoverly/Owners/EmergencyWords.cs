using Recoverly.Consent;

namespace Recoverly.Owners;

/// <summary>
/// The words that make a caller's reply or voicemail an emergency (docs/product/owner-alerts.md, "Emergencies"). Matched
/// the way <see cref="KeywordClassifier"/> reads a text: whole words and phrases, case, accents and punctuation ignored,
/// so "Burst pipe!!" matches "burst pipe" and "gasoline" never matches "gas".
/// </summary>
public static class EmergencyWords
{
    public const int MaxWords = 30;
    public const int MaxWordLength = 40;
    public const int MaxPhraseWords = 4;
    /// <summary>Room for <see cref="MaxWords"/> entries of <see cref="MaxWordLength"/> characters, one a line.</summary>
    public const int MaxStoredLength = MaxWords * (MaxWordLength + 1);

    /// <summary>
    /// Words a trades caller uses when something is going wrong right now. Everyday job words ("leak", "leaking",
    /// "gas" alone) are left out on purpose: "the faucet is leaking a bit" or "my gas water heater" are not emergencies.
    /// </summary>
    public static readonly IReadOnlyList<string> Defaults =
    [
        "emergency", "flood", "flooding", "flooded", "burst", "burst pipe", "pipe burst", "gas leak", "gas smell", "smell gas",
        "carbon monoxide", "no heat", "no hot water", "no AC", "no power", "sparking", "sparks", "smoke", "fire", "sewage",
        "sewer backup", "overflowing",
    ];

    /// <summary>The business's words: its own list, or <see cref="Defaults"/> when it never set one.</summary>
    public static IReadOnlyList<string> For(Businesses.Business business) =>
        business.EmergencyWords is { } stored ? Split(stored) : Defaults;

    /// <summary>The stored form: one entry a line.</summary>
    public static string Store(IEnumerable<string> words) => string.Join('\n', words);

    private static List<string> Split(string text) =>
        text.Split(['\n', ',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>
    /// Reads the Settings field (one entry a line, or comma-separated). Returns the problems in the owner's words; the
    /// list is only good when there are none. Duplicates (as matched) are dropped silently.
    /// </summary>
    public static List<string> Parse(string? input, out List<string> words)
    {
        words = [];
        var problems = new List<string>();
        var entries = Split(input ?? "");
        if (entries.Count == 0)
        {
            problems.Add("Enter at least one emergency word or phrase, one a line (or put back the suggested list).");
            return problems;
        }
        if (entries.Count > MaxWords) problems.Add($"That's {entries.Count} entries; keep it to {MaxWords} or fewer.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var tokens = KeywordClassifier.Tokenize(KeywordClassifier.Normalize(entry));
            if (entry.Length > MaxWordLength) problems.Add($"\"{Shorten(entry)}\" is longer than {MaxWordLength} characters.");
            else if (tokens.Count == 0) problems.Add($"\"{entry}\" has no letters or digits to match.");
            else if (tokens.Count > MaxPhraseWords) problems.Add($"\"{entry}\" has more than {MaxPhraseWords} words; use a shorter phrase.");
            else if (seen.Add(string.Join(' ', tokens))) words.Add(string.Join(' ', entry.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        }
        if (problems.Count > 0) words = [];
        return problems;
    }

    /// <summary>
    /// The entry of <paramref name="words"/> that <paramref name="text"/> contains as whole words, or null; the longest one
    /// when several do ("burst pipe" over "burst"), as it says the most about why.
    /// </summary>
    public static string? Match(string? text, IReadOnlyList<string> words)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var tokens = KeywordClassifier.Tokenize(KeywordClassifier.Normalize(text));
        string? best = null;
        var bestLength = 0;
        foreach (var word in words)
        {
            var phrase = KeywordClassifier.Tokenize(KeywordClassifier.Normalize(word));
            if (phrase.Count > bestLength && Contains(tokens, phrase)) (best, bestLength) = (word, phrase.Count);
        }
        return best;
    }

    private static bool Contains(List<string> tokens, List<string> phrase)
    {
        for (var i = 0; i + phrase.Count <= tokens.Count; i++)
        {
            var all = true;
            for (var j = 0; j < phrase.Count && all; j++) all = tokens[i + j] == phrase[j];
            if (all) return true;
        }
        return false;
    }

    private static string Shorten(string entry) => entry.Length <= 20 ? entry : entry[..20] + "…";
}
