using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Hosting;

/// <summary>
/// Web and dispatcher processes started separately on one database (docs/deploy.md): each does only its
/// part, and an owner's login works on whichever web process a request lands on, before and after restarts.
/// </summary>
[Collection(AppProcessCollection.Name)]
public sealed class ProcessRolesTests : IDisposable
{
    private const string Caller = "+15125550142";
    private readonly List<string> _homes = [];

    [Theory]
    [BothDatabases]
    public async Task A_web_only_process_never_sends_and_a_dispatcher_only_process_sends_what_it_queued(Db db)
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var web = await AppProcess.CreateAsync(db, sink, new Dictionary<string, string?> { ["Recoverly__Roles"] = "web" });
        await web.AddBusinessAsync();
        await web.StartServerAsync();

        (await web.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        // A dispatcher polls every 200 ms: three seconds with the text-back untouched means this process has none.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            var row = await web.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.Kind == OutboundKind.TextBack));
            Assert.Equal(OutboundStatus.Pending, row.Status);
            Assert.Null(row.LeaseOwner);
            Assert.Equal(0, sink.Api.Requests);
            await Task.Delay(200);
        }
        Assert.Equal("web", await RolesAsync(web));

        await using var dispatcher = AppProcess.SharingDatabaseWith(web, sink, new Dictionary<string, string?> { ["Recoverly__Roles"] = "dispatcher" });
        await dispatcher.StartServerAsync();
        await Eventually.TrueAsync(
            () => dispatcher.QueryAsync(d => d.OutboundMessages.AnyAsync(m => m.Kind == OutboundKind.TextBack && m.ProviderSid != null)),
            "the dispatcher-only process sent the text-back", context: () => dispatcher.ConsoleTail());

        Assert.Single(sink.Api.SentTo(Caller));
        Assert.Equal("dispatcher", await RolesAsync(dispatcher));
        Assert.Equal(HttpStatusCode.NotFound, (await dispatcher.Http.GetAsync(dispatcher.BaseUrl + "/login")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dispatcher.MissedCallAsync("+15125550143")).StatusCode);
    }

    [Theory]
    [BothDatabases]
    public async Task A_login_made_on_one_web_process_works_on_another_and_after_both_restart(Db db)
    {
        // Each process gets its own home folder, so keys kept on disk (the framework's default) could not be shared.
        await using var first = await AppProcess.CreateAsync(db, settings: WebProcess());
        var business = await first.AddBusinessAsync();
        const string email = "owner@example.com";
        await first.QueryAsync(async d =>
        {
            var account = new OwnerAccount { Email = email, PasswordHash = "", SecurityStamp = Guid.NewGuid().ToString("N"), BusinessId = business.Id, EmailVerifiedAt = DateTime.UtcNow, CreatedAt = DateTime.UtcNow };
            account.PasswordHash = new PasswordHasher<OwnerAccount>().HashPassword(account, OwnerClient.Password);
            d.OwnerAccounts.Add(account);
            return await d.SaveChangesAsync();
        });
        await using var second = AppProcess.SharingDatabaseWith(first, settings: WebProcess());
        await first.StartServerAsync();
        await second.StartServerAsync();

        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(first.BaseUrl) };
        var loginPage = await browser.GetStringAsync("/login");
        var login = await browser.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email, ["Password"] = OwnerClient.Password, ["__RequestVerificationToken"] = OwnerClient.Token(loginPage),
        }));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = cookies.GetCookies(new Uri(first.BaseUrl))["recoverly.owner"]?.Value;
        Assert.False(string.IsNullOrEmpty(cookie), "the login set no cookie");

        await AssertSignedInAsync(first, cookie!, "on the process that made the login");
        await AssertSignedInAsync(second, cookie!, "on the other web process");
        Assert.True(await first.QueryAsync(d => d.DataProtectionKeys.AnyAsync()), "the key ring is in the database");

        await first.StopServerAsync();
        await second.StopServerAsync();
        await second.StartServerAsync();
        await first.StartServerAsync();
        await AssertSignedInAsync(second, cookie!, "on the other web process after both restarted");
        await AssertSignedInAsync(first, cookie!, "after both restarted");
    }

    private Dictionary<string, string?> WebProcess()
    {
        var home = Path.Combine(Path.GetTempPath(), $"recoverly-home-{Guid.NewGuid():N}");
        Directory.CreateDirectory(home);
        _homes.Add(home);
        return new Dictionary<string, string?> { ["Recoverly__Roles"] = "web", ["HOME"] = home };
    }

    /// <summary>The inbox answers the cookie with the owner's page, where a signed-out visitor is sent to /login.</summary>
    private static async Task AssertSignedInAsync(AppProcess app, string cookie, string where)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/app");
        request.Headers.Add("Cookie", $"recoverly.owner={cookie}");
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });
        using var response = await client.SendAsync(request);
        var location = response.Headers.Location?.ToString() ?? "";
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Not signed in {where}: HTTP {(int)response.StatusCode} {location}");

        using var anonymous = await client.GetAsync(app.BaseUrl + "/app");
        Assert.StartsWith("/login", anonymous.Headers.Location?.PathAndQuery ?? anonymous.Headers.Location?.ToString() ?? "");
    }

    private static async Task<string> RolesAsync(AppProcess app)
    {
        var health = await app.Http.GetFromJsonAsync<JsonElement>(app.BaseUrl + "/healthz");
        return string.Join(",", health.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    public void Dispose()
    {
        foreach (var home in _homes)
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
