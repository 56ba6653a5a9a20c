namespace Recoverly.Public;

/// <summary>
/// Who runs this installation, as the public policy pages name it: <c>Recoverly:OperatorName</c> and
/// <c>Recoverly:SupportEmail</c> (carriers reviewing a 10DLC campaign look for a real support contact),
/// and the absolute address of its public pages (Open Graph, sitemap, feed).
/// </summary>
public sealed class PublicSite(IConfiguration config)
{
    public const string Name = "Recoverly";

    /// <summary>What a page without its own description says about the site (search results, link previews).</summary>
    public const string DefaultDescription =
        "Recoverly texts back the customers you couldn't pick up for, within a second, so the lead doesn't go to the next company.";

    public string OperatorName { get; } = config["Recoverly:OperatorName"] is { Length: > 0 } n ? n.Trim() : "Recoverly";
    public string SupportEmail { get; } = config["Recoverly:SupportEmail"] is { Length: > 0 } e ? e.Trim() : "support@recoverly.example";
    public static readonly DateOnly PoliciesUpdated = new(2026, 11, 27);

    private readonly string? _configuredBase =
        Uri.TryCreate(config["Recoverly:PublicBaseUrl"]?.Trim(), UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)
            ? u.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : null;

    /// <summary><c>Recoverly:PublicBaseUrl</c> when set, else the scheme and host this request came in on.</summary>
    public string BaseUrl(HttpRequest request) =>
        _configuredBase ?? $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";

    /// <summary>An absolute URL for a site path ("/guides/x").</summary>
    public string AbsoluteUrl(HttpRequest request, string path) => BaseUrl(request) + path;
}
