using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Recoverly.Texts;

public enum SmsEncoding { Gsm7, Ucs2 }

/// <summary>How an SMS body will be sent.</summary>
/// <param name="Encoding">GSM-7 unless one character is outside the GSM-7 alphabet, then UCS-2 for the whole message.</param>
/// <param name="Segments">Number of SMS parts the carrier bills for (an empty body still counts as one, as in Twilio's calculator).</param>
/// <param name="Characters">GSM-7: septets (extension characters such as <c>€ [ ] { } | ^ ~ \</c> count 2); UCS-2: graphemes.</param>
/// <param name="NonGsmCharacters">Distinct graphemes that forced UCS-2, in order of first appearance (empty for GSM-7).</param>
public sealed record SegmentInfo(SmsEncoding Encoding, int Segments, int Characters, IReadOnlyList<string> NonGsmCharacters);

/// <summary>
/// SMS encoding and segment count, computed the way Twilio's message-segment-calculator
/// (TwilioDevEd/message-segment-calculator) does: 1120-bit segments, a 48-bit user data header on every
/// part of a concatenated message, graphemes never split across parts.
/// </summary>
public static class SegmentCalculator
{
    internal const int BitsPerSegment = 1120; // 140 octets
    internal const int UserDataHeaderBits = 48; // 6 octets on every part of a concatenated message

    public static SegmentInfo Calculate(string body)
    {
        var layout = Layout(body);
        return new SegmentInfo(layout.Encoding, layout.Segments.Count, layout.Characters, layout.NonGsmCharacters);
    }

    /// <summary>Replaces typographic punctuation that would force UCS-2 with its plain GSM-7 equivalent.</summary>
    public static string ReplaceSmartCharacters(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.AsSpan().IndexOfAny(SmartCharacterKeys) < 0)
        {
            return body;
        }

        var result = new StringBuilder(body.Length + 8);
        foreach (var c in body)
        {
            if (SmartCharacters.TryGetValue(c, out var replacement))
            {
                result.Append(replacement);
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    /// <summary>The full segmentation, exposed to tests so the published bit sizes and per-part splits can be checked.</summary>
    internal static SmsLayout Layout(string body)
    {
        ArgumentNullException.ThrowIfNull(body);

        var graphemes = SplitGraphemes(body);
        var encoding = graphemes.TrueForAll(IsGsm7) ? SmsEncoding.Gsm7 : SmsEncoding.Ucs2;

        var characters = 0;
        var nonGsm = new List<string>();
        foreach (var grapheme in graphemes)
        {
            if (encoding == SmsEncoding.Gsm7)
            {
                characters += Septets(grapheme[0]);
            }
            else
            {
                characters++;
                if (!IsGsm7(grapheme) && !nonGsm.Contains(grapheme, StringComparer.Ordinal))
                {
                    nonGsm.Add(grapheme);
                }
            }
        }

        return new SmsLayout(encoding, BuildSegments(graphemes, encoding), characters, nonGsm);
    }

    private static List<string> SplitGraphemes(string body)
    {
        var graphemes = new List<string>(body.Length);
        var index = 0;
        while (index < body.Length)
        {
            var length = StringInfo.GetNextTextElementLength(body.AsSpan(index));
            var grapheme = body.Substring(index, length);
            if (grapheme == "\r\n")
            {
                // Twilio's calculator counts CR LF as two characters; as one grapheme it would force UCS-2.
                graphemes.Add("\r");
                graphemes.Add("\n");
            }
            else
            {
                graphemes.Add(grapheme);
            }

            index += length;
        }

        return graphemes;
    }

    private static List<SmsSegment> BuildSegments(List<string> graphemes, SmsEncoding encoding)
    {
        var segments = new List<SegmentBuilder> { new(hasUserDataHeader: false) };
        foreach (var grapheme in graphemes)
        {
            var bits = encoding == SmsEncoding.Gsm7 ? 7 * Septets(grapheme[0]) : 16 * grapheme.Length;
            var current = segments[^1];
            if (current.FreeBits < bits)
            {
                var next = new SegmentBuilder(hasUserDataHeader: true);
                if (!current.HasUserDataHeader)
                {
                    // The message turned out to be concatenated: the first part needs a header too,
                    // and whole graphemes that no longer fit move to the second part.
                    current.HasUserDataHeader = true;
                    var moved = new Stack<(string Grapheme, int Bits)>();
                    while (current.FreeBits < 0)
                    {
                        moved.Push(current.RemoveLast());
                    }

                    while (moved.Count > 0)
                    {
                        var (g, b) = moved.Pop();
                        next.Add(g, b);
                    }
                }

                segments.Add(next);
                current = next;
            }

            current.Add(grapheme, bits);
        }

        return segments.ConvertAll(s => s.Build());
    }

    private static bool IsGsm7(string grapheme) => grapheme.Length == 1 && GsmSeptets.ContainsKey(grapheme[0]);

    private static int Septets(char c) => GsmSeptets[c];

    private sealed class SegmentBuilder(bool hasUserDataHeader)
    {
        private readonly List<(string Grapheme, int Bits)> _characters = [];
        private int _messageBits;

        public bool HasUserDataHeader { get; set; } = hasUserDataHeader;

        public int FreeBits => BitsPerSegment - (HasUserDataHeader ? UserDataHeaderBits : 0) - _messageBits;

        public void Add(string grapheme, int bits)
        {
            _characters.Add((grapheme, bits));
            _messageBits += bits;
        }

        public (string Grapheme, int Bits) RemoveLast()
        {
            var last = _characters[^1];
            _characters.RemoveAt(_characters.Count - 1);
            _messageBits -= last.Bits;
            return last;
        }

        public SmsSegment Build() =>
            new(_characters.ConvertAll(c => c.Grapheme), _messageBits, HasUserDataHeader);
    }

    // GSM 03.38 default alphabet as mapped by Twilio's calculator (UnicodeToGSM.ts): character -> septets.
    // Note: only capital Ç is in the table (small ç forces UCS-2), and the backtick is not GSM-7.
    private static readonly FrozenDictionary<char, int> GsmSeptets = BuildGsmTable();

    private static FrozenDictionary<char, int> BuildGsmTable()
    {
        const string basic =
            "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" +
            "¡£¤¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùü" +
            "\u0393\u0394\u0398\u039B\u039E\u03A0\u03A3\u03A6\u03A8\u03A9"; // Γ Δ Θ Λ Ξ Π Σ Φ Ψ Ω
        const string extension = "\f[\\]^{|}~€"; // sent as ESC + code: 2 septets

        var table = new Dictionary<char, int>();
        foreach (var c in basic)
        {
            table.Add(c, 1);
        }

        foreach (var c in extension)
        {
            table.Add(c, 2);
        }

        return table.ToFrozenDictionary();
    }

    // Typographic punctuation that word processors and phones insert; each forces UCS-2 on its own.
    private static readonly FrozenDictionary<char, string> SmartCharacters = new Dictionary<char, string>
    {
        ['\u2018'] = "'", // ‘ left single quotation mark
        ['\u2019'] = "'", // ’ right single quotation mark / apostrophe
        ['\u201B'] = "'", // ‛ single high-reversed-9 quotation mark
        ['\u201C'] = "\"", // “ left double quotation mark
        ['\u201D'] = "\"", // ” right double quotation mark
        ['\u201E'] = "\"", // „ double low-9 quotation mark
        ['\u201F'] = "\"", // ‟ double high-reversed-9 quotation mark
        ['\u00AB'] = "\"", // « left-pointing double angle quotation mark
        ['\u00BB'] = "\"", // » right-pointing double angle quotation mark
        ['\u2010'] = "-", // ‐ hyphen
        ['\u2011'] = "-", // ‑ non-breaking hyphen
        ['\u2012'] = "-", // ‒ figure dash
        ['\u2013'] = "-", // – en dash
        ['\u2014'] = "-", // — em dash
        ['\u2015'] = "-", // ― horizontal bar
        ['\u2026'] = "...", // … horizontal ellipsis
        ['\u00A0'] = " ", // no-break space
        ['\u202F'] = " ", // narrow no-break space
    }.ToFrozenDictionary();

    private static readonly SearchValues<char> SmartCharacterKeys = SearchValues.Create([.. SmartCharacters.Keys]);
}

/// <summary>One SMS part: its graphemes, their size in bits, and whether it carries the 48-bit concatenation header.</summary>
internal sealed record SmsSegment(IReadOnlyList<string> Characters, int MessageBits, bool HasUserDataHeader)
{
    public int TotalBits => MessageBits + (HasUserDataHeader ? SegmentCalculator.UserDataHeaderBits : 0);
}

internal sealed record SmsLayout(
    SmsEncoding Encoding,
    IReadOnlyList<SmsSegment> Segments,
    int Characters,
    IReadOnlyList<string> NonGsmCharacters)
{
    /// <summary>Bits of message text, excluding headers (Twilio's <c>messageSize</c>).</summary>
    public int MessageBits => Segments.Sum(s => s.MessageBits);

    /// <summary>Bits including headers (Twilio's <c>totalSize</c>).</summary>
    public int TotalBits => Segments.Sum(s => s.TotalBits);
}
