using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;
using Recoverly.Owners;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// An owner (or operator, or anonymous visitor) driving the app like a browser: its own cookie jar over the
/// test server, pages read as HTML or as the text a person sees, and forms posted with the antiforgery token
/// read from a page (GET the page, read <c>__RequestVerificationToken</c>, POST) — or deliberately without one.
/// The one way tests sign in.
/// </summary>
public sealed partial class OwnerClient : IDisposable
{
    public const string Password = "correct horse battery staple";

    private readonly CookieContainerHandler _cookies;
    private readonly Uri _baseUrl;

    private OwnerClient(TestApp app, string baseUrl)
    {
        var server = (TestServer)app.Services.GetRequiredService<IServer>();
        _baseUrl = new Uri(baseUrl);
        _cookies = new CookieContainerHandler { InnerHandler = server.CreateHandler() };
        Http = new HttpClient(_cookies) { BaseAddress = _baseUrl };
    }

    public HttpClient Http { get; }

    /// <summary>A visitor with a cookie jar who has not signed in (at <paramref name="baseUrl"/>, default the app's own address).</summary>
    public static OwnerClient Anonymous(TestApp app, string baseUrl = TestApp.BaseUrl) => new(app, baseUrl);

    /// <summary>The value of a cookie this browser holds (to replay it from elsewhere).</summary>
    public string Cookie(string name) =>
        _cookies.Container.GetCookies(_baseUrl)[name]?.Value ?? throw new InvalidOperationException($"no {name} cookie");

    /// <summary>
    /// Signs up the way an owner does (no business yet: the wizard comes next): the form answers "check your email",
    /// the mailed link is opened and confirmed with the password, which signs the owner in.
    /// </summary>
    public static async Task<OwnerClient> SignUpAsync(TestApp app, string email, string password = Password)
    {
        var owner = Anonymous(app);
        var response = await owner.PostAsync("/signup", new() { ["Email"] = email, ["Password"] = password });
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK && html.Contains("Check your email", StringComparison.Ordinal),
            $"Sign-up failed: HTTP {(int)response.StatusCode} {html}");
        var mail = await app.TakeMailAsync(email, "Confirm your email");
        var confirmed = await owner.ConfirmEmailAsync(Mailbox.Link(mail, "/verify-email?token="), password);
        Assert.True(confirmed.StatusCode == HttpStatusCode.Redirect, $"Confirming the email failed: HTTP {(int)confirmed.StatusCode}");
        return owner;
    }

    /// <summary>Opens a mailed confirmation link and presses "Confirm my email" (with the password when the page asks for it).</summary>
    public async Task<HttpResponseMessage> ConfirmEmailAsync(string link, string? password)
    {
        var path = new Uri(link).PathAndQuery;
        var html = await PageAsync(path);
        var fields = new List<KeyValuePair<string, string>> { new("Token", TokenOf(path)) };
        if (password is not null) fields.Add(new("Password", password));
        return await PostWithTokenAsync("/verify-email", fields, AntiforgeryToken(html));
    }

    private static string TokenOf(string pathAndQuery) =>
        WebUtility.UrlDecode(pathAndQuery[(pathAndQuery.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..]);

    /// <summary>Signs up (email confirmed), and gives the account a business created directly (as onboarding would).</summary>
    public static async Task<(OwnerClient Owner, Business Business)> SignUpWithBusinessAsync(TestApp app, string email = "owner@acme.example",
        string name = "Acme Plumbing", string number = "+15125550100", string businessPhone = "+15125550101", string? ownerPhone = null,
        string timeZone = "America/Chicago")
    {
        var owner = await SignUpAsync(app, email);
        var business = await app.AddBusinessAsync(name, number, businessPhone, ownerPhone, timeZone);
        await app.QueryAsync(db => db.OwnerAccounts.Where(a => a.Email == email)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.BusinessId, business.Id)));
        return (owner, business);
    }

    /// <summary>
    /// Creates a login straight in the database (linked to <paramref name="businessId"/> when given; its email confirmed unless
    /// <paramref name="emailVerified"/> is false) and signs it in through /login.
    /// </summary>
    public static async Task<OwnerClient> SignInAsync(TestApp app, long? businessId, bool isOperator = false, string? email = null,
        bool emailVerified = true)
    {
        email ??= $"owner-{Guid.NewGuid():N}@example.com";
        await app.QueryAsync(async db =>
        {
            var account = new OwnerAccount
            {
                Email = email, PasswordHash = "", SecurityStamp = Guid.NewGuid().ToString("N"), BusinessId = businessId,
                IsOperator = isOperator, CreatedAt = app.Time.GetUtcNow().UtcDateTime,
                EmailVerifiedAt = emailVerified ? app.Time.GetUtcNow().UtcDateTime : null,
            };
            account.PasswordHash = new PasswordHasher<OwnerAccount>().HashPassword(account, Password);
            db.OwnerAccounts.Add(account);
            return await db.SaveChangesAsync();
        });
        return await LogInAsync(app, email);
    }

    /// <summary>Signs an existing login in through the real /login form.</summary>
    public static async Task<OwnerClient> LogInAsync(TestApp app, string email, string password = Password)
    {
        var owner = Anonymous(app);
        var response = await owner.PostAsync("/login", new() { ["Email"] = email, ["Password"] = password });
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Log-in failed: HTTP {(int)response.StatusCode}");
        return owner;
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path);

    /// <summary>GETs a page that must answer 200 and returns its HTML.</summary>
    public async Task<string> PageAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: HTTP {(int)response.StatusCode} {response.Headers.Location}");
        return html;
    }

    /// <summary>The page as a person reads it: entities decoded (Razor encodes "—" as &amp;#x2014;).</summary>
    public async Task<string> TextAsync(string path) => WebUtility.HtmlDecode(await PageAsync(path));

    /// <summary>
    /// Posts a form the way a browser does: the antiforgery token comes from <paramref name="tokenFrom"/> (default: the
    /// action's own page), or is left out when <paramref name="withToken"/> is false.
    /// </summary>
    public async Task<HttpResponseMessage> PostAsync(string action, Dictionary<string, string> fields, string? tokenFrom = null, bool withToken = true) =>
        await PostWithTokenAsync(action, fields, withToken ? Token(await PageAsync(tokenFrom ?? action.Split('?')[0])) : null);

    /// <summary>Posts fields (repeated names allowed) with a token already read from a page, or none.</summary>
    public Task<HttpResponseMessage> PostWithTokenAsync(string action, IEnumerable<KeyValuePair<string, string>> fields, string? token)
    {
        var all = fields.ToList();
        if (token is not null) all.Add(KeyValuePair.Create("__RequestVerificationToken", token));
        return Http.PostAsync(action, new FormUrlEncodedContent(all));
    }

    /// <summary>The first antiforgery token in a page's HTML; fails when there is none.</summary>
    public static string Token(string html) => AntiforgeryToken(html) ?? throw new InvalidOperationException("no antiforgery token on the page");

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

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();

    [GeneratedRegex("\\bvalue=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();
}
