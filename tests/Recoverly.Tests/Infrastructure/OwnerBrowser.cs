using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// An <see cref="OwnerSession"/> whose account already has a business (created directly, as onboarding
/// would), for the owner-app tests: read pages as text, post forms with the token from any page — or
/// deliberately without one.
/// </summary>
public sealed class OwnerBrowser(OwnerSession session) : IDisposable
{
    public const string Password = OwnerSession.DefaultPassword;

    public HttpClient Http => session.Client;

    public static async Task<(OwnerBrowser Owner, Business Business)> SignUpAsync(TestApp app, string email = "owner@acme.example",
        string name = "Acme Plumbing", string number = "+15125550100", string businessPhone = "+15125550101", string? ownerPhone = null,
        string timeZone = "America/Chicago")
    {
        var session = await OwnerSession.SignUpAsync(app, email);
        var business = await app.AddBusinessAsync(name, number, businessPhone, ownerPhone, timeZone);
        await app.QueryAsync(db => db.OwnerAccounts.Where(a => a.Email == email)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.BusinessId, business.Id)));
        return (new OwnerBrowser(session), business);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path);

    /// <summary>GETs a page that must answer 200 and returns its HTML.</summary>
    public Task<string> PageAsync(string path) => session.GetPageAsync(path);

    /// <summary>The page as the owner reads it: entities decoded (Razor encodes "—" as &amp;#x2014;).</summary>
    public async Task<string> TextAsync(string path) => WebUtility.HtmlDecode(await PageAsync(path));

    /// <summary>Posts a form with the antiforgery token taken from <paramref name="tokenFrom"/> (any page with a form).</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string> fields, string tokenFrom = "/app", bool withToken = true) =>
        await session.PostWithTokenAsync(path, fields, withToken ? Token(await PageAsync(tokenFrom)) : null);

    public static string Token(string html) => OwnerSession.AntiforgeryToken(html) ?? throw new InvalidOperationException("no antiforgery token on the page");

    public void Dispose() => session.Dispose();
}
