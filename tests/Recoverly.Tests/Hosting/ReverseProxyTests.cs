using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Hosting;

/// <summary>
/// Behind a reverse proxy: X-Forwarded-* count only from the proxies in Recoverly:KnownProxies, so rate limits and
/// consent evidence see the real client; over an https:// public address, HSTS, redirects and Secure cookies.
/// </summary>
public class ReverseProxyTests
{
    private const string Proxy = "10.0.0.2";

    private static Dictionary<string, string?> BehindProxy(string? provider = null)
    {
        var settings = new Dictionary<string, string?> { ["Recoverly:KnownProxies"] = $"{Proxy}, 192.168.50.0/24" };
        if (provider is not null) settings["Telephony:Provider"] = provider;
        return settings;
    }

    /// <summary>A request as it arrives over the socket from <paramref name="peer"/>, claiming to be for <paramref name="client"/>.</summary>
    private static HttpRequestMessage Request(HttpMethod method, string path, string peer, string? client, string? proto = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(TestApp.PeerHeader, peer);
        if (client is not null) request.Headers.Add("X-Forwarded-For", client);
        if (proto is not null) request.Headers.Add("X-Forwarded-Proto", proto);
        return request;
    }

    private static void ThroughProxy(HttpClient client, string clientIp)
    {
        client.DefaultRequestHeaders.Add(TestApp.PeerHeader, Proxy);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", clientIp);
    }

    [Fact]
    public async Task Two_clients_behind_a_known_proxy_have_their_own_login_rate_limits()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, BehindProxy());

        var a = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++) a.Add((await app.Http.SendAsync(Request(HttpMethod.Get, "/login", Proxy, "203.0.113.7"))).StatusCode);
        var b = await app.Http.SendAsync(Request(HttpMethod.Get, "/login", Proxy, "203.0.113.8"));
        var bViaSecondProxy = await app.Http.SendAsync(Request(HttpMethod.Get, "/login", "192.168.50.9", "203.0.113.9"));

        Assert.All(a.Take(20), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, a[20]);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode); // one client locked itself out, not everyone behind the proxy
        Assert.Equal(HttpStatusCode.OK, bViaSecondProxy.StatusCode);
    }

    [Theory]
    [InlineData("198.51.100.9", $"{Proxy}")] // a stranger is not a proxy
    [InlineData("127.0.0.1", "")] // loopback is not trusted by default either
    public async Task X_Forwarded_For_from_an_unknown_source_is_ignored(string peer, string knownProxies)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Recoverly:KnownProxies"] = knownProxies });

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++) answers.Add((await app.Http.SendAsync(Request(HttpMethod.Get, "/login", peer, $"203.0.113.{i + 1}"))).StatusCode);

        // A new made-up address per request buys no new bucket: all 21 count against the real sender.
        Assert.All(answers.Take(20), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[20]);
    }

    [Theory]
    [BothDatabases]
    public async Task Owner_alert_consent_from_onboarding_and_settings_records_the_owners_real_address(Db db)
    {
        await using var app = await TestApp.StartAsync(db, BehindProxy("Simulator"));
        using var owner = await OwnerClient.SignUpAsync(app, "owner@proxied.example");
        ThroughProxy(owner.Http, "203.0.113.7");
        var start = await owner.PageAsync("/onboarding");
        List<KeyValuePair<string, string>> details =
            [new("Name", "Proxied Plumbing"), new("BusinessLine", "(512) 555-0142"), new("TimeZone", "America/Chicago"), new("AlwaysOpen", "true")];
        var step2 = await (await owner.PostWithTokenAsync("/onboarding?handler=Details", details, OwnerClient.AntiforgeryToken(start))).Content.ReadAsStringAsync();
        var created = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. details, new("Number", "+15125550102")], OwnerClient.AntiforgeryToken(step2));
        Assert.Equal("/onboarding/greeting", created.Headers.Location?.OriginalString);

        var optIn = await owner.PostAsync("/onboarding/alerts", new() { ["Mobile"] = "512-555-0177", ["AlertsOptIn"] = "true" });
        Assert.Equal("/onboarding/forwarding", optIn.Headers.Location?.OriginalString);
        await owner.PostAsync("/onboarding/verify?handler=Skip", new(), tokenFrom: "/onboarding/verify");
        owner.Http.DefaultRequestHeaders.Remove("X-Forwarded-For");
        owner.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.99");
        var changed = await owner.PostAsync("/app/settings?handler=TextAlerts", new() { ["on"] = "true", ["ownerPhone"] = "+15125550188", ["agree"] = "true" },
            tokenFrom: "/app/settings");
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);

        var evidence = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Kind == ConsentKind.OwnerOptIn)
            .OrderBy(e => e.Id).Select(e => new { e.Phone, e.EvidenceText }).ToListAsync());
        Assert.Contains("IP: 203.0.113.7", Assert.Single(evidence, e => e.Phone == "+15125550177").EvidenceText);
        Assert.Contains("IP: 203.0.113.99", Assert.Single(evidence, e => e.Phone == "+15125550188").EvidenceText);
        Assert.DoesNotContain(evidence, e => e.EvidenceText!.Contains(Proxy, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_an_https_public_address_browsers_get_HSTS_Secure_cookies_and_a_redirect_from_plain_http()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?>
        {
            ["Recoverly:PublicBaseUrl"] = "https://recoverly.example.com", ["Email:SmtpHost"] = "smtp.example.com",
            ["Recoverly:KnownProxies"] = Proxy,
        });
        await app.QueryAsync(async d =>
        {
            var account = new OwnerAccount
            {
                Email = "owner@example.com", PasswordHash = "", SecurityStamp = "s", CreatedAt = app.Time.GetUtcNow().UtcDateTime,
                EmailVerifiedAt = app.Time.GetUtcNow().UtcDateTime,
            };
            account.PasswordHash = new PasswordHasher<OwnerAccount>().HashPassword(account, OwnerClient.Password);
            d.OwnerAccounts.Add(account);
            return await d.SaveChangesAsync();
        });

        // The proxy terminates TLS and talks plain http to the app, saying so in X-Forwarded-Proto. (Cookies are carried by
        // hand: the browser holds them for https://, which this test client, talking plain http like the proxy, is not.)
        using var browser = app.NewClient("http://recoverly.example.com", cookies: false);
        ThroughProxy(browser, "203.0.113.7");
        browser.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var loginPage = await browser.GetAsync("/login");
        Assert.Equal(HttpStatusCode.OK, loginPage.StatusCode);
        Assert.StartsWith("max-age=", loginPage.Headers.GetValues("Strict-Transport-Security").Single());
        var antiforgery = loginPage.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("recoverly.af=", StringComparison.Ordinal));
        using var post = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = "owner@example.com", ["Password"] = OwnerClient.Password,
                ["__RequestVerificationToken"] = OwnerClient.AntiforgeryToken(await loginPage.Content.ReadAsStringAsync())!,
            }),
        };
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        var login = await browser.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookies = loginPage.Headers.GetValues("Set-Cookie").Concat(login.Headers.GetValues("Set-Cookie")).ToList();
        Assert.Contains(cookies, c => c.StartsWith("recoverly.owner=", StringComparison.Ordinal));
        Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));

        // Straight to the app over plain http: sent to https, and given no cookie.
        using var direct = app.NewClient("http://recoverly.example.com", cookies: false);
        var plain = await direct.GetAsync("/login");
        Assert.Equal(HttpStatusCode.PermanentRedirect, plain.StatusCode);
        Assert.Equal("https://recoverly.example.com/login", plain.Headers.Location?.OriginalString);
        Assert.False(plain.Headers.Contains("Set-Cookie"));
    }
}
