using System.Globalization;

namespace Recoverly.Owners;

/// <summary>The optional value of a booked job, as the owner types it ("350", "$1,250.50"); kept in cents.</summary>
public static partial class JobValue
{
    public const long MaxCents = 100_000_000; // $1,000,000, the cost calculator's upper bound too

    public const string Problem = "Job value: enter a dollar amount like 350 or 1,250.50 (up to $1,000,000), or leave it empty.";

    /// <summary>Null when <paramref name="raw"/> is empty (<paramref name="cents"/> null) or a valid amount; otherwise what is wrong.</summary>
    public static string? Parse(string? raw, out long? cents)
    {
        cents = null;
        var text = (raw ?? "").Trim();
        if (text.StartsWith('$')) text = text[1..].Trim();
        if (text.Length == 0) return raw is null || raw.Trim().Length == 0 ? null : Problem;
        // Thousands separators only between digit groups of three: "1,250" yes, "1,25" no.
        if (text.Contains(',', StringComparison.Ordinal) && !ThousandsPattern().IsMatch(text)) return Problem;
        text = text.Replace(",", "", StringComparison.Ordinal);
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var dollars)) return Problem;
        if (decimal.Round(dollars, 2) != dollars || dollars <= 0 || dollars * 100 > MaxCents) return Problem;
        cents = (long)(dollars * 100);
        return null;
    }

    public static string Format(long cents) =>
        cents % 100 == 0
            ? "$" + (cents / 100).ToString("N0", CultureInfo.InvariantCulture)
            : "$" + (cents / 100m).ToString("N2", CultureInfo.InvariantCulture);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{1,3}(,\d{3})+(\.\d+)?$")]
    private static partial System.Text.RegularExpressions.Regex ThousandsPattern();
}
