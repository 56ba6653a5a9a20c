using System.Text.RegularExpressions;

namespace Recoverly.Texts;

/// <summary>What the editor shows for a text-back template, and whether it may be saved (docs/product/texts.md).</summary>
/// <param name="Rendered">Exactly what the caller will see.</param>
/// <param name="SmartFixed">The template with smart quotes replaced, when they are what forces UCS-2; otherwise null.</param>
public sealed record TemplateCheck(string Rendered, SegmentInfo Segments, IReadOnlyList<string> Errors, IReadOnlyList<TemplateWarning> Warnings,
    string? SmartFixed)
{
    public bool CanSave => Errors.Count == 0;

    public string EncodingName => Segments.Encoding == SmsEncoding.Gsm7 ? "GSM-7" : "UCS-2";

    /// <summary>Characters per part for this encoding: 160/153 (GSM-7) or 70/67 (UCS-2).</summary>
    public int PerSegment => (Segments.Encoding, Segments.Segments > 1) switch
    {
        (SmsEncoding.Gsm7, false) => 160,
        (SmsEncoding.Gsm7, true) => 153,
        (_, false) => 70,
        _ => 67,
    };
}

public enum TemplateWarningKind { Promotional, UnknownPlaceholder, SmartQuotes }

/// <summary>A reason to look again before saving; <see cref="Kind"/> is what code decides by, <see cref="Text"/> what the owner reads.</summary>
public sealed record TemplateWarning(TemplateWarningKind Kind, string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// The save rules of a text-back template: it must name the business and keep the STOP line (the first
/// text a caller ever gets carries both), and may use <c>{booking_link}</c> only while a booking link is set;
/// promotional words draw a warning, because carriers filter marketing and a text-back must stay informational.
/// </summary>
public static partial class TemplateRules
{
    public const int MaxLength = 1600;

    public static TemplateCheck Check(string? template, string businessName, string? bookingLink = null)
    {
        template ??= "";
        var rendered = TextTemplates.Render(template, businessName, bookingLink);
        var segments = SegmentCalculator.Calculate(rendered);
        var errors = new List<string>();
        var warnings = new List<TemplateWarning>();

        if (string.IsNullOrWhiteSpace(template)) errors.Add("Write the text your callers will get.");
        if (!template.Contains(TextTemplates.BusinessToken, StringComparison.Ordinal))
            errors.Add("Keep {Business} in the text: the first text a caller gets must say who it's from.");
        if (!OptOutInstruction().IsMatch(template))
            errors.Add("Keep the opt-out line (\"Reply STOP to opt out\"): every text-back must tell callers to reply STOP to stop texts.");
        if (bookingLink is null && UsesBookingLink(template)) errors.Add(NoBookingLink);
        if (template.Length > MaxLength || rendered.Length > MaxLength)
            errors.Add($"That's too long: at most {MaxLength} characters, with your business name filled in.");

        var promotional = Promotional().Matches(template).Select(m => m.Value.ToLowerInvariant()).Distinct().ToList();
        if (promotional.Count > 0)
            warnings.Add(new(TemplateWarningKind.Promotional, $"Carriers filter promotional texts. Words like \"{string.Join("\", \"", promotional)}\" can get your text-backs blocked: keep them about the missed call."));
        foreach (var token in Placeholder().Matches(template).Select(m => m.Value).Distinct())
        {
            if (token is TextTemplates.BusinessToken or TextTemplates.BookingLinkToken) continue;
            var meant = KnownTokens.FirstOrDefault(known => Simplified(known) == Simplified(token));
            warnings.Add(new(TemplateWarningKind.UnknownPlaceholder, meant is null
                ? $"{token} isn't a placeholder we fill in; callers will see it as typed."
                : $"{token} isn't a placeholder we fill in; did you mean {meant}? Callers would see it as typed."));
        }

        string? smartFixed = null;
        if (segments.Encoding == SmsEncoding.Ucs2)
        {
            var replaced = SegmentCalculator.ReplaceSmartCharacters(template);
            if (replaced != template)
            {
                smartFixed = replaced;
                warnings.Add(new(TemplateWarningKind.SmartQuotes,
                    "Smart quotes or dashes (like ’ or —) switch the whole text to UCS-2, which fits only 70 characters per part. Replace them with plain ones."));
            }
        }
        return new TemplateCheck(rendered, segments, errors, warnings, smartFixed);
    }

    public const string NoBookingLink =
        "You used {booking_link} but haven't set your booking link: add it under \"Booking link\" in Settings, or take {booking_link} out.";

    private static readonly string[] KnownTokens = [TextTemplates.BusinessToken, TextTemplates.BookingLinkToken];

    public static bool UsesBookingLink(string? text) => text?.Contains(TextTemplates.BookingLinkToken, StringComparison.Ordinal) == true;

    /// <summary>A placeholder with case, underscores and dashes ignored: "{Booking-Link}" reads as "{booking_link}".</summary>
    private static string Simplified(string token) => token.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal)
        .ToLowerInvariant();

    /// <summary>
    /// A real instruction, not just the word ("we never stop working" does not count): "Reply STOP", "Text STOP to …",
    /// "Send STOP", "Respond with STOP", in any case, the keyword optionally quoted.
    /// </summary>
    [GeneratedRegex(@"\b(reply|text|txt|send|respond(\s+with)?)\s+[""'“‘]?stop\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OptOutInstruction();

    [GeneratedRegex(@"\b(sale|discount(s|ed)?|coupons?|free)\b|%\s*off\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Promotional();

    [GeneratedRegex(@"\{[A-Za-z_-]+\}")]
    private static partial Regex Placeholder();
}
