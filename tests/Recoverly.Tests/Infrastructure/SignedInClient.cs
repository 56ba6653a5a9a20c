using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Owners;

namespace Recoverly.Tests.Infrastructure;

/// <summary>A signed-in owner's browser: its own cookie jar over the test server, and forms posted with their antiforgery token.</summary>
public sealed partial class SignedInClient : IDisposable
{
    public const string Password = "correct horse battery";

    private readonly CookieContainerHandler _cookies;

    public HttpClient Http { get; }

    private SignedInClient(TestApp app)
    {
        var server = (TestServer)app.Services.GetRequiredService<IServer>();
        _cookies = new CookieContainerHandler { InnerHandler = server.CreateHandler() };
        Http = new HttpClient(_cookies) { BaseAddress = new Uri(TestApp.BaseUrl) };
    }

    /// <summary>The value of a cookie this browser holds (to replay it from elsewhere).</summary>
    public string Cookie(string name) =>
        _cookies.Container.GetCookies(new Uri(TestApp.BaseUrl))[name]?.Value ?? throw new InvalidOperationException($"no {name} cookie");

    /// <summary>
    /// Creates a login (linked to <paramref name="businessId"/> when given; its email confirmed unless
    /// <paramref name="emailVerified"/> is false) and signs it in through the real /login form.
    /// </summary>
    public static async Task<SignedInClient> SignInAsync(TestApp app, long? businessId, bool isOperator = false, string? email = null,
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
        return await LogInAsync(app, email, Password);
    }

    /// <summary>Signs an existing login in through the real /login form.</summary>
    public static async Task<SignedInClient> LogInAsync(TestApp app, string email, string password)
    {
        var browser = new SignedInClient(app);
        var response = await browser.PostFormAsync("/login", "/login", new() { ["Email"] = email, ["Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }

    public static SignedInClient Anonymous(TestApp app) => new(app);

    /// <summary>GETs <paramref name="formPage"/> for its antiforgery token, then posts the fields to <paramref name="action"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string formPage, string action, Dictionary<string, string> fields)
    {
        var page = await Http.GetStringAsync(formPage);
        var token = TokenField().Match(page);
        Assert.True(token.Success, $"no antiforgery token on {formPage}");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await Http.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    public void Dispose() => Http.Dispose();
}
