using System.Text;

namespace Recoverly.Calls;

/// <summary>
/// The caller name a provider's CNAM lookup supplies (<c>CallerName</c>), made safe to show to the owner:
/// control and format characters dropped, whitespace collapsed, at most <see cref="MaxLength"/> characters.
/// It is carrier data about a stranger, so it is shown to the owner only and never used in a text to a caller.
/// </summary>
public static class CallerNames
{
    public const int MaxLength = 40;

    /// <returns>Null when nothing showable is left (empty, or the carriers' placeholders for "no name").</returns>
    public static string? Clean(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var sb = new StringBuilder(Math.Min(raw.Length, MaxLength));
        var space = false;
        foreach (var c in raw.Normalize(NormalizationForm.FormC))
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.PrivateUse
                or System.Globalization.UnicodeCategory.OtherNotAssigned) continue;
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
            if (sb.Length >= MaxLength) break;
        }
        var name = sb.ToString().Trim();
        return name.Length == 0 || Placeholders.Contains(name) ? null : name;
    }

    // What carriers put in the caller-name field when they have no name to give.
    private static readonly HashSet<string> Placeholders = new(StringComparer.OrdinalIgnoreCase)
        { "unknown", "unavailable", "anonymous", "private", "restricted", "wireless caller", "out of area", "no name" };
}
