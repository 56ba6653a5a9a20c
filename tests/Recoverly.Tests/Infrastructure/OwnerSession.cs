using System.Net;
using System.Text.RegularExpressions;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// A signed-in owner driving the app like a browser: cookies kept, forms posted with the antiforgery
/// token parsed from the page (GET the page, read <c>__RequestVerificationToken</c>, POST).
/// </summary>
public sealed partial class OwnerSession(HttpClient client, string email) : IDisposable
{
    public const string DefaultPassword = "correct horse battery staple";

    public HttpClient Client { get; } = client;
    public string Email { get; } = email;

    /// <summary>
    /// Signs up the way an owner does: the form answers "check your email", the mailed link is opened and confirmed
    /// with the password, which signs the owner in.
    /// </summary>
    public static async Task<OwnerSession> SignUpAsync(TestApp app, string email, string password = DefaultPassword)
    {
        var session = new OwnerSession(app.NewBrowserClient(), email);
        var response = await session.PostFormAsync("/signup", new() { ["Email"] = email, ["Password"] = password });
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK && html.Contains("Check your email", StringComparison.Ordinal),
            $"Sign-up failed: HTTP {(int)response.StatusCode} {html}");
        var mail = await app.TakeMailAsync(email, "Confirm your email");
        var confirmed = await session.ConfirmEmailAsync(Mailbox.Link(mail, "/verify-email?token="), password);
        Assert.True(confirmed.StatusCode == HttpStatusCode.Redirect, $"Confirming the email failed: HTTP {(int)confirmed.StatusCode}");
        return session;
    }

    /// <summary>Opens a mailed confirmation link and presses "Confirm my email" (with the password when the page asks for it).</summary>
    public async Task<HttpResponseMessage> ConfirmEmailAsync(string link, string? password)
    {
        var path = new Uri(link).PathAndQuery;
        var html = await GetPageAsync(path);
        var fields = new List<KeyValuePair<string, string>> { new("Token", TokenOf(path)) };
        if (password is not null) fields.Add(new("Password", password));
        return await PostWithTokenAsync("/verify-email", fields, AntiforgeryToken(html));
    }

    private static string TokenOf(string pathAndQuery) =>
        WebUtility.UrlDecode(pathAndQuery[(pathAndQuery.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..]);

    public static async Task<OwnerSession> LogInAsync(TestApp app, string email, string password = DefaultPassword)
    {
        var session = new OwnerSession(app.NewBrowserClient(), email);
        var response = await session.PostFormAsync("/login", new() { ["Email"] = email, ["Password"] = password });
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Log-in failed: HTTP {(int)response.StatusCode}");
        return session;
    }

    /// <summary>GETs a page and returns its HTML, failing unless it answered 200.</summary>
    public async Task<string> GetPageAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: HTTP {(int)response.StatusCode} {response.Headers.Location}");
        return html;
    }

    /// <summary>
    /// Posts a form the way a browser does: GETs <paramref name="pagePath"/> for the antiforgery token (and cookie),
    /// then POSTs the fields to <paramref name="action"/> (default: the page itself).
    /// </summary>
    public async Task<HttpResponseMessage> PostFormAsync(string pagePath, Dictionary<string, string> fields, string? action = null)
    {
        var html = await GetPageAsync(pagePath);
        var token = AntiforgeryToken(html) ?? throw new InvalidOperationException($"No antiforgery token on {pagePath}");
        return await PostWithTokenAsync(action ?? pagePath, fields.Select(f => KeyValuePair.Create(f.Key, f.Value)), token);
    }

    /// <summary>Posts fields (repeated names allowed) with a token already read from a page.</summary>
    public Task<HttpResponseMessage> PostWithTokenAsync(string action, IEnumerable<KeyValuePair<string, string>> fields, string? token)
    {
        var all = fields.ToList();
        if (token is not null) all.Add(KeyValuePair.Create("__RequestVerificationToken", token));
        return Client.PostAsync(action, new FormUrlEncodedContent(all));
    }

    /// <summary>The first antiforgery token in a page's HTML, or null.</summary>
    public static string? AntiforgeryToken(string html)
    {
        foreach (Match input in InputTag().Matches(html))
        {
            if (!input.Value.Contains("name=\"__RequestVerificationToken\"", StringComparison.Ordinal)) continue;
            var value = ValueAttribute().Match(input.Value);
            if (value.Success) return WebUtility.HtmlDecode(value.Groups[1].Value);
        }
        return null;
    }

    public void Dispose() => Client.Dispose();

    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();

    [GeneratedRegex("\\bvalue=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();
}
