using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Recoverly.Consent;

/// <summary>What an inbound SMS from a caller asks for (docs/product/consent.md).</summary>
public enum InboundIntent
{
    OptOut,
    OptIn,
    Help,
    Conversation,
}

/// <summary>
/// Classifies the body of an inbound SMS from a caller (docs/product/consent.md).
/// </summary>
/// <remarks>
/// Opt-out is matched generously (the FCC's "reasonable person" standard; docs/product/consent.md):
/// <list type="bullet">
/// <item>the whole body is an opt-out keyword once case, diacritics, surrounding punctuation, emoji
/// and politeness words ("please", "thanks", "now", "ok") are removed: "STOP", "stop.", "**Stop!**",
/// "STOP 🛑", "Opt-Out", "stop all", "Stop please";</item>
/// <item>or one sentence of the body is such a keyword (or phrase) on its own: "Stop. Thank you",
/// "STOP!!! Who is this?"; a comma-separated clause counts too, but only for the unambiguous keywords
/// ("STOP, wrong number" is an opt-out, "Can you come by? If not, cancel." is not);</item>
/// <item>or the body contains a clear revocation phrase: "please stop texting me", "don't text me",
/// "take me off your list", "remove me", "unsubscribe me", "no more texts", "no más", ...</item>
/// </list>
/// A keyword used as an ordinary word inside a sentence ("can you stop by at 3?", "I need to cancel
/// my appointment") is a conversation. Opt-in and help are matched strictly: the whole body must be
/// the keyword (a wrongly assumed opt-in costs far more than a missed one).
/// </remarks>
public static partial class KeywordClassifier
{
    // Opt-out keywords in their compact form (tokens concatenated: "opt out" / "opt-out" => "optout",
    // "stop all" => "stopall", "no más" => "nomas"). the documented list (docs/product/consent.md), plus the Canadian-French ARRET
    // (AWS US/CA list), Spanish equivalents and a few common misspellings of STOP/UNSUBSCRIBE.
    private static readonly FrozenSet<string> OptOutKeywords = FrozenSet.ToFrozenSet(
    [
        "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "remove",
        "arret", "alto", "parar", "basta", "nomas", "cancelar",
        "stp", "stpo", "sotp", "stopp", "stahp", "unsubcribe", "unsuscribe", "unsubscibe",
    ]);

    // Keywords with no everyday meaning in a reply to a service business (unlike "cancel", "end", "quit", "remove").
    private static readonly FrozenSet<string> UnambiguousOptOutKeywords = FrozenSet.ToFrozenSet(
    [
        "stop", "stopall", "unsubscribe", "revoke", "optout", "arret", "nomas",
        "stp", "stpo", "sotp", "stopp", "stahp", "unsubcribe", "unsuscribe", "unsubscibe",
    ]);

    // Words that may accompany a bare keyword without changing its meaning ("Stop please", "STOP. Thank you").
    private static readonly FrozenSet<string> Fillers = FrozenSet.ToFrozenSet(
    [
        "please", "pls", "plz", "plez", "thanks", "thank", "you", "u", "thankyou", "thx", "ty",
        "now", "ok", "okay", "asap", "por", "favor", "gracias", "merci", "svp",
    ]);

    public static InboundIntent Classify(string? body, bool currentlyOptedOut)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return InboundIntent.Conversation;
        }

        string text = Normalize(body);
        List<string> tokens = Tokenize(text);
        if (tokens.Count == 0)
        {
            return InboundIntent.Conversation;
        }

        if (tokens.Count == 1)
        {
            switch (tokens[0])
            {
                case "start":
                case "unstop":
                    return InboundIntent.OptIn;
                case "yes":
                    return currentlyOptedOut ? InboundIntent.OptIn : InboundIntent.Conversation;
                case "help":
                case "info":
                    return InboundIntent.Help;
            }
        }

        if (IsBareOptOut(tokens, OptOutKeywords) || RevocationPhrase().IsMatch(string.Join(' ', tokens)))
        {
            return InboundIntent.OptOut;
        }

        // A bare keyword or a phrase as one sentence of a longer message: "Stop. Thank you", "STOP!!! Who is this?",
        // "Who is this? Remove me". Within a sentence, a comma-separated clause counts only for the unambiguous
        // keywords ("STOP, wrong number"), not for ones a customer uses about a job ("If not, cancel.").
        foreach (string sentence in SentenceSeparator().Split(text))
        {
            List<string> words = Tokenize(sentence);
            if (words.Count == 0 || words.Count == tokens.Count)
            {
                continue;
            }

            if (IsBareOptOut(words, OptOutKeywords) || RevocationPhrase().IsMatch(string.Join(' ', words)))
            {
                return InboundIntent.OptOut;
            }
        }

        foreach (string clause in ClauseSeparator().Split(text))
        {
            if (IsBareOptOut(Tokenize(clause), UnambiguousOptOutKeywords))
            {
                return InboundIntent.OptOut;
            }
        }

        return InboundIntent.Conversation;
    }

    /// <summary>True when the tokens, politeness words aside, are nothing but opt-out keywords from <paramref name="keywords"/>.</summary>
    private static bool IsBareOptOut(List<string> tokens, FrozenSet<string> keywords)
    {
        var words = new List<string>(tokens.Count);
        foreach (string token in tokens)
        {
            if (!Fillers.Contains(token))
            {
                words.Add(CollapseRepeats(token));
            }
        }

        if (words.Count == 0)
        {
            return false;
        }

        // "opt out", "opt-out", "stop all", "no mas", "S T O P"
        if (keywords.Contains(string.Concat(words)))
        {
            return true;
        }

        // "stop stop", "STOP END", "cancel all"
        bool anyKeyword = false;
        foreach (string word in words)
        {
            if (keywords.Contains(word))
            {
                anyKeyword = true;
            }
            else if (word != "all")
            {
                return false;
            }
        }

        return anyKeyword;
    }

    /// <summary>
    /// Lower-cases, folds compatibility forms (full-width letters) and diacritics ("más" => "mas",
    /// "ARRÊT" => "arret"), drops invisible format characters (zero-width joiners, emoji variation
    /// selectors) and turns "don't"/"don’t" into "dont".
    /// </summary>
    internal static string Normalize(string body)
    {
        string decomposed = WellFormed(body).Normalize(NormalizationForm.FormKD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (char c in decomposed)
        {
            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format)
            {
                continue;
            }

            if (c is '\'' or '\u2019' or '\u2018' or '\u02BC' or '`' or '\u00B4')
            {
                continue; // apostrophes join a word: don't => dont
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    /// <summary>
    /// The text with each lone surrogate half and each noncharacter (U+FDD0–U+FDEF, and U+FFFE/U+FFFF in every plane)
    /// replaced by U+FFFD, as a UTF-8 decoder would for the former: Unicode normalization refuses both, and a classifier
    /// must answer every text.
    /// </summary>
    private static string WellFormed(string text)
    {
        var span = text.AsSpan();
        if (!span.ContainsAnyInRange('\uD800', '\uDFFF') && !span.ContainsAnyInRange('\uFDD0', '\uFDEF') && !span.ContainsAnyInRange('\uFFFE', '\uFFFF'))
            return text;
        var sb = new StringBuilder(text.Length);
        // Enumerating runes already turns a lone surrogate into U+FFFD.
        foreach (var rune in text.EnumerateRunes())
            sb.Append(IsNoncharacter(rune.Value) ? Rune.ReplacementChar.ToString() : rune.ToString());
        return sb.ToString();
    }

    private static bool IsNoncharacter(int codePoint) => codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE;

    /// <summary>Words (runs of letters/digits); punctuation, symbols, emoji and whitespace separate them.</summary>
    internal static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool wordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (wordChar && start < 0)
            {
                start = i;
            }
            else if (!wordChar && start >= 0)
            {
                tokens.Add(text[start..i]);
                start = -1;
            }
        }

        return tokens;
    }

    /// <summary>"stooooop" => "stop", "STOPPPP" => "stop": runs of three or more of a letter become one.</summary>
    private static string CollapseRepeats(string word)
    {
        if (word.Length < 3)
        {
            return word;
        }

        var sb = new StringBuilder(word.Length);
        for (int i = 0; i < word.Length;)
        {
            int run = 1;
            while (i + run < word.Length && word[i + run] == word[i])
            {
                run++;
            }

            sb.Append(word[i], run >= 3 ? 1 : run);
            i += run;
        }

        return sb.ToString();
    }

    // Sentence boundaries: . ! ? ; line breaks, ellipsis, dashes, a hyphen between spaces.
    [GeneratedRegex(@"[.!?;\r\n\u2026\u2014\u2013\u00A1\u00BF]+|(?:^|\s)-+(?:\s|$)")]
    private static partial Regex SentenceSeparator();

    // Clause boundaries: sentence boundaries plus commas and colons.
    [GeneratedRegex(@"[.!?;,:\r\n\u2026\u2014\u2013\u00A1\u00BF]+|(?:^|\s)-+(?:\s|$)")]
    private static partial Regex ClauseSeparator();

    // Politeness words that may end a phrase ("remove me please").
    private const string Tail = @"(?: (?:please|pls|plz|now|ok|okay|thanks|thank you|thankyou|thx|ty|asap|por favor|gracias))*$";

    // Matched against the normalised words joined by single spaces (no punctuation, no apostrophes).
    // The look-behind keeps negations ("don't stop texting me", "I'll stop texting") out.
    [GeneratedRegex(
        @"(?<!\b(?:dont|do not|didnt|did not|never|wont|will not|ill|i will|cant|cannot|can not) )(?:"
        + @"\b(?:stop|quit) (?:(?:the|these|those|this|your|ur|all|all the|all these|all your) )?(?:texting|txting|texing|texts?|txts?|messaging|messages?|msgs?|sms)\b(?! (?:you|u|him|her|them)\b)"
        + @"|\b(?:end|cancel) (?:(?:the|these|those|your|ur|all|all the|all these|all your) )?(?:texting|texts|txts|messaging|messages|msgs)\b"
        + @"|^(?:(?:i said|i already said|i say|said|just|please just|just please) )(?:stop|stop it|unsubscribe|opt out|optout|cancel|end|quit|remove)" + Tail
        + @"|^(?:please )?(?:stop|quit) it" + Tail
        + @"|\b(?:stop|quit) (?:bothering|harassing|spamming|contacting) me\b"
        + @"|\b(?:dont|do not|dnt|never) (?:ever )?(?:text|txt|message|msg|sms|contact) (?:me|us|this number|my number)\b"
        + @"|\b(?:dont|do not|stop|quit) send(?:ing)? (?:me |us )?(?:any )?(?:more )?(?:texts?|txts?|messages?|msgs?|sms)\b"
        + @"|\b(?:dont|do not|i dont|i do not) want (?:any |your |these |the )?(?:more )?(?:texts?|txts?|messages?|msgs?|sms)\b"
        + @"|\btake (?:me|us|my number|this number) off(?:" + Tail + @"| (?:of )?(?:(?:your|ur|the|this|that|these|all|ya|yall) )?(?:\w+ )?(?:list|lists|contacts|texts|texting|messages|database|system)\b)"
        + @"|\bremove (?:me|us|my number|this number)(?:" + Tail + @"| from (?:(?:your|ur|the|this|that|these|all|ya|yall) )?(?:\w+ )?(?:list|lists|contacts|texts|texting|messages|database|system)\b)"
        + @"|\bunsubscribe\b|\bstopall\b|\brevoke\b|\boptout\b|\bopt (?:me )?out\b"
        + @"|\bno more (?:texts?|txts?|messages?|msgs?|sms|texting|messaging)\b"
        + @"|\bleave me alone\b|\blose my number\b|\bdelete my number\b"
        + @"|\bno mas (?:mensajes|textos|msjs?)\b"
        + @"|\bya no (?:me )?(?:envie|envies|envien|mande|mandes|manden|escriba|escribas|escriban|contacte|contactes|contacten)\b"
        + @")")]
    private static partial Regex RevocationPhrase();
}
