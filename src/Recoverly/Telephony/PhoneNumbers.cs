using System.Collections.Frozen;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace Recoverly.Telephony;

/// <summary>How a caller ID presented itself (docs/product/missed-calls.md).</summary>
public enum CallerIdKind
{
    /// <summary>No usable number: anonymous/restricted/…, keypad spellings, SIP/client URIs, anything not E.164.</summary>
    Withheld,

    /// <summary>E.164-looking but fewer than 7 digits after '+'.</summary>
    ShortCode,

    /// <summary>An E.164 number.</summary>
    Number,
}

/// <summary>
/// A parsed caller ID. <paramref name="E164"/> is null when withheld; <paramref name="RegionCode"/> is the
/// ISO 3166 region ("US", "CA", "JM", "GB", …) or null when the number cannot be placed in one.
/// </summary>
public sealed record CallerId(CallerIdKind Kind, string? E164, string? RegionCode);

/// <summary>Caller-ID parsing, owner-input normalisation, display formatting and log masking.</summary>
/// <remarks>
/// Named <c>Phones</c> rather than <c>PhoneNumbers</c>: libphonenumber's root namespace is <c>PhoneNumbers</c>
/// and would win name lookup everywhere outside <c>Recoverly.Telephony</c>.
/// </remarks>
public static partial class Phones
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// The IANA time zones libphonenumber places a number's area in (one for most NANP area codes, several for a few);
    /// empty when it cannot place it. By prefix only: a fictional 555 number still gets its area code's zone.
    /// </summary>
    public static IReadOnlyList<string> TimeZones(string e164)
    {
        try
        {
            var mapper = PhoneNumberToTimeZonesMapper.GetInstance();
            var unknown = mapper.GetUnknownTimeZone();
            return mapper.GetTimeZonesForGeographicalNumber(Util.Parse(e164, null)).Where(z => z != unknown).ToList();
        }
        catch (NumberParseException)
        {
            return [];
        }
    }

    /// <summary>Regions texted when the operator has not configured any others (docs/product/missed-calls.md).</summary>
    public static IReadOnlyList<string> DefaultAllowedRegions { get; } = ["US", "CA"];

    private static readonly FrozenSet<string> WithheldWords = FrozenSet.ToFrozenSet(
        ["anonymous", "restricted", "unknown", "unavailable", "private", "blocked", "withheld"],
        StringComparer.OrdinalIgnoreCase);

    // Twilio's keypad spellings of ANONYMOUS, RESTRICTED, UNAVAILABLE, BLOCKED, UNKNOWN (docs/product/missed-calls.md).
    private static readonly FrozenSet<string> KeypadSpellings = FrozenSet.ToFrozenSet(
        ["+266696687", "+7378742833", "+86282452253", "+2562533", "+8656696"]);

    private const int ShortCodeMaxDigits = 6;
    private const string Stars = "*******";

    /// <summary>Classifies a webhook <c>From</c> value (docs/product/missed-calls.md: "withheld" and "short code").</summary>
    public static CallerId ParseCaller(string? raw)
    {
        var withheld = new CallerId(CallerIdKind.Withheld, null, null);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return withheld;
        }

        string value = raw.Trim();
        if (WithheldWords.Contains(value)
            || value.StartsWith("client:", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("sip:", StringComparison.OrdinalIgnoreCase)
            || KeypadSpellings.Contains(value) // before the length rules: +2562533 and +8656696 would pass as 7-digit numbers
            || !E164Pattern().IsMatch(value))
        {
            return withheld;
        }

        if (value.Length - 1 <= ShortCodeMaxDigits)
        {
            return new CallerId(CallerIdKind.ShortCode, value, null);
        }

        return new CallerId(CallerIdKind.Number, value, RegionOf(value));
    }

    /// <summary>
    /// Normalises a number typed by an owner ("(512) 555-0142", "512-555-0142", "+1 512 555 0142") to
    /// E.164, reading it in <paramref name="defaultRegion"/> unless it starts with '+'. Returns null when
    /// it does not look like a dialable number. NANP numbers need only be possible and well-formed
    /// (NXX-NXX-XXXX), so fictional 555-01xx numbers are accepted; others must be valid.
    /// </summary>
    public static string? NormalizeUserInput(string? input, string defaultRegion = "US")
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }

        string value = input.Trim();
        if (!UserInputPattern().IsMatch(value))
        {
            return null; // letters, extensions, URIs, a '+' in the middle
        }

        PhoneNumber number;
        try
        {
            number = Util.Parse(value, defaultRegion);
        }
        catch (NumberParseException)
        {
            return null;
        }

        if (number.HasExtension)
        {
            return null;
        }

        bool acceptable = number.CountryCode == 1
            ? Util.IsPossibleNumber(number) && NanpNational().IsMatch(Util.GetNationalSignificantNumber(number))
            : Util.IsValidNumber(number);
        return acceptable ? Util.Format(number, PhoneNumberFormat.E164) : null;
    }

    /// <summary>"+15125550142" => "(512) 555-0142"; other countries in international format ("+44 20 7946 0958").
    /// Anything that is not E.164 is returned unchanged.</summary>
    public static string FormatForDisplay(string e164)
    {
        ArgumentNullException.ThrowIfNull(e164);
        string value = e164.Trim();
        if (!E164Pattern().IsMatch(value))
        {
            return e164;
        }

        if (value.Length == 12 && value[1] == '1')
        {
            return $"({value[2..5]}) {value[5..8]}-{value[8..]}";
        }

        try
        {
            return Util.Format(Util.Parse(value, null), PhoneNumberFormat.INTERNATIONAL);
        }
        catch (NumberParseException)
        {
            return value;
        }
    }

    /// <summary>
    /// For logs: country code and last two digits, a fixed run of stars in between so the length is not
    /// disclosed ("+15125550142" => "+1*******42"). Anything not E.164 => "***".
    /// </summary>
    public static string Mask(string? phone)
    {
        if (phone is null)
        {
            return "***";
        }

        string value = phone.Trim();
        if (!E164Pattern().IsMatch(value))
        {
            return "***";
        }

        string digits = value[1..];
        for (int length = 1; length <= 3 && length < digits.Length; length++)
        {
            // E.164 country codes are prefix-free, so the first known prefix is the country code.
            if (Util.GetRegionCodeForCountryCode(int.Parse(digits[..length], System.Globalization.CultureInfo.InvariantCulture)) != "ZZ")
            {
                string rest = digits[length..];
                return rest.Length < 3 ? "***" : $"+{digits[..length]}{Stars}{rest[^2..]}";
            }
        }

        return "***";
    }

    /// <summary>True when <paramref name="regionCode"/> is one of <paramref name="allowedRegions"/> (case-insensitive).
    /// A null region (a number that could not be placed) is never allowed.</summary>
    public static bool IsAllowedRegion(string? regionCode, IReadOnlyCollection<string> allowedRegions)
    {
        ArgumentNullException.ThrowIfNull(allowedRegions);
        if (string.IsNullOrWhiteSpace(regionCode))
        {
            return false;
        }

        string region = regionCode.Trim();
        foreach (string allowed in allowedRegions)
        {
            if (allowed is not null && string.Equals(allowed.Trim(), region, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><see cref="IsAllowedRegion(string?, IReadOnlyCollection{string})"/> with <see cref="DefaultAllowedRegions"/> (US, CA).</summary>
    public static bool IsAllowedRegion(string? regionCode) => IsAllowedRegion(regionCode, DefaultAllowedRegions);

    /// <summary>
    /// True for numbers that cost the caller extra or forward somewhere unknown: premium rate (+1 900…), shared cost,
    /// personal numbers (+1 5XX), UAN and voicemail access numbers. Recoverly never dials these for an owner.
    /// </summary>
    public static bool IsPremiumOrUnusual(string e164)
    {
        PhoneNumber number;
        try
        {
            number = Util.Parse(e164, null);
        }
        catch (NumberParseException)
        {
            return true;
        }

        return Util.GetNumberType(number) is PhoneNumberType.PREMIUM_RATE or PhoneNumberType.SHARED_COST or PhoneNumberType.PERSONAL_NUMBER
            or PhoneNumberType.UAN or PhoneNumberType.VOICEMAIL;
    }

    private static string? RegionOf(string e164)
    {
        PhoneNumber number;
        try
        {
            number = Util.Parse(e164, null);
        }
        catch (NumberParseException)
        {
            return null; // e.g. an unassigned country code
        }

        if (!Util.IsPossibleNumber(number))
        {
            return null;
        }

        // NANP: exactly +1 NXX NXX XXXX as received (libphonenumber would quietly drop an extra leading 1).
        if (number.CountryCode == 1 && (e164.Length != 12 || !NanpNational().IsMatch(e164[2..])))
        {
            return null;
        }

        // Region from libphonenumber's numbering plan, valid or merely possible (555-01xx). A +1 number whose
        // area code libphonenumber cannot place (e.g. +1 555…) gets null, i.e. it is treated as international.
        string? region = Util.GetRegionCodeForNumber(number);
        return string.IsNullOrEmpty(region) || region == "ZZ" || region == "001" ? null : region;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$")]
    private static partial Regex E164Pattern();

    // NANP national number: NPA and exchange start with 2-9.
    [GeneratedRegex(@"^[2-9][0-9]{2}[2-9][0-9]{6}$")]
    private static partial Regex NanpNational();

    // Digits with the usual separators; an optional leading '+'.
    [GeneratedRegex(@"^\+?[\d\s().\-/\u2010-\u2015\u00A0]+$")]
    private static partial Regex UserInputPattern();
}
