using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// The app on a real Kestrel port (a browser needs one), in simulator mode with the real dispatcher
/// and real time, over a fresh database — what a newcomer gets from `dotnet run`.
/// </summary>
public sealed class BrowserApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;
    private readonly string? _sqliteFile;
    private readonly string _connectionString;

    public string BaseUrl { get; }
    public LogCollector Logs { get; } = new();
    public IServiceProvider Services => _factory.Services;

    private BrowserApp(Db db, string connectionString, string? sqliteFile, IDictionary<string, string?>? settings)
    {
        _sqliteFile = sqliteFile;
        _connectionString = connectionString;
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var config = new Dictionary<string, string?>
        {
            ["urls"] = BaseUrl,
            ["Database:Provider"] = db.ToString(),
            ["ConnectionStrings:Recoverly"] = connectionString,
            ["Telephony:Provider"] = "Simulator",
            // The simulator phone shows Recoverly's own keyword answers (an account with Twilio's keyword handling off).
            ["Twilio:KeywordReplies"] = "Recoverly",
            ["Recoverly:PublicBaseUrl"] = BaseUrl,
            ["Email:PickupFolder"] = Path.Combine(Path.GetTempPath(), $"recoverly-mail-{Guid.NewGuid():N}"),
            // One rehearsed call, as TestApp: the deployed rehearsal and its wait for the compiler are DeployedWarmupTests'.
            ["Recoverly:WarmUpRounds"] = "1",
        };
        if (settings is not null) foreach (var (k, v) in settings) config[k] = v;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (k, v) in config) web.UseSetting(k, v);
            // Requests too, so a failed browser test can tell what reached the app.
            web.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information));
        });
        _factory.UseKestrel(port);
        _factory.StartServer();
    }

    public static async Task<BrowserApp> StartAsync(Db db = Db.Sqlite, IDictionary<string, string?>? settings = null)
    {
        BrowserApp app;
        if (db == Db.Postgres) app = new BrowserApp(db, await TestApp.FreshPostgresDatabaseAsync(), null, settings);
        else
        {
            var file = Path.Combine(Path.GetTempPath(), $"recoverly-browser-{Guid.NewGuid():N}.db");
            app = new BrowserApp(db, $"Data Source={file}", file, settings);
        }
        // The server listens before start-up's warm-up ends; a browser, like a load balancer, waits until it is ready.
        await app.Services.GetRequiredService<Readiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(3));
        return app;
    }

    /// <summary>Reads the app's database through its own services.</summary>
    public async Task<T> QueryAsync<T>(Func<Recoverly.Data.RecoverlyDb, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<Recoverly.Data.RecoverlyDb>());
    }

    /// <summary>
    /// True once the real dispatcher has nothing left to send (no outbox row pending or in doubt): from then on
    /// no further text can appear unless something new comes in.
    /// </summary>
    public Task<bool> OutboxIdleAsync() => QueryAsync(async d => !await d.OutboundMessages.AnyAsync(m =>
        m.Status == Recoverly.Texts.OutboundStatus.Pending || m.Status == Recoverly.Texts.OutboundStatus.InDoubt));

    public string MailFolder => _factory.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["Email:PickupFolder"]!;

    /// <summary>Waits for a mail to <paramref name="to"/> with <paramref name="subject"/> in it, and takes it out of the folder.</summary>
    public Task<string> TakeMailAsync(string to, string subject) => Mailbox.TakeAsync(MailFolder, to, subject);

    /// <summary>
    /// After "Create account": the page says to check the email; the mailed link is opened and confirmed with the
    /// password, which signs the owner in and continues to onboarding.
    /// </summary>
    public async Task ConfirmSignUpAsync(IPage page, string email, string password)
    {
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Check your email");
        var link = Mailbox.Link(await TakeMailAsync(email, "Confirm your email"), "/verify-email?token=");
        await page.GotoAsync(link);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my email" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/onboarding$"));
    }

    /// <summary>
    /// A business and its signed-up owner (email confirmed), made through the app's own registry, for a browser test that
    /// starts after onboarding. Returns the business's id.
    /// </summary>
    public async Task<long> AddOwnerWithBusinessAsync(string email, string name, string number, string businessPhone)
    {
        await using var scope = Services.CreateAsyncScope();
        var (business, error) = await scope.ServiceProvider.GetRequiredService<Recoverly.Businesses.BusinessRegistry>().CreateAsync(
            new Recoverly.Businesses.NewBusiness(name, number, businessPhone, null, null, Recoverly.Businesses.CallMode.Forwarding, "America/Chicago"),
            "test", CancellationToken.None);
        Assert.Null(error);
        var db = scope.ServiceProvider.GetRequiredService<Recoverly.Data.RecoverlyDb>();
        var account = new Recoverly.Owners.OwnerAccount
        {
            Email = email, PasswordHash = "", SecurityStamp = Guid.NewGuid().ToString("N"), BusinessId = business!.Id,
            CreatedAt = DateTime.UtcNow, EmailVerifiedAt = DateTime.UtcNow,
        };
        account.PasswordHash = new PasswordHasher<Recoverly.Owners.OwnerAccount>().HashPassword(account, OwnerClient.Password);
        db.OwnerAccounts.Add(account);
        await db.SaveChangesAsync();
        return business.Id;
    }

    /// <summary>Logs <paramref name="email"/> in on the login page (password <see cref="OwnerClient.Password"/>).</summary>
    public static async Task LogInAsync(IPage page, string email)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(OwnerClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/login"));
    }

    /// <summary>
    /// The caller's latest missed call ends in a voicemail: Twilio's Record callback, then its transcription callback, signed
    /// for the simulator's account as Twilio would sign them (the simulator page itself leaves no voicemails). The recording's
    /// URL is Twilio's; the simulator serves its audio. Returns the call's id.
    /// </summary>
    public async Task<long> LeaveVoicemailAsync(string caller, string transcription)
    {
        var call = await Eventually.MatchAsync(
            () => QueryAsync(d => d.MissedCalls.AsNoTracking().Where(c => c.FromE164 == caller).OrderByDescending(c => c.Id)
                .Select(c => new { c.Id, c.CallSid }).FirstOrDefaultAsync()),
            c => c is not null, "the caller's missed call was recorded");
        var account = Recoverly.Telephony.TwilioOptions.SimulatorAccountSid;
        var recordingSid = "RE" + Guid.NewGuid().ToString("N");
        var common = new Dictionary<string, string>
        {
            ["AccountSid"] = account, ["CallSid"] = call!.CallSid, ["RecordingSid"] = recordingSid,
            ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{recordingSid}",
        };
        (await TwilioWebhookAsync("/twilio/voice/recording", new(common) { ["RecordingDuration"] = "14", ["RecordingStatus"] = "completed" }))
            .EnsureSuccessStatusCode();
        (await TwilioWebhookAsync("/twilio/voice/recording", new(common)
        {
            ["TranscriptionSid"] = "TR" + Guid.NewGuid().ToString("N"), ["TranscriptionStatus"] = "completed", ["TranscriptionType"] = "fast",
            ["TranscriptionText"] = transcription,
        })).EnsureSuccessStatusCode();
        return call.Id;
    }

    /// <summary>Posts a Twilio webhook signed with the simulator account's token, as Twilio signs them.</summary>
    public async Task<HttpResponseMessage> TwilioWebhookAsync(string path, Dictionary<string, string> fields)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("X-Twilio-Signature",
            Recoverly.Telephony.Simulator.SimulatorCarrier.Sign(Recoverly.Telephony.TwilioOptions.SimulatorAuthToken, BaseUrl + path, fields));
        return await http.SendAsync(request);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        if (_sqliteFile is not null)
        {
            SqliteFiles.Delete($"Data Source={_sqliteFile}", _sqliteFile);
        }
        else
        {
            TestApp.ClosePostgresPool(_connectionString);
        }
    }
}

/// <summary>
/// One headless Debian Chromium per test class, driven by Playwright for .NET. Expectations and actions wait on
/// their condition; the generous timeouts below only bound a failure on a busy machine.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";
    private const float Timeout = 120_000;
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public static string ArtifactsFolder
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Recoverly.slnx"))) dir = Path.GetDirectoryName(dir);
            var folder = Path.Combine(dir ?? Path.GetTempPath(), "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"Browser tests need Debian's Chromium at {ExecutablePath}: apt-get install -y chromium (.ci/run does this).");
        Assertions.SetDefaultExpectTimeout(Timeout);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>
    /// Chromium logs a Content-Security-Policy violation as a console error; this also names the directive and what
    /// was blocked, so a page that needs an inline script or style fails its test with a readable message.
    /// </summary>
    private const string ReportCspViolations =
        "document.addEventListener('securitypolicyviolation', e => console.error("
        + "'CSP violation on ' + location.pathname + ': ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')));";

    /// <summary>A phone-sized page (iPhone 13-ish) that fails the test on any console error, CSP violation or failed request.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> NewPhonePageAsync(string baseUrl, int width = 390, int height = 844)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = width, Height = height }, IsMobile = width < 600, HasTouch = width < 600,
        });
        context.SetDefaultTimeout(Timeout);
        context.SetDefaultNavigationTimeout(Timeout);
        await context.AddInitScriptAsync(ReportCspViolations);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);
        page.Response += (_, response) => { if (response.Status >= 400) errors.Add($"HTTP {response.Status} {response.Url}"); };
        var documents = _documents.GetOrCreateValue(page);
        page.Response += (_, response) =>
        {
            if (response.Request.ResourceType == "document") lock (documents) documents.Add($"{response.Request.Method} {response.Url} → {response.Status}");
        };
        return (context, page, errors);
    }

    /// <summary>Each page's document requests and their answers, for <see cref="DescribeAsync"/>.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> _documents = new();

    /// <summary>Where a failed browser scenario stood: the page's address and text, its console errors, and the app's last log lines.</summary>
    public static async Task<string> DescribeAsync(IPage page, IReadOnlyList<string> consoleErrors, LogCollector logs)
    {
        string text;
        try
        {
            text = await page.Locator("body").InnerTextAsync(new() { Timeout = 10_000 });
        }
        catch (PlaywrightException e)
        {
            text = $"(unreadable: {e.Message})";
        }
        if (text.Length > 2000) text = text[..2000] + "…";
        var documents = _documents.TryGetValue(page, out var list) ? list.ToArray() : [];
        return $"""
            The page was {page.Url}, after {string.Join(" | ", documents.TakeLast(8))}; it showed:
            {text}
            Console errors: {(consoleErrors.Count == 0 ? "none" : string.Join(" | ", consoleErrors))}
            The app's last log lines:
            {string.Join('\n', logs.Lines.TakeLast(60))}
            """;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
