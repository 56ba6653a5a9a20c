using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
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
using Recoverly.Dispatch;
using Recoverly.Telephony;
using Recoverly.Telephony.Simulator;

namespace Recoverly.Tests.Infrastructure;

public enum Db { Sqlite, Postgres }

/// <summary>Which telephony provider the app under test talks to (each through its own stand-in).</summary>
public enum Provider { Twilio, Telnyx }

/// <summary>
/// The app in-process over a real database built by its migrations, with a fake Twilio API and
/// fake time, driven through intent methods that speak the real webhook wire format.
/// </summary>
public sealed partial class TestApp : IAsyncDisposable
{
    public const string AccountSid = "AC11111111111111111111111111111111";
    public const string AuthToken = "test-auth-token-0123456789";
    public const string BaseUrl = "http://localhost";

    private readonly WebApplicationFactory<Program> _factory;
    private readonly string? _sqliteFile;

    public Db Db { get; }
    public Provider Provider { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 15, 0, 0, TimeSpan.Zero));
    public FakeTwilioApi Twilio { get; } = new(AccountSid, AuthToken);
    public FakeTwilioNumbers TwilioNumbers { get; } = new(AccountSid, AuthToken);
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
            ["ConnectionStrings:Recoverly"] = connectionString,
            ["Telephony:Provider"] = "Twilio",
            ["Telephony:SendRatePerSecond"] = "0",
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:AuthToken"] = AuthToken,
            ["Recoverly:PublicBaseUrl"] = BaseUrl,
            ["Recoverly:Roles"] = "web",
        };
        if (provider == Provider.Telnyx) foreach (var (k, v) in TelnyxSettings()) config[k] = v;
        foreach (var (k, v) in settings) config[k] = v;

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (k, v) in config) web.UseSetting(k, v);
            web.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
            web.ConfigureTestServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Time);
                // The Twilio adapter talks to the fake API, or (simulator mode) to the simulator inside this test server.
                var simulator = string.Equals(config["Telephony:Provider"], "Simulator", StringComparison.OrdinalIgnoreCase);
                services.AddHttpClient(TwilioGateway.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => simulator ? _factory!.Server.CreateHandler() : TwilioNumbers.Handler(Twilio.Handler()));
                services.AddHttpClient(Recoverly.Telephony.TelnyxGateway.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => Telnyx.Handler());
                // The simulator posts its webhooks back into this test server.
                services.AddHttpClient(SimulatorCarrier.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => _factory!.Server.CreateHandler());
            });
        });
        Http = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri(BaseUrl) });
    }

    /// <summary>A client that keeps cookies, like a browser (owner sessions: see <see cref="OwnerSession"/>).</summary>
    public HttpClient NewBrowserClient() =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(BaseUrl) });

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
        await app.QueryAsync(d => d.Businesses.AnyAsync());
        return app;
    }

    private static readonly Lazy<Task<string>> Template = new(async () =>
    {
        var cluster = await PostgresCluster.GetSharedAsync();
        var connection = await cluster.CreateDatabaseAsync();
        await using (var db = new PostgresRecoverlyDb(new DbContextOptionsBuilder<PostgresRecoverlyDb>().UseNpgsql(connection).Options))
            await db.Database.MigrateAsync();
        NpgsqlConnection.ClearAllPools();
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
        return PostSignedAsync("/twilio/sms", fields);
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
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { _sqliteFile, _sqliteFile + "-wal", _sqliteFile + "-shm" })
                try { File.Delete(f); } catch (IOException) { }
        }
    }
}

public static class Databases
{
    public static TheoryData<Db> Both => new() { Db.Sqlite, Db.Postgres };

    /// <summary>The core scenarios on both databases against both providers' stand-ins.</summary>
    public static TheoryData<Db, Provider> BothWithBothProviders => new()
    {
        { Db.Sqlite, Provider.Twilio }, { Db.Postgres, Provider.Twilio }, { Db.Sqlite, Provider.Telnyx }, { Db.Postgres, Provider.Telnyx },
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
