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

/// <summary>
/// The app in-process over a real database built by its migrations, with a fake Twilio API and
/// fake time, driven through intent methods that speak the real webhook wire format.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    public const string AccountSid = "AC11111111111111111111111111111111";
    public const string AuthToken = "test-auth-token-0123456789";
    public const string BaseUrl = "http://localhost";

    private readonly WebApplicationFactory<Program> _factory;
    private readonly string? _sqliteFile;

    public Db Db { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 15, 0, 0, TimeSpan.Zero));
    public FakeTwilioApi Twilio { get; } = new(AccountSid, AuthToken);
    public FakeTwilioNumbers TwilioNumbers { get; } = new(AccountSid, AuthToken);
    public LogCollector Logs { get; } = new();
    public HttpClient Http { get; }
    public string ConnectionString { get; }
    public IServiceProvider Services => _factory.Services;

    private TestApp(Db db, string connectionString, string? sqliteFile, IDictionary<string, string?> settings)
    {
        Db = db;
        ConnectionString = connectionString;
        _sqliteFile = sqliteFile;
        Twilio.Clock = () => Time.GetUtcNow().UtcDateTime;
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
            // The per-send timeout runs on the wall clock: a send a test holds open must not time out however slow the machine.
            ["Dispatch:SendTimeoutSeconds"] = "3600",
        };
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
                // The simulator posts its webhooks back into this test server.
                services.AddHttpClient(SimulatorCarrier.HttpClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => _factory!.Server.CreateHandler());
            });
        });
        Http = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri(BaseUrl) });
    }

    /// <summary>A client that keeps cookies, like a browser (for signed-in owners use <see cref="OwnerClient"/>).</summary>
    public HttpClient NewBrowserClient() =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(BaseUrl) });

    public static async Task<TestApp> StartAsync(Db db, IDictionary<string, string?>? settings = null)
    {
        settings ??= new Dictionary<string, string?>();
        TestApp app;
        if (db == Db.Sqlite)
        {
            var file = Path.Combine(Path.GetTempPath(), $"recoverly-test-{Guid.NewGuid():N}.db");
            app = new TestApp(db, $"Data Source={file}", file, settings);
        }
        else
        {
            app = new TestApp(db, await FreshPostgresDatabaseAsync(), null, settings);
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
        var sid = messageSid ?? NewSid("SM");
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = sid, ["SmsSid"] = sid, ["SmsMessageSid"] = sid,
            ["SmsStatus"] = "received", ["From"] = from, ["To"] = to, ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1",
        };
        if (extra is not null) foreach (var (k, v) in extra) fields[k] = v;
        return PostSignedAsync("/twilio/sms", fields);
    }

    public Task<HttpResponseMessage> MessageStatusAsync(string messageSid, string status, int? errorCode = null)
    {
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
        await _factory.DisposeAsync();
        if (_sqliteFile is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { _sqliteFile, _sqliteFile + "-wal", _sqliteFile + "-shm" })
                try { File.Delete(f); } catch (IOException) { }
        }
        else
        {
            ClosePostgresPool(ConnectionString);
        }
    }

    /// <summary>
    /// Closes the idle connections the app's pool keeps (up to 100 after a burst, for minutes otherwise): left open,
    /// a run's worth of them can exceed the shared cluster's max_connections and fail whichever test comes next.
    /// </summary>
    public static void ClosePostgresPool(string connectionString)
    {
        using var pooled = new NpgsqlConnection(DatabaseSetup.PreparePostgres(connectionString));
        NpgsqlConnection.ClearPool(pooled);
    }
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
}
