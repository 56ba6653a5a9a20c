using Recoverly.Texts;

namespace Recoverly.Tests.Texts;

// Vectors are copied verbatim from the tests of Twilio's public message-segment-calculator
// (TwilioDevEd/message-segment-calculator, tests/index.test.js); per-segment splits are derived from them by hand.
// Non-ASCII characters are written as escapes so invisible ones (the ZWJ in the rainbow flag) stay visible.
public class SegmentCalculatorTests
{
    // tests/index.test.js `${escapeChar}` + these digits: 160 septets (one part) and 161 septets (two parts).
    private const string DigitsAfterEscapeOneSegment =
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678";
    private const string DigitsAfterEscapeTwoSegments =
        "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789";

    private const string RainbowFlag = "\U0001F3F3\uFE0F\u200D\U0001F308"; // white flag, VS16, ZWJ, rainbow

    // index.test.js `TestData`: description, body, encoding, segments, messageSize, totalSize, characters, unicodeScalars.
    [Theory]
    [InlineData("GSM-7 in one segment", "1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890", SmsEncoding.Gsm7, 1, 1120, 1120, 160, 160)]
    [InlineData("GSM-7 in two segments", "12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901", SmsEncoding.Gsm7, 2, 1127, 1223, 161, 161)]
    [InlineData("GSM-7 in three segments", "1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567", SmsEncoding.Gsm7, 3, 2149, 2293, 307, 307)]
    [InlineData("UCS-2 message in one segment", "\U0001F61C23456789012345678901234567890123456789012345678901234567890123456789", SmsEncoding.Ucs2, 1, 1120, 1120, 69, 69)]
    [InlineData("UCS-2 message in two segments", "\U0001F61C234567890123456789012345678901234567890123456789012345678901234567890", SmsEncoding.Ucs2, 2, 1136, 1232, 70, 70)]
    [InlineData("UCS-2 message in three segments", "\U0001F61C2345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234", SmsEncoding.Ucs2, 3, 2160, 2304, 134, 134)]
    [InlineData("UCS-2 with two bytes extended characters in one segments boundary", "\U0001F1EE\U0001F1F9234567890123456789012345678901234567890123456789012345678901234567", SmsEncoding.Ucs2, 1, 1120, 1120, 67, 68)]
    [InlineData("UCS-2 with extended characters in two segments boundary", "\U0001F1EE\U0001F1F92345678901234567890123456789012345678901234567890123456789012345678", SmsEncoding.Ucs2, 2, 1136, 1232, 68, 69)]
    [InlineData("UCS-2 with four bytes extended characters in one segments boundary", "\U0001F3F3\uFE0F\u200D\U0001F3082345678901234567890123456789012345678901234567890123456789012345", SmsEncoding.Ucs2, 1, 1120, 1120, 65, 68)]
    [InlineData("UCS-2 with four bytes extended characters in two segments boundary", "\U0001F3F3\uFE0F\u200D\U0001F30823456789012345678901234567890123456789012345678901234567890123456", SmsEncoding.Ucs2, 2, 1136, 1232, 66, 69)]
    public void Published_calculator_vector_gives_same_encoding_segments_and_sizes(
        string description,
        string body,
        SmsEncoding encoding,
        int segments,
        int messageSize,
        int totalSize,
        int characters,
        int unicodeScalars)
    {
        var info = SegmentCalculator.Calculate(body);
        var layout = SegmentCalculator.Layout(body);

        Assert.Equal(
            (description, encoding, segments, characters, messageSize, totalSize),
            (description, info.Encoding, info.Segments, info.Characters, layout.MessageBits, layout.TotalBits));
        // Guards the copied vector itself (e.g. that the invisible ZWJ survived).
        Assert.Equal(unicodeScalars, body.EnumerateRunes().Count());
    }

    // The newer index.test.js adds this vector for `new SegmentedMessage(body, 'auto', false, 'MY')`: Malaysian
    // rules send é as UCS-2 (published: UCS-2, 2 segments, 1808/1904 bits, 113 characters). Calculate has no
    // country parameter and uses the default GSM-7 table, where é (U+00E9) is GSM-7, so the message fits one part.
    [Fact]
    public void Malaysia_vector_under_default_rules_stays_gsm7_in_one_segment()
    {
        const string body =
            "Hi I am john, this is my message in MY sms format \u00E9, this should generate to 2 segments and be formatted in UCS-2";

        var info = SegmentCalculator.Calculate(body);

        Assert.Equal((SmsEncoding.Gsm7, 1, 113), (info.Encoding, info.Segments, info.Characters));
        Assert.Empty(info.NonGsmCharacters);
        Assert.Equal(113 * 7, SegmentCalculator.Layout(body).MessageBits);
    }

    [Theory]
    [InlineData("|")]
    [InlineData("^")]
    [InlineData("\u20AC")] // €
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("[")]
    [InlineData("]")]
    [InlineData("~")]
    [InlineData("\\")]
    public void Escape_character_plus_158_digits_fills_exactly_one_segment(string escapeChar)
    {
        var body = escapeChar + DigitsAfterEscapeOneSegment;

        var info = SegmentCalculator.Calculate(body);
        var layout = SegmentCalculator.Layout(body);

        Assert.Equal((SmsEncoding.Gsm7, 1, 160), (info.Encoding, info.Segments, info.Characters));
        Assert.Equal((1120, 1120), (layout.MessageBits, layout.TotalBits));
    }

    [Theory]
    [InlineData("|")]
    [InlineData("^")]
    [InlineData("\u20AC")] // €
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("[")]
    [InlineData("]")]
    [InlineData("~")]
    [InlineData("\\")]
    public void Escape_character_plus_159_digits_spills_into_a_second_segment(string escapeChar)
    {
        var body = escapeChar + DigitsAfterEscapeTwoSegments;

        var info = SegmentCalculator.Calculate(body);
        var layout = SegmentCalculator.Layout(body);

        Assert.Equal((SmsEncoding.Gsm7, 2, 161), (info.Encoding, info.Segments, info.Characters));
        Assert.Equal((1127, 1223), (layout.MessageBits, layout.TotalBits));
    }

    [Fact]
    public void Form_feed_is_an_extension_character_costing_two_septets()
    {
        var info = SegmentCalculator.Calculate("a\fb");

        Assert.Equal((SmsEncoding.Gsm7, 1, 4), (info.Encoding, info.Segments, info.Characters));
    }

    [Fact]
    public void Escape_characters_count_one_unit_each_once_the_message_is_ucs2()
    {
        // charDetails.test.js (issue #57): 69 GSM characters incl. extension ones plus one ∞ => 70 UTF-16 units, 1 part.
        const string body = "||||||||||||||||||||||||{||||||||||||||||||||||||||||\u221E||||||||||^|||||";

        var info = SegmentCalculator.Calculate(body);
        var layout = SegmentCalculator.Layout(body);

        Assert.Equal((SmsEncoding.Ucs2, 1, 70), (info.Encoding, info.Segments, info.Characters));
        Assert.Equal(70 * 16, layout.Segments[0].MessageBits);
        Assert.Equal(["\u221E"], info.NonGsmCharacters);
    }

    [Theory]
    [InlineData("\u00C1")] // Á
    [InlineData("\u00DA")] // Ú
    [InlineData("\u00FA")] // ú
    [InlineData("\u00E7")] // ç (only capital Ç is in the GSM-7 table)
    [InlineData("\u00ED")] // í
    [InlineData("\u00CD")] // Í
    [InlineData("\u00F3")] // ó
    [InlineData("\u00D3")] // Ó
    public void Seventy_accented_non_gsm_characters_fit_one_ucs2_segment_and_71_need_two(string character)
    {
        var seventy = SegmentCalculator.Calculate(string.Concat(Enumerable.Repeat(character, 70)));
        var seventyOne = SegmentCalculator.Calculate(string.Concat(Enumerable.Repeat(character, 71)));

        Assert.Equal((SmsEncoding.Ucs2, 1, 70), (seventy.Encoding, seventy.Segments, seventy.Characters));
        Assert.Equal((SmsEncoding.Ucs2, 2, 71), (seventyOne.Encoding, seventyOne.Segments, seventyOne.Characters));
        Assert.Equal([character], seventy.NonGsmCharacters);
        Assert.Equal([character], seventyOne.NonGsmCharacters);
    }

    // index.test.js "Special tests" (issue #18): extension characters cost 16 bits, not 2 x 16, in a UCS-2 message.
    [Theory]
    [InlineData(68, 1)]
    [InlineData(69, 2)]
    public void Emoji_followed_by_closing_brackets_is_sized_as_ucs2_units(int brackets, int segments)
    {
        var body = "\U0001F600" + new string(']', brackets);

        var info = SegmentCalculator.Calculate(body);

        Assert.Equal((SmsEncoding.Ucs2, segments), (info.Encoding, info.Segments));
    }

    [Fact]
    public void Crlf_counts_as_two_gsm7_characters()
    {
        var info = SegmentCalculator.Calculate("\rabcde\r\n123");

        Assert.Equal((SmsEncoding.Gsm7, 1, 11), (info.Encoding, info.Segments, info.Characters));
    }

    [Fact]
    public void Lf_line_breaks_count_one_character_each()
    {
        var info = SegmentCalculator.Calculate("\nabcde\n\n123\n");

        Assert.Equal((SmsEncoding.Gsm7, 1, 12), (info.Encoding, info.Segments, info.Characters));
    }

    [Fact]
    public void Letter_with_three_combining_accents_is_one_character()
    {
        const string body = "e\u0301\u0301\u0301";

        var info = SegmentCalculator.Calculate(body);

        Assert.Equal((SmsEncoding.Ucs2, 1, 1), (info.Encoding, info.Segments, info.Characters));
        Assert.Equal(4, body.EnumerateRunes().Count());
        Assert.Equal([body], info.NonGsmCharacters);
    }

    // Issue #17: the accented grapheme is 4 UTF-16 units, so 66 more letters make 70 units (one part), 67 make two.
    [Theory]
    [InlineData(66, 1)]
    [InlineData(67, 2)]
    public void Letter_with_three_combining_accents_is_sized_by_its_utf16_units(int letters, int segments)
    {
        var body = "e\u0301\u0301\u0301" + new string('a', letters);

        var info = SegmentCalculator.Calculate(body);

        Assert.Equal((SmsEncoding.Ucs2, segments, letters + 1), (info.Encoding, info.Segments, info.Characters));
    }

    [Fact]
    public void Non_gsm_characters_of_mas_is_the_accented_a()
    {
        var info = SegmentCalculator.Calculate("m\u00E1s");

        Assert.Equal(["\u00E1"], info.NonGsmCharacters);
    }

    [Fact]
    public void Non_gsm_characters_are_distinct_and_in_order_of_first_appearance()
    {
        var info = SegmentCalculator.Calculate("\u00E7a \U0001F600 \u00E7a \u2019 \U0001F600 " + RainbowFlag);

        Assert.Equal(["\u00E7", "\U0001F600", "\u2019", RainbowFlag], info.NonGsmCharacters);
    }

    // segments.test.js: every part of a concatenated message carries the header, and the third part holds one character.
    [Fact]
    public void Gsm7_message_of_307_digits_leaves_one_digit_for_the_third_segment()
    {
        var layout = SegmentCalculator.Layout(string.Concat(Enumerable.Repeat("1234567890", 31))[..307]);

        Assert.Equal([153, 153, 1], layout.Segments.Select(s => s.Characters.Count));
        Assert.All(layout.Segments, s => Assert.True(s.HasUserDataHeader));
        Assert.Equal("7", layout.Segments[2].Characters[0]);
    }

    [Fact]
    public void Ucs2_message_of_emoji_and_133_digits_leaves_one_digit_for_the_third_segment()
    {
        const string body =
            "\U0001F61C2345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234";

        var layout = SegmentCalculator.Layout(body);

        Assert.Equal([66, 67, 1], layout.Segments.Select(s => s.Characters.Count));
        Assert.All(layout.Segments, s => Assert.True(s.HasUserDataHeader));
        Assert.Equal("4", layout.Segments[2].Characters[0]);
    }

    // charDetails.test.js: 161 x 'A' splits 153 | 8.
    [Fact]
    public void Gsm7_message_of_161_letters_splits_153_and_8()
    {
        var layout = SegmentCalculator.Layout(new string('A', 161));

        Assert.Equal([153, 8], layout.Segments.Select(s => s.Characters.Count));
    }

    // §5.3 DERIVED breakdowns: graphemes per part; a surrogate pair or flag never straddles two parts.
    [Theory]
    [InlineData("\U0001F61C", 68, new[] { 69 })]
    [InlineData("\U0001F61C", 69, new[] { 66, 4 })]
    [InlineData("\U0001F61C", 133, new[] { 66, 67, 1 })]
    [InlineData("\U0001F1EE\U0001F1F9", 66, new[] { 67 })] // Italian flag, 4 UTF-16 units
    [InlineData("\U0001F1EE\U0001F1F9", 67, new[] { 64, 4 })]
    [InlineData(RainbowFlag, 64, new[] { 65 })] // 6 UTF-16 units
    [InlineData(RainbowFlag, 65, new[] { 62, 4 })]
    public void Leading_emoji_stays_whole_in_the_first_segment(string emoji, int digits, int[] charactersPerSegment)
    {
        var body = emoji + string.Concat(Enumerable.Repeat("2345678901", 14))[..digits];

        var layout = SegmentCalculator.Layout(body);

        Assert.Equal(charactersPerSegment, layout.Segments.Select(s => s.Characters.Count));
        Assert.Equal(emoji, layout.Segments[0].Characters[0]);
        Assert.Equal(body, string.Concat(layout.Segments.SelectMany(s => s.Characters)));
    }

    [Fact]
    public void Emoji_that_would_straddle_the_boundary_moves_whole_to_the_next_segment()
    {
        // 66 digits + emoji = 68 units: fits a single 70-unit message, but adding 3 more digits forces concatenation,
        // and the first part (67 units with header) can hold the 66 digits but not the emoji's two units.
        var body = new string('1', 66) + "\U0001F600" + "123";

        var layout = SegmentCalculator.Layout(body);

        Assert.Equal([66, 4], layout.Segments.Select(s => s.Characters.Count));
        Assert.Equal("\U0001F600", layout.Segments[1].Characters[0]);
    }

    [Fact]
    public void Smart_apostrophe_switches_the_whole_message_to_ucs2()
    {
        var info = SegmentCalculator.Calculate("Don\u2019t miss your call");

        Assert.Equal((SmsEncoding.Ucs2, 1, 20), (info.Encoding, info.Segments, info.Characters));
        Assert.Equal(["\u2019"], info.NonGsmCharacters);
    }

    [Fact]
    public void Smart_apostrophe_replaced_by_plain_apostrophe_makes_the_message_gsm7_again()
    {
        var info = SegmentCalculator.Calculate(SegmentCalculator.ReplaceSmartCharacters("Don\u2019t miss your call"));

        Assert.Equal((SmsEncoding.Gsm7, 1, 20), (info.Encoding, info.Segments, info.Characters));
        Assert.Empty(info.NonGsmCharacters);
    }

    [Fact]
    public void Euro_sign_costs_two_septets()
    {
        var info = SegmentCalculator.Calculate("Price: \u20AC10");

        Assert.Equal((SmsEncoding.Gsm7, 1, 11), (info.Encoding, info.Segments, info.Characters));
        Assert.Empty(info.NonGsmCharacters);
    }

    [Fact]
    public void Every_character_of_twilios_gsm7_table_stays_gsm7_with_its_septet_cost()
    {
        var mismatches = new List<string>();
        foreach (var (codePoint, septets) in TwilioGsm7Table)
        {
            var info = SegmentCalculator.Calculate(((char)codePoint).ToString());
            if (info.Encoding != SmsEncoding.Gsm7 || info.Characters != septets)
            {
                mismatches.Add($"U+{codePoint:X4}: {info.Encoding}/{info.Characters}");
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Characters_outside_twilios_gsm7_table_force_ucs2()
    {
        var mismatches = new List<string>();
        for (var codePoint = 0; codePoint < 0x0400; codePoint++)
        {
            if (TwilioGsm7Table.ContainsKey(codePoint))
            {
                continue;
            }

            var text = ((char)codePoint).ToString();
            var info = SegmentCalculator.Calculate("a" + text);
            // Combining marks join the preceding 'a' into one non-GSM grapheme; either way the message is UCS-2.
            if (info.Encoding != SmsEncoding.Ucs2)
            {
                mismatches.Add($"U+{codePoint:X4}");
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Empty_body_is_one_empty_gsm7_segment_as_in_twilios_calculator()
    {
        var info = SegmentCalculator.Calculate("");

        Assert.Equal((SmsEncoding.Gsm7, 1, 0), (info.Encoding, info.Segments, info.Characters));
        Assert.Empty(info.NonGsmCharacters);
    }

    [Fact]
    public void Null_body_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => SegmentCalculator.Calculate(null!));
        Assert.Throws<ArgumentNullException>(() => SegmentCalculator.ReplaceSmartCharacters(null!));
    }

    [Fact]
    public void Default_text_back_template_with_a_short_business_name_is_one_gsm7_segment()
    {
        const string body =
            "Hi, this is Joe's Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.";

        var info = SegmentCalculator.Calculate(body);

        Assert.Equal((SmsEncoding.Gsm7, 1, body.Length), (info.Encoding, info.Segments, info.Characters));
    }

    [Theory]
    [InlineData("\u2018", "'")] // ‘
    [InlineData("\u2019", "'")] // ’
    [InlineData("\u201B", "'")] // ‛
    [InlineData("\u201C", "\"")] // “
    [InlineData("\u201D", "\"")] // ”
    [InlineData("\u201E", "\"")] // „
    [InlineData("\u201F", "\"")] // ‟
    [InlineData("\u00AB", "\"")] // «
    [InlineData("\u00BB", "\"")] // »
    [InlineData("\u2010", "-")] // hyphen
    [InlineData("\u2011", "-")] // non-breaking hyphen
    [InlineData("\u2012", "-")] // figure dash
    [InlineData("\u2013", "-")] // –
    [InlineData("\u2014", "-")] // —
    [InlineData("\u2015", "-")] // horizontal bar
    [InlineData("\u2026", "...")] // …
    [InlineData("\u00A0", " ")] // no-break space
    [InlineData("\u202F", " ")] // narrow no-break space
    public void Smart_character_is_replaced_by_its_gsm7_equivalent(string smart, string plain)
    {
        Assert.Equal(SmsEncoding.Ucs2, SegmentCalculator.Calculate(smart).Encoding);

        var replaced = SegmentCalculator.ReplaceSmartCharacters(smart);

        Assert.Equal(plain, replaced);
        Assert.Equal(SmsEncoding.Gsm7, SegmentCalculator.Calculate(replaced).Encoding);
    }

    [Fact]
    public void Smart_quotes_in_a_template_are_all_replaced_at_once_and_the_text_becomes_gsm7()
    {
        const string smart =
            "Hi, this is \u201CJoe\u2019s Plumbing\u201D \u2013 sorry we missed your call\u2026\u00A0Reply STOP to opt out \u2014 thanks";

        var replaced = SegmentCalculator.ReplaceSmartCharacters(smart);

        Assert.Equal(
            "Hi, this is \"Joe's Plumbing\" - sorry we missed your call... Reply STOP to opt out - thanks",
            replaced);
        Assert.Equal(SmsEncoding.Ucs2, SegmentCalculator.Calculate(smart).Encoding);
        Assert.Equal(SmsEncoding.Gsm7, SegmentCalculator.Calculate(replaced).Encoding);
    }

    [Fact]
    public void Replacing_smart_characters_leaves_plain_text_and_emoji_untouched()
    {
        const string plain = "Call us at (555) 010-0199 \u20AC [ok] caf\u00E9 \U0001F600";

        Assert.Equal(plain, SegmentCalculator.ReplaceSmartCharacters(plain));
        Assert.Equal("Don't \U0001F600", SegmentCalculator.ReplaceSmartCharacters("Don\u2019t \U0001F600"));
    }

    [Fact]
    public void Replacement_cannot_fix_characters_that_are_not_typographic_punctuation()
    {
        var info = SegmentCalculator.Calculate(SegmentCalculator.ReplaceSmartCharacters("Gar\u00E7on\u2019s \U0001F600"));

        Assert.Equal(SmsEncoding.Ucs2, info.Encoding);
        Assert.Equal(["\u00E7", "\U0001F600"], info.NonGsmCharacters);
    }

    // That calculator's src/libs/UnicodeToGSM.ts: code point -> septets (2 = ESC + code).
    private static readonly Dictionary<int, int> TwilioGsm7Table = new()
    {
        [0x000A] = 1, [0x000C] = 2, [0x000D] = 1, [0x0020] = 1, [0x0021] = 1, [0x0022] = 1, [0x0023] = 1, [0x0024] = 1,
        [0x0025] = 1, [0x0026] = 1, [0x0027] = 1, [0x0028] = 1, [0x0029] = 1, [0x002A] = 1, [0x002B] = 1, [0x002C] = 1,
        [0x002D] = 1, [0x002E] = 1, [0x002F] = 1, [0x0030] = 1, [0x0031] = 1, [0x0032] = 1, [0x0033] = 1, [0x0034] = 1,
        [0x0035] = 1, [0x0036] = 1, [0x0037] = 1, [0x0038] = 1, [0x0039] = 1, [0x003A] = 1, [0x003B] = 1, [0x003C] = 1,
        [0x003D] = 1, [0x003E] = 1, [0x003F] = 1, [0x0040] = 1, [0x0041] = 1, [0x0042] = 1, [0x0043] = 1, [0x0044] = 1,
        [0x0045] = 1, [0x0046] = 1, [0x0047] = 1, [0x0048] = 1, [0x0049] = 1, [0x004A] = 1, [0x004B] = 1, [0x004C] = 1,
        [0x004D] = 1, [0x004E] = 1, [0x004F] = 1, [0x0050] = 1, [0x0051] = 1, [0x0052] = 1, [0x0053] = 1, [0x0054] = 1,
        [0x0055] = 1, [0x0056] = 1, [0x0057] = 1, [0x0058] = 1, [0x0059] = 1, [0x005A] = 1, [0x005B] = 2, [0x005C] = 2,
        [0x005D] = 2, [0x005E] = 2, [0x005F] = 1, [0x0061] = 1, [0x0062] = 1, [0x0063] = 1, [0x0064] = 1, [0x0065] = 1,
        [0x0066] = 1, [0x0067] = 1, [0x0068] = 1, [0x0069] = 1, [0x006A] = 1, [0x006B] = 1, [0x006C] = 1, [0x006D] = 1,
        [0x006E] = 1, [0x006F] = 1, [0x0070] = 1, [0x0071] = 1, [0x0072] = 1, [0x0073] = 1, [0x0074] = 1, [0x0075] = 1,
        [0x0076] = 1, [0x0077] = 1, [0x0078] = 1, [0x0079] = 1, [0x007A] = 1, [0x007B] = 2, [0x007C] = 2, [0x007D] = 2,
        [0x007E] = 2, [0x00A1] = 1, [0x00A3] = 1, [0x00A4] = 1, [0x00A5] = 1, [0x00A7] = 1, [0x00BF] = 1, [0x00C4] = 1,
        [0x00C5] = 1, [0x00C6] = 1, [0x00C9] = 1, [0x00D1] = 1, [0x00D6] = 1, [0x00D8] = 1, [0x00DC] = 1, [0x00DF] = 1,
        [0x00E0] = 1, [0x00E4] = 1, [0x00E5] = 1, [0x00E6] = 1, [0x00C7] = 1, [0x00E8] = 1, [0x00E9] = 1, [0x00EC] = 1,
        [0x00F1] = 1, [0x00F2] = 1, [0x00F6] = 1, [0x00F8] = 1, [0x00F9] = 1, [0x00FC] = 1, [0x0393] = 1, [0x0394] = 1,
        [0x0398] = 1, [0x039B] = 1, [0x039E] = 1, [0x03A0] = 1, [0x03A3] = 1, [0x03A6] = 1, [0x03A8] = 1, [0x03A9] = 1,
        [0x20AC] = 2,
    };
}
