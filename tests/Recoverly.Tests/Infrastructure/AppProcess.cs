using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony.Simulator;

namespace Recoverly.Tests.Infrastructure;

/// <summary>Tests that run the app as OS processes take turns: on a 2-core machine, parallel app processes only slow each other down.</summary>
[CollectionDefinition(Name)]
public sealed class AppProcessCollection
{
    public const string Name = "App processes";
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// The real app as its own OS process — <c>dotnet src/Recoverly/bin/{Configuration}/net10.0/Recoverly.dll</c>,
/// configured only through environment variables — for what an in-process host cannot show: the CLI's
/// exit codes and output streams, and a server killed with SIGKILL and started again.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    // Bound a failure only: a cold `dotnet` start on two busy cores can take many times its usual few seconds.
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string? _sqliteFile;
    private readonly StringBuilder _serverStdout = new();
    private readonly StringBuilder _serverStderr = new();
    private Process? _server;

    private AppProcess(Db db, string connectionString, string? sqliteFile, TwilioSink? sink, IDictionary<string, string?> settings)
    {
        Db = db;
        ConnectionString = connectionString;
        _sqliteFile = sqliteFile;
        Port = FreePort();
        Environment = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = null,
            ["Database__Provider"] = db.ToString(),
            ["ConnectionStrings__Recoverly"] = connectionString,
            ["Telephony__Provider"] = "Twilio",
            ["Telephony__SendRatePerSecond"] = "0",
            ["Twilio__AccountSid"] = TestApp.AccountSid,
            ["Twilio__AuthToken"] = TestApp.AuthToken,
            // The sink does not answer keywords itself: an account with Twilio's keyword handling off, as TestApp's Provider.Twilio.
            ["Twilio__KeywordReplies"] = "Recoverly",
            // Nothing listens here unless a sink is given: a send fails fast as "never reached the provider".
            ["Twilio__ApiBaseUrl"] = sink?.BaseUrl ?? "http://127.0.0.1:9",
            ["Recoverly__PublicBaseUrl"] = BaseUrl,
            // One rehearsed call at start-up, not the deployed 60 and the wait for the JIT (WarmupTests runs those).
            ["Recoverly__WarmUpRounds"] = "1",
        };
        foreach (var (k, v) in settings) Environment[k] = v;
    }

    public Db Db { get; }
    public string ConnectionString { get; }

    /// <summary>The server's port; kept across restarts so <c>Recoverly:PublicBaseUrl</c> stays true.</summary>
    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Environment of every process started from here; null removes an inherited variable.</summary>
    public IDictionary<string, string?> Environment { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(3) }; // a cold server on a busy machine can be slow

    /// <summary>Everything the server wrote, over all its runs.</summary>
    public string ServerStdout { get { lock (_serverStdout) return _serverStdout.ToString(); } }
    public string ServerStderr { get { lock (_serverStderr) return _serverStderr.ToString(); } }

    public bool ServerRunning => _server is { HasExited: false };

    /// <summary>The server's last console lines, for a failure message (the app masks numbers and never logs bodies or secrets).</summary>
    public string ConsoleTail()
    {
        static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(60));
        return $"--- server stdout (tail) ---\n{Tail(ServerStdout)}\n--- server stderr (tail) ---\n{Tail(ServerStderr)}";
    }

    /// <summary>An app over a new SQLite file or a new PostgreSQL database (empty: run `migrate` or start the server first).</summary>
    public static async Task<AppProcess> CreateAsync(Db db, TwilioSink? sink = null, IDictionary<string, string?>? settings = null)
    {
        settings ??= new Dictionary<string, string?>();
        if (db == Db.Sqlite)
        {
            var file = Path.Combine(Path.GetTempPath(), $"recoverly-proc-{Guid.NewGuid():N}.db");
            return new AppProcess(db, $"Data Source={file}", file, sink, settings);
        }
        return new AppProcess(db, await TestApp.FreshPostgresDatabaseAsync(), null, sink, settings);
    }

    /// <summary>
    /// Another app process on the same database as <paramref name="first"/> (its own port, its own settings), for
    /// deployments of several processes; the first one owns the database and removes it when disposed.
    /// </summary>
    public static AppProcess SharingDatabaseWith(AppProcess first, TwilioSink? sink = null, IDictionary<string, string?>? settings = null) =>
        new(first.Db, first.ConnectionString, null, sink, settings ?? new Dictionary<string, string?>());

    /// <summary>Runs one CLI command to its end.</summary>
    public async Task<CliResult> RunCliAsync(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CliTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not finish in {CliTimeout.TotalSeconds} s");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts `serve` on <see cref="Port"/> and returns once GET /healthz answers 200 (ready), or with <paramref name="untilReady"/>
    /// false once it answers at all (listening, maybe still warming up).
    /// </summary>
    public async Task StartServerAsync(bool untilReady = true)
    {
        if (ServerRunning) throw new InvalidOperationException("The server is already running.");
        var process = Start(["--urls", BaseUrl]);
        process.OutputDataReceived += (_, e) => Append(_serverStdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_serverStderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _server = process;

        try
        {
            await Eventually.TrueAsync(async () =>
            {
                if (process.HasExited)
                {
                    await process.WaitForExitAsync();
                    throw new InvalidOperationException($"The server exited with {process.ExitCode} before it was healthy.\n{ServerStdout}\n{ServerStderr}");
                }
                try
                {
                    // A probe that hangs is simply asked again; only the overall deadline decides failure.
                    using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using var health = await Http.GetAsync(BaseUrl + "/healthz", probe.Token);
                    return health.StatusCode == HttpStatusCode.OK || !untilReady;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    return false; // not listening yet
                }
            }, untilReady ? "the server answered GET /healthz with 200" : "the server answered GET /healthz", StartTimeout);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            KillHard();
            throw new TimeoutException($"{e.Message}\n{ServerStdout}\n{ServerStderr}", e);
        }
        catch
        {
            KillHard();
            throw;
        }
    }

    /// <summary>SIGKILL (<c>kill -9</c>): no shutdown hooks, no flushing, in-flight requests cut off.</summary>
    public void KillHard()
    {
        if (_server is not { } process) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit(); // also waits for the output readers to reach end of stream
        process.Dispose();
        _server = null;
    }

    /// <summary>SIGTERM and a graceful shutdown (logs flushed); SIGKILL if it takes too long.</summary>
    public async Task StopServerAsync()
    {
        if (_server is not { } process) return;
        if (!process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // fall through to SIGKILL
            }
        }
        KillHard();
    }

    public Task<HttpResponseMessage> MissedCallAsync(string from, string to = "+15125550100", string? callSid = null) =>
        PostSignedAsync("/twilio/voice", new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid ?? TestApp.NewSid("CA"),
            ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["From"] = from, ["To"] = to, ["Caller"] = from, ["Called"] = to,
        });

    public Task<HttpResponseMessage> InboundSmsAsync(string from, string body, string to = "+15125550100", string? messageSid = null)
    {
        var sid = messageSid ?? TestApp.NewSid("SM");
        return PostSignedAsync("/twilio/sms", new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = sid, ["SmsSid"] = sid, ["SmsMessageSid"] = sid,
            ["SmsStatus"] = "received", ["From"] = from, ["To"] = to, ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1",
        });
    }

    /// <summary>Posts a webhook signed the way Twilio signs it: for PublicBaseUrl + path.</summary>
    public Task<HttpResponseMessage> PostSignedAsync(string path, Dictionary<string, string> fields, string authToken = TestApp.AuthToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("X-Twilio-Signature", SimulatorCarrier.Sign(authToken, BaseUrl + path, fields));
        return Http.SendAsync(request);
    }

    /// <summary>
    /// Applies the migrations and adds a business from this test process — quicker than `business add`
    /// when the CLI is not what is tested.
    /// </summary>
    public async Task<Business> AddBusinessAsync(string name = "Acme Plumbing", string number = "+15125550100",
        string businessPhone = "+15125550101", string? ownerPhone = null)
    {
        return await QueryAsync(async db =>
        {
            await db.Database.MigrateAsync();
            var (business, error) = await new BusinessRegistry(db, TimeProvider.System, new DispatchSignal(),
                    Microsoft.Extensions.Options.Options.Create(new Recoverly.Telephony.RecoverlyOptions()))
                .CreateAsync(new NewBusiness(name, number, businessPhone, ownerPhone, null, CallMode.Forwarding, "America/Chicago"), "test", CancellationToken.None);
            Assert.Null(error);
            return business!;
        });
    }

    /// <summary>Reads the app's database directly (a context of this test process, not the app's).</summary>
    public async Task<T> QueryAsync<T>(Func<RecoverlyDb, Task<T>> query)
    {
        await using RecoverlyDb db = Db == Db.Sqlite
            ? new SqliteRecoverlyDb(new DbContextOptionsBuilder<SqliteRecoverlyDb>().UseSqlite(ConnectionString).Options)
            : new PostgresRecoverlyDb(new DbContextOptionsBuilder<PostgresRecoverlyDb>().UseNpgsql(ConnectionString).Options);
        return await query(db);
    }

    public ValueTask DisposeAsync()
    {
        KillHard();
        Http.Dispose();
        if (_sqliteFile is not null)
        {
            SqliteFiles.Delete(ConnectionString, _sqliteFile);
        }
        else if (Db == Db.Postgres) PostgresCluster.ClearPoolOf(ConnectionString);
        return ValueTask.CompletedTask;
    }

    private Process Start(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(AppDll)!,
        };
        start.ArgumentList.Add(AppDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in Environment)
        {
            if (v is null) start.Environment.Remove(k);
            else start.Environment[k] = v;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.StandardInput.Close();
        return process;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The folder holding Recoverly.slnx, found by walking up from the test's output folder.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in (bin/{Configuration}/{tfm}/).</summary>
    public static string Configuration { get; } = FindConfiguration();

    /// <summary>The app's build output for the same configuration; `dotnet test` builds it through the project reference.</summary>
    public static string AppDll => LazyAppDll.Value;

    private static readonly Lazy<string> LazyAppDll = new(FindAppDll);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Recoverly.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No Recoverly.slnx above {AppContext.BaseDirectory}");
    }

    private static string FindConfiguration()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        if (output.Parent is { Parent.Name: "bin" } configuration) return configuration.Name;
        // Any other layout (e.g. artifacts/): the configuration the compiler stamped into this assembly.
        return typeof(AppProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
               ?? throw new InvalidOperationException($"Cannot tell the build configuration from {AppContext.BaseDirectory}");
    }

    private static string FindAppDll()
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        string[] candidates =
        [
            Path.Combine(RepoRoot, "src", "Recoverly", "bin", Configuration, tfm, "Recoverly.dll"),
            Path.Combine(RepoRoot, "artifacts", "bin", "Recoverly", Configuration.ToLowerInvariant(), "Recoverly.dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException($"The app is not built: none of {string.Join(", ", candidates)} exists. " +
                                                      $"Run `dotnet build Recoverly.slnx -c {Configuration}`.");
    }
}
