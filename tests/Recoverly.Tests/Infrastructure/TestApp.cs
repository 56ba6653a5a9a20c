using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Hosting;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Telephony.Simulator;

namespace Recoverly.Tests.Infrastructure;

public enum Db { Sqlite, Postgres }

/// <summary>Which telephony provider the app under test talks to (each through its own stand-in).</summary>
/// <remarks>
/// <see cref="Twilio"/> is an account with Twilio's default keyword handling off (<c>Twilio:KeywordReplies=Recoverly</c>);
/// <see cref="TwilioAnswersKeywords"/> one with it on, as new accounts are (<c>Provider</c>, the app's default): the stand-in then
/// answers the exact default keywords itself and refuses texts to a phone that sent STOP with 21610.
/// </remarks>
public enum Provider { Twilio, Telnyx, TwilioAnswersKeywords }

/// <summary>
/// The app in-process over a real database built by its migrations, with a fake Twilio API and
/// fake time, driven through intent methods that speak the real webhook wire format.
/// </summary>
public sealed partial class TestApp : IAsyncDisposable
{
    public const string AccountSid = "AC11111111111111111111111111111111";
    public const string AuthToken = "test-auth-token-0123456789";
    public const string BaseUrl = "http://localhost";

    /// <summary>Tests that go through a proxy name the connection's address in this header (the test server has no sockets).</summary>
    public const string PeerHeader = "X-Test-Peer-Address";

    private readonly WebApplicationFactory<Program> _factory;
    private readonly string? _sqliteFile;
    private readonly string _ownMailFolder = Path.Combine(Path.GetTempPath(), $"recoverly-mail-{Guid.NewGuid():N}");

    /// <summary>
    /// Settings for the app as deployed at a public https:// address: start-up then insists on an SMTP host, which is
    /// named here but never used (tests read mail from the pickup folder).
    /// </summary>
    public static Dictionary<string, string?> PublicAddress(string baseUrl = "https://recoverly.example.com") => new()
    {
        ["Recoverly:PublicBaseUrl"] = baseUrl,
        ["Email:SmtpHost"] = "smtp.invalid",
    };

    public Db Db { get; }
    public Provider Provider { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 15, 0, 0, TimeSpan.Zero));
    public FakeTwilioApi Twilio { get; } = new(AccountSid, AuthToken);
    public FakeTwilioNumbers TwilioNumbers { get; } = new(AccountSid, AuthToken);
    /// <summary>Answers line-type lookups when a test sets <c>Twilio:LookupBaseUrl</c> (<see cref="WithLookups"/>).</summary>
    public FakeTwilioLookup Lookups { get; } = new(AccountSid, AuthToken);

    /// <summary>Settings that turn line-type lookups on, answered by <see cref="Lookups"/>.</summary>
    public static Dictionary<string, string?> WithLookups() => new() { ["Twilio:LookupBaseUrl"] = FakeTwilioLookup.BaseUrl };
    public FakeTwilioRecordings TwilioRecordings { get; } = new(AccountSid, AuthToken);
    public LogCollector Logs { get; } = new();
    public HttpClient Http { get; }
    public string ConnectionString { get; }
    public IServiceProvider Services => _factory.Services;

    private TestApp(Db db, Provider provider, string connectionString, string? sqliteFile, IDictionary<string, string?> settings)
    {
        Db = db;
        Provider = provider;
        ConnectionString = connectionString;
        _sqliteFile = sqliteFile;
        Twilio.Clock = () => Time.GetUtcNow().UtcDateTime;
        Telnyx.Clock = () => Time.GetUtcNow().UtcDateTime;
        var config = new Dictionary<string, string?>
        {
            ["Database:Provider"] = db.ToString(),
            // One primed connection and one rehearsed call are enough for a test; a deployment primes its whole pool and
            // rehearses until the path is optimised (WarmupTests checks both).
            ["Recoverly:WarmUpConnections"] = "1",
            ["Recoverly:WarmUpRounds"] = "1",
            ["ConnectionStrings:Recoverly"] = connectionString,
            ["Telephony:Provider"] = "Twilio",
            ["Telephony:SendRatePerSecond"] = "0",
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:AuthToken"] = AuthToken,
            ["Twilio:KeywordReplies"] = provider == Provider.TwilioAnswersKeywords ? "Provider" : "Recoverly",
            // The doubles stand in for the real API (no ApiBaseUrl), which would turn the registration check on; tests that want it say so.
            ["Twilio:RegistrationCheck"] = "false",
            ["Recoverly:PublicBaseUrl"] = BaseUrl,
            ["Recoverly:Roles"] = "web",
            // The per-send timeout runs on the wall clock: a send a test holds open must not time out however slow the machine.
            ["Dispatch:SendTimeoutSeconds"] = "3600",
            ["Email:PickupFolder"] = _ownMailFolder,
        };
        if (provider == Provider.Telnyx) foreach (var (k, v) in TelnyxSettings()) config[k] = v;
        foreach (var (k, v) in settings.Where(s => s.Key != ConnectionExtra)) config[k] = v;
        if (settings.TryGetValue(ConnectionExtra, out var extra) && !string.IsNullOrEmpty(extra))
            config["ConnectionStrings:Recoverly"] = ConnectionString = $"{connectionString};{extra}";
        MailFolder = config["Email:PickupFolder"]!;

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (k, v) in config) web.UseSetting(k, v);
            web.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
            web.ConfigureTestServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Time);
                services.AddSingleton<IStartupFilter, PeerAddressFilter>();
                // Mail always lands in this app's pickup folder, even with an SMTP host configured: no test ever talks SMTP.
                services.RemoveAll<IMailer>();
                services.AddSingleton<IMailer, PickupFolderMailer>();
                // The Twilio adapter talks to the fake API, or (simulator mode) to the simulator inside this test server.
                var simulator = string.Equals(config["Telephony:Provider"], "Simulator", StringComparison.OrdinalIgnoreCase);
                services.AddHttpClient(TwilioGateway.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => new RehearsalPassThrough(simulator ? _factory!.Server.CreateHandler() : TwilioRecordings.Handler(TwilioNumbers.Handler(Twilio.Handler()))));
                services.AddHttpClient(Recoverly.Telephony.TwilioLookup.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => simulator ? _factory!.Server.CreateHandler() : Lookups.Handler());
                services.AddHttpClient(Recoverly.Telephony.TelnyxGateway.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => new RehearsalPassThrough(Telnyx.Handler()));
                services.AddHttpClient(Recoverly.Telephony.TelnyxRecordings.MediaClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => Telnyx.MediaHandler());
                // The simulator posts its webhooks back into this test server.
                services.AddHttpClient(SimulatorCarrier.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => _factory!.Server.CreateHandler());
            });
        });
        Http = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri(BaseUrl) });
    }

    /// <summary>Where the app's mail lands (the pickup folder; no SMTP in tests).</summary>
    public string MailFolder { get; }

    /// <summary>
    /// Waits for a mail to <paramref name="to"/> whose subject contains <paramref name="subject"/>, returns its text and
    /// deletes it (account mail leaves through a background queue, so it may take a moment).
    /// </summary>
    public Task<string> TakeMailAsync(string to, string subject) => Mailbox.TakeAsync(MailFolder, to, subject);

    /// <summary>A client for another address of the app (a public https:// host, say), redirects not followed.</summary>
    public HttpClient NewClient(string baseUrl, bool cookies = true) =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = cookies, BaseAddress = new Uri(baseUrl) });

    /// <summary>A client that keeps cookies, like a browser (for signed-in owners use <see cref="OwnerClient"/>).</summary>
    public HttpClient NewBrowserClient() =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(BaseUrl) });

    /// <summary>A settings key whose value is appended to the app's connection string (e.g. a tiny pool), not a configuration key.</summary>
    public const string ConnectionExtra = "test:connection-extra";

    public static Task<TestApp> StartAsync(Db db, IDictionary<string, string?>? settings = null) => StartAsync(db, Provider.Twilio, settings);

    public static async Task<TestApp> StartAsync(Db db, Provider provider, IDictionary<string, string?>? settings = null)
    {
        settings ??= new Dictionary<string, string?>();
        TestApp app;
        if (db == Db.Sqlite)
        {
            var file = Path.Combine(Path.GetTempPath(), $"recoverly-test-{Guid.NewGuid():N}.db");
            app = new TestApp(db, provider, $"Data Source={file}", file, settings);
        }
        else
        {
            app = new TestApp(db, provider, await FreshPostgresDatabaseAsync(), null, settings);
        }
        _ = app.Http; // builds and starts the host (runs migrations)
        // The host has started listening; a test, like a load balancer, waits for start-up's warm-up to finish (docs/deploy.md).
        await app.Services.GetRequiredService<Readiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(3));
        await app.QueryAsync(d => d.Businesses.AnyAsync());
        return app;
    }

    private static readonly Lazy<Task<string>> Template = new(async () =>
    {
        var cluster = await PostgresCluster.GetSharedAsync();
        var connection = await cluster.CreateDatabaseAsync();
        await using (var db = new PostgresRecoverlyDb(new DbContextOptionsBuilder<PostgresRecoverlyDb>().UseNpgsql(connection).Options))
            await db.Database.MigrateAsync();
        PostgresCluster.ClearPoolOf(connection);
        return new NpgsqlConnectionStringBuilder(connection).Database!;
    });

    /// <summary>A new database per test, copied from one migrated template.</summary>
    public static async Task<string> FreshPostgresDatabaseAsync()
    {
        var template = await Template.Value;
        var cluster = await PostgresCluster.GetSharedAsync();
        return await cluster.CreateDatabaseAsync(template);
    }

    public async Task<T> QueryAsync<T>(Func<RecoverlyDb, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<RecoverlyDb>());
    }

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public async Task<Business> AddBusinessAsync(string name = "Acme Plumbing", string number = "+15125550100",
        string businessPhone = "+15125550101", string? ownerPhone = null, string timeZone = "America/Chicago")
    {
        var (business, error) = await WithScopeAsync(sp => sp.GetRequiredService<BusinessRegistry>()
            .CreateAsync(new NewBusiness(name, number, businessPhone, ownerPhone, null, CallMode.Forwarding, timeZone), "test", CancellationToken.None));
        Assert.Null(error);
        return business!;
    }

    /// <summary>
    /// What the Founding User Program asks of a business (as a real owner would do it): an owner login whose email is
    /// confirmed, and call forwarding verified with a test call.
    /// </summary>
    public Task<int> SetUpForRealAsync(long businessId) => QueryAsync(async db =>
    {
        var now = Time.GetUtcNow().UtcDateTime;
        if (!await db.OwnerAccounts.AnyAsync(a => a.BusinessId == businessId))
            db.OwnerAccounts.Add(new Recoverly.Owners.OwnerAccount
            {
                Email = $"owner-{businessId}@example.com", PasswordHash = "-", SecurityStamp = "-", BusinessId = businessId, CreatedAt = now,
            });
        await db.SaveChangesAsync();
        await db.OwnerAccounts.Where(a => a.BusinessId == businessId).ExecuteUpdateAsync(s => s.SetProperty(a => a.EmailVerifiedAt, now));
        return await db.Businesses.Where(b => b.Id == businessId).ExecuteUpdateAsync(s => s.SetProperty(b => b.ForwardingVerifiedAt, now));
    });

    /// <summary>The operator's `numbers add`: puts a number the fake Twilio account owns into the pool sign-ups draw from.</summary>
    public async Task AddPoolNumberAsync(string e164)
    {
        var error = await WithScopeAsync(sp => NumberPool.AddAsync(sp.GetRequiredService<RecoverlyDb>(), sp.GetRequiredService<IWriteGate>(),
            e164, TwilioNumbers.Find(e164)?.Sid, "test", Time.GetUtcNow().UtcDateTime, CancellationToken.None));
        Assert.Null(error);
    }

    /// <summary>Adds a business whose owner has replied YES (alerts on).</summary>
    public async Task<Business> AddBusinessWithConfirmedOwnerAsync(string ownerPhone = "+15125550199", string number = "+15125550100")
    {
        var business = await AddBusinessAsync(number: number, ownerPhone: ownerPhone);
        await DispatchAsync();
        (await InboundSmsAsync(ownerPhone, number, "YES")).EnsureSuccessStatusCode();
        await DispatchAsync();
        return business;
    }

    public static string NewSid(string prefix) => prefix + Guid.NewGuid().ToString("N");

    public Task<HttpResponseMessage> MissedCallAsync(string from, string to = "+15125550100", string? callSid = null,
        IDictionary<string, string>? extra = null)
    {
        if (Provider == Provider.Telnyx) return TelnyxCallAsync(from, to, callSid, extra);
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid ?? NewSid("CA"), ["CallStatus"] = "ringing",
            ["Direction"] = "inbound", ["From"] = from, ["To"] = to, ["Caller"] = from, ["Called"] = to,
        };
        if (extra is not null) foreach (var (k, v) in extra) fields[k] = v;
        return PostSignedAsync("/twilio/voice", fields);
    }

    public Task<HttpResponseMessage> InboundSmsAsync(string from, string to, string body, string? messageSid = null,
        IDictionary<string, string>? extra = null)
    {
        if (Provider == Provider.Telnyx) return TelnyxInboundAsync(from, to, body, messageSid, extra);
        var sid = messageSid ?? NewSid("SM");
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = sid, ["SmsSid"] = sid, ["SmsMessageSid"] = sid,
            ["SmsStatus"] = "received", ["From"] = from, ["To"] = to, ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1",
        };
        if (extra is not null) foreach (var (k, v) in extra) fields[k] = v;
        if (Provider == Provider.TwilioAnswersKeywords) Twilio.Receive(from, to, body);
        return PostSignedAsync("/twilio/sms", fields);
    }

    /// <summary>A Twilio recording URL for <paramref name="recordingSid"/> in this account, as the Record callbacks carry it.</summary>
    public static string RecordingUrl(string recordingSid) => $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Recordings/{recordingSid}";

    /// <summary>The greeting's Record action: the caller left a voicemail (no transcription yet).</summary>
    public Task<HttpResponseMessage> VoicemailRecordedAsync(string callSid, string recordingSid) =>
        PostSignedAsync("/twilio/voice/recording", new()
        {
            ["AccountSid"] = AccountSid, ["CallSid"] = callSid, ["RecordingSid"] = recordingSid, ["RecordingUrl"] = RecordingUrl(recordingSid),
            ["RecordingDuration"] = "14", ["RecordingStatus"] = "completed",
        });

    /// <summary>Twilio's transcribeCallback: "completed" with the text, or "failed" without.</summary>
    public Task<HttpResponseMessage> VoicemailTranscribedAsync(string callSid, string recordingSid, string? text, string status = "completed")
    {
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["CallSid"] = callSid, ["RecordingSid"] = recordingSid, ["RecordingUrl"] = RecordingUrl(recordingSid),
            ["TranscriptionSid"] = NewSid("TR"), ["TranscriptionStatus"] = status, ["TranscriptionType"] = "fast",
        };
        if (text is not null) fields["TranscriptionText"] = text;
        return PostSignedAsync("/twilio/voice/recording", fields);
    }

    /// <summary>A status event for a text we sent, in the provider's own words (Twilio "undelivered", Telnyx "delivery_failed").</summary>
    public Task<HttpResponseMessage> MessageStatusAsync(string messageSid, string status, int? errorCode = null)
    {
        if (Provider == Provider.Telnyx) return TelnyxStatusAsync(messageSid, status, errorCode);
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = messageSid, ["SmsSid"] = messageSid,
            ["MessageStatus"] = status, ["SmsStatus"] = status,
        };
        if (errorCode is { } code) fields["ErrorCode"] = code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return PostSignedAsync("/twilio/sms/status", fields);
    }

    public Task<HttpResponseMessage> PostSignedAsync(string path, Dictionary<string, string> fields, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("X-Twilio-Signature", signature ?? SimulatorCarrier.Sign(AuthToken, BaseUrl + path, fields));
        return Http.SendAsync(request);
    }

    /// <summary>Runs the dispatcher until nothing is due now. Returns how many rows it claimed.</summary>
    public async Task<int> DispatchAsync()
    {
        var dispatcher = Services.GetRequiredService<Dispatcher>();
        var total = 0;
        for (var i = 0; i < 100; i++)
        {
            var claimed = await dispatcher.RunOnceAsync(CancellationToken.None);
            if (claimed == 0) break;
            total += claimed;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        TelnyxKey.Dispose();
        await _factory.DisposeAsync();
        if (_sqliteFile is not null)
        {
            SqliteFiles.Delete(ConnectionString, _sqliteFile);
        }
        else
        {
            ClosePostgresPool(ConnectionString);
        }
        try { Directory.Delete(_ownMailFolder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Gives a request the connection address named in <see cref="PeerHeader"/>, as a socket would, before the app sees it.</summary>
    private sealed class PeerAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (System.Net.IPAddress.TryParse(http.Request.Headers[PeerHeader].ToString(), out var peer)) http.Connection.RemoteIpAddress = peer;
                return nextMiddleware(http);
            });
            next(app);
        };
    }

    /// <summary>
    /// Closes the idle connections the app's pool keeps (up to 100 after a burst, for minutes otherwise): left open,
    /// a run's worth of them can exceed the shared cluster's max_connections and fail whichever test comes next.
    /// </summary>
    public static void ClosePostgresPool(string connectionString)
    {
        var web = DatabaseSetup.PreparePostgres(connectionString);
        PostgresCluster.ClearPoolOf(web);
        // The dispatcher's own pool (docs/deploy.md, "Connections"), at the size the tests leave it.
        PostgresCluster.ClearPoolOf(DispatchConnection.ForPostgres(web, DispatchConnection.DefaultSize).ConnectionString!);
        // The connection that writes missed calls together, which its pool keeps open (docs/product/missed-calls.md).
        PostgresCluster.ClearPoolOf(Recoverly.Calls.CallWriteBatcher.OwnConnection(web));
    }
}

/// <summary>Reads mail the app wrote to a pickup folder.</summary>
public static class Mailbox
{
    /// <summary>Waits (account mail leaves through a background queue) for a mail to <paramref name="to"/> whose subject contains <paramref name="subject"/>; returns its text and deletes it.</summary>
    public static async Task<string> TakeAsync(string folder, string to, string subject)
    {
        var file = await Eventually.MatchAsync(() => Task.FromResult(Find(folder, to, subject)), f => f is not null,
            $"a mail \"{subject}\" to {to} arrives in {folder}");
        var text = (await MimeKit.MimeMessage.LoadAsync(file!)).TextBody ?? "";
        File.Delete(file!);
        return text;
    }

    private static string? Find(string folder, string to, string subject) =>
        !Directory.Exists(folder) ? null : Directory.GetFiles(folder, "*.eml").FirstOrDefault(file =>
        {
            var message = MimeKit.MimeMessage.Load(file);
            return message.To.Mailboxes.Any(m => string.Equals(m.Address, to, StringComparison.OrdinalIgnoreCase))
                && (message.Subject ?? "").Contains(subject, StringComparison.Ordinal);
        });

    /// <summary>True when no mail to <paramref name="to"/> is in the folder now.</summary>
    public static bool NoneTo(string folder, string to) =>
        !Directory.Exists(folder) || Directory.GetFiles(folder, "*.eml").All(f =>
            !MimeKit.MimeMessage.Load(f).To.Mailboxes.Any(m => string.Equals(m.Address, to, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The first link in a mail whose path starts with <paramref name="pathPrefix"/>.</summary>
    public static string Link(string text, string pathPrefix) =>
        System.Text.RegularExpressions.Regex.Match(text, $@"https?://\S+{System.Text.RegularExpressions.Regex.Escape(pathPrefix)}\S*").Value is { Length: > 0 } link
            ? link
            : throw new InvalidOperationException($"no {pathPrefix} link in the mail:\n{text}");
}

public static class Databases
{
    /// <summary>The core scenarios on both databases against both providers' stand-ins.</summary>
    public static TheoryData<Db, Provider> BothWithBothProviders => new()
    {
        { Db.Sqlite, Provider.Twilio }, { Db.Postgres, Provider.Twilio }, { Db.Sqlite, Provider.Telnyx }, { Db.Postgres, Provider.Telnyx },
        { Db.Sqlite, Provider.TwilioAnswersKeywords }, { Db.Postgres, Provider.TwilioAnswersKeywords },
    };
}

public static class HttpAssert
{
    public static async Task<string> OkXmlAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    /// <summary>A 2xx answer, whatever its body (Telnyx's messaging webhooks answer an empty 200).</summary>
    public static async Task<string> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        return body;
    }
}
