namespace Recoverly.Telephony;
public enum CallerIdKind { Withheld, ShortCode, Number }
public sealed record CallerId(CallerIdKind Kind, string? E164, string? RegionCode);
public static class Phones
{
    public static CallerId ParseCaller(string? raw)
    {
        if (raw is null || !raw.StartsWith('+') || raw.Length < 2 || !raw[1..].All(char.IsAsciiDigit)) return new(CallerIdKind.Withheld, null, null);
        if (raw.Length - 1 < 7) return new(CallerIdKind.ShortCode, raw, null);
        return new(CallerIdKind.Number, raw, raw.StartsWith("+1") ? "US" : "GB");
    }
    public static string? NormalizeUserInput(string? input, string defaultRegion = "US")
    {
        var d = new string((input ?? "").Where(char.IsAsciiDigit).ToArray());
        return d.Length == 10 ? "+1" + d : d.Length == 11 && d[0] == '1' ? "+" + d : null;
    }
    public static string FormatForDisplay(string e164) => e164;
    public static string Mask(string? phone) => "***";
    public static bool IsAllowedRegion(string? regionCode, IReadOnlyCollection<string> allowedRegions) => regionCode is not null && allowedRegions.Contains(regionCode, StringComparer.OrdinalIgnoreCase);
}
