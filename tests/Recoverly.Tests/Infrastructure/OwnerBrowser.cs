using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// A signed-in owner's browser against a <see cref="TestApp"/>: its own cookie jar, and form posts
/// that carry the antiforgery token the way a real form does (or deliberately don't).
/// </summary>
public sealed partial class OwnerBrowser : IDisposable
{
    public const string Password = "correct horse battery";

    public HttpClient Http { get; }
    public string Email { get; }

    private OwnerBrowser(TestApp app, string email)
    {
        Email = email;
        var server = (TestServer)app.Services.GetRequiredService<IServer>();
        Http = new HttpClient(new CookieContainerHandler(new CookieContainer()) { InnerHandler = server.CreateHandler() })
        {
            BaseAddress = new Uri(TestApp.BaseUrl),
        };
    }

    /// <summary>Signs up through /signup, then gives the account a business (what onboarding does).</summary>
    public static async Task<(OwnerBrowser Owner, Business Business)> SignUpAsync(TestApp app, string email = "owner@acme.example",
        string name = "Acme Plumbing", string number = "+15125550100", string businessPhone = "+15125550101", string? ownerPhone = null,
        string timeZone = "America/Chicago")
    {
        var owner = new OwnerBrowser(app, email);
        var signup = await owner.PostAsync("/signup", new() { ["Email"] = email, ["Password"] = Password }, tokenFrom: "/signup");
        Assert.Equal(HttpStatusCode.Redirect, signup.StatusCode);
        var business = await app.AddBusinessAsync(name, number, businessPhone, ownerPhone, timeZone);
        await app.QueryAsync(db => db.OwnerAccounts.Where(a => a.Email == email)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.BusinessId, business.Id)));
        return (owner, business);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path);

    /// <summary>GETs a page that must answer 200 and returns its HTML.</summary>
    public async Task<string> PageAsync(string path)
    {
        var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: HTTP {(int)response.StatusCode} {response.Headers.Location}\n{body}");
        return body;
    }

    /// <summary>The page as the owner reads it: entities decoded (Razor encodes "—" as &amp;#x2014;).</summary>
    public async Task<string> TextAsync(string path) => WebUtility.HtmlDecode(await PageAsync(path));

    /// <summary>Posts a form with the antiforgery token taken from <paramref name="tokenFrom"/> (any page with a form).</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string> fields, string tokenFrom = "/app", bool withToken = true)
    {
        var form = new Dictionary<string, string>(fields);
        if (withToken) form["__RequestVerificationToken"] = Token(await PageAsync(tokenFrom));
        return await Http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    public static string Token(string html)
    {
        var match = TokenInput().Match(html);
        Assert.True(match.Success, "no antiforgery token on the page");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("""<input[^>]*name="__RequestVerificationToken"[^>]*value="([^"]+)"[^>]*>""")]
    private static partial Regex TokenInput();

    public void Dispose() => Http.Dispose();
}
