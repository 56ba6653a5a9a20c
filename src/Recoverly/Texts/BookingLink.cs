namespace Recoverly.Texts;

/// <summary>
/// The owner's booking page, as <c>{booking_link}</c> puts it into texts (docs/product/texts.md). Only a plain
/// https address is accepted: callers tap it from a text, so it must be a secure page, never a script or data
/// URL, and short enough not to cost them extra parts.
/// </summary>
public static class BookingLink
{
    public const int MaxLength = 200;

    /// <summary>Null when <paramref name="raw"/> is a usable link (then <paramref name="link"/> is it, trimmed) or empty (then it is null).</summary>
    public static string? Validate(string? raw, out string? link)
    {
        link = null;
        var text = (raw ?? "").Trim();
        if (text.Length == 0) return null;
        if (text.Length > MaxLength)
            return $"That link is too long: keep it to {MaxLength} characters (it goes into every text that uses it).";
        // Anything but a secure web page (http:, javascript:, data:, a bare domain) is refused: callers tap this link.
        if (!text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return "Your booking link must start with https:// (a secure page), like https://book.example.com/acme.";
        if (text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return "A booking link can't contain spaces or line breaks. Copy it from your browser's address bar.";
        // Braces would read as placeholders; the rest are not allowed in a web address and cost double in a text.
        if (text.IndexOfAny(['{', '}', '<', '>', '"', '\\', '^', '`', '|']) >= 0)
            return "That link has characters a web address can't have ({ } < > \" \\ ^ ` |). Copy it from your browser's address bar.";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            return "That isn't a web address. Copy it from your browser's address bar, like https://book.example.com/acme.";
        if (uri.UserInfo.Length > 0)
            return "Leave any user name or password out of the link.";
        if (!uri.Host.Contains('.', StringComparison.Ordinal) || uri.HostNameType == UriHostNameType.Unknown)
            return "Use the full address of your booking page, like https://book.example.com/acme.";
        link = text;
        return null;
    }
}
