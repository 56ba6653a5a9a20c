using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL 15 cluster for tests: <c>initdb</c> into a fresh temp directory, then
/// <c>pg_ctl start</c> on a free 127.0.0.1 port with its unix socket in that same directory, and
/// durability switched off for speed. <see cref="DisposeAsync"/> stops it (<c>-m immediate</c>) and
/// deletes the directory.
/// </summary>
/// <remarks>
/// <para>Binaries come from <c>/usr/lib/postgresql/15/bin</c>, or from the directory named by the
/// <c>RECOVERLY_PG_BIN</c> environment variable. When they are missing, <see cref="StartAsync"/> throws:
/// the tests on PostgreSQL are mandatory and are never skipped.</para>
/// <para>PostgreSQL refuses to run as root, so when the test process is root the binaries run through
/// <c>runuser -u postgres --</c> and the cluster's directory is chowned to <c>postgres</c>.</para>
/// <para>Most tests should use <see cref="GetSharedAsync"/> (one cluster per test process) and give
/// each test its own database through <see cref="CreateDatabaseAsync"/>.</para>
/// </remarks>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Where Debian's postgresql-15 package puts the server binaries.</summary>
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>Environment variable that overrides <see cref="DefaultBinDirectory"/>.</summary>
    public const string BinDirectoryVariable = "RECOVERLY_PG_BIN";

    private const string DirectoryPrefix = "recoverly-pg-";
    private const string OwnerFileName = "owner.pid";
    private const string SuperUser = "postgres";
    private const string ObjectInUse = "55006";
    /// <summary>Bounds a failure only (start-up, a busy template): generous, since CI machines are small and busy.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lock SharedGate = new();
    private static readonly ConcurrentDictionary<PostgresCluster, Process> s_watchdogs = new();
    private static Task<PostgresCluster>? s_shared;

    private readonly string _binDirectory;
    private readonly bool _asRoot;
    private bool _isShared;
    private int _disposed;

    private PostgresCluster(string binDirectory, bool asRoot, string rootDirectory)
    {
        _binDirectory = binDirectory;
        _asRoot = asRoot;
        RootDirectory = rootDirectory;
    }

    /// <summary>The TCP port on 127.0.0.1 the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>The temp directory holding the data directory, the socket directory and the server log.</summary>
    public string RootDirectory { get; }

    /// <summary>The cluster's data directory (<c>PGDATA</c>).</summary>
    public string DataDirectory => Path.Combine(RootDirectory, "data");

    /// <summary>The directory holding the unix socket.</summary>
    public string SocketDirectory => Path.Combine(RootDirectory, "sock");

    /// <summary>The server log written by <c>pg_ctl -l</c>.</summary>
    public string LogFile => Path.Combine(RootDirectory, "postgres.log");

    /// <summary>How long <see cref="StartAsync"/> took, from initdb to the first accepted connection.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Npgsql connection string for the superuser <c>postgres</c> on the <c>postgres</c> database.</summary>
    public string AdminConnectionString => ConnectionStringFor("postgres");

    /// <summary>Starts a new cluster; the caller owns it and must dispose it.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing or the server did not start.</exception>
    public static async Task<PostgresCluster> StartAsync(CancellationToken ct = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var binDirectory = ResolveBinDirectory();
        var asRoot = IsRoot();
        if (asRoot && FindExecutable("runuser") is null)
        {
            throw new InvalidOperationException(
                "The tests run as root, and PostgreSQL refuses to run as root, but 'runuser' (package util-linux) " +
                "was not found to run it as the 'postgres' user. Install util-linux, or run the tests as another user.");
        }

        var tempBase = TempBase(asRoot);
        CleanUpStaleClusters(tempBase, binDirectory, asRoot);

        var rootDirectory = Path.Combine(tempBase, DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(rootDirectory);
        var cluster = new PostgresCluster(binDirectory, asRoot, rootDirectory);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(rootDirectory, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            cluster.StartWatchdog();
            Directory.CreateDirectory(cluster.SocketDirectory);
            if (asRoot)
            {
                var chown = await RunAsync("chown", ["-R", $"{SuperUser}:{SuperUser}", rootDirectory], rootDirectory, ct).ConfigureAwait(false);
                if (chown.ExitCode != 0)
                {
                    throw cluster.Failure($"chown -R {SuperUser}:{SuperUser} {rootDirectory} failed (exit {chown.ExitCode}). Does the '{SuperUser}' user exist?", chown.Output);
                }
            }

            var initdb = await cluster.RunPostgresToolAsync(
                "initdb",
                ["-D", cluster.DataDirectory, "-A", "trust", "-U", SuperUser, "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
                ct).ConfigureAwait(false);
            if (initdb.ExitCode != 0)
            {
                throw cluster.Failure($"initdb failed (exit {initdb.ExitCode}).", initdb.Output);
            }

            await cluster.StartServerAsync(ct).ConfigureAwait(false);
            await cluster.WaitUntilReadyAsync(ct).ConfigureAwait(false);
            cluster.StartupTime = stopwatch.Elapsed;
            return cluster;
        }
        catch
        {
            await cluster.StopAndDeleteAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The process-wide cluster, started on first use and stopped when the test process exits.
    /// Disposing it is a no-op, so <c>await using</c> on it is harmless.
    /// </summary>
    public static Task<PostgresCluster> GetSharedAsync()
    {
        lock (SharedGate)
        {
            if (s_shared is null || s_shared.IsFaulted || s_shared.IsCanceled)
            {
                s_shared = StartSharedAsync();
            }

            return s_shared;
        }
    }

    private static async Task<PostgresCluster> StartSharedAsync()
    {
        var cluster = await StartAsync(CancellationToken.None).ConfigureAwait(false);
        cluster._isShared = true;
        // The test host may be killed while this runs (vstest does so right after the run); the
        // watchdog started with the cluster then finishes the job.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAndDeleteAsync().GetAwaiter().GetResult();
        return cluster;
    }

    /// <summary>Npgsql connection string for <paramref name="database"/> on this cluster, as the superuser.</summary>
    /// <summary>
    /// Closes the idle pooled connections of this test process for exactly <paramref name="connectionString"/>. Never every
    /// pool: that would close the connections other tests' apps, running at the same time, are using (and priming).
    /// </summary>
    public static void ClearPoolOf(string connectionString)
    {
        using var pooled = new NpgsqlConnection(connectionString);
        NpgsqlConnection.ClearPool(pooled);
    }

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Database = database,
        IncludeErrorDetail = true,
        // Waiting for a pooled connection (a burst of 200 webhooks shares 100) or a statement on busy cores bounds a failure only.
        Timeout = 120,
        CommandTimeout = 120,
    }.ConnectionString;

    /// <summary>
    /// Creates a database with a unique name, optionally as a copy of <paramref name="template"/>
    /// (which must have no open connections; pooled idle ones of this process are cleared), and returns
    /// its connection string.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string? template = null, CancellationToken ct = default)
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        // FILE_COPY: with fsync off its checkpoint is cheap, and it is ~10x faster than PG15's default
        // WAL_LOG strategy, which writes the whole template to the WAL (~300 ms per database here).
        var sql = "CREATE DATABASE " + QuoteIdentifier(name)
            + (template is null ? string.Empty : " TEMPLATE " + QuoteIdentifier(template))
            + " STRATEGY = FILE_COPY";
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ExecuteAsync("postgres", sql, ct).ConfigureAwait(false);
                return ConnectionStringFor(name);
            }
            catch (PostgresException e) when (e.SqlState == ObjectInUse && template is not null && deadline.Elapsed < ReadyTimeout)
            {
                // "source database is being accessed by other users": usually an idle pooled connection. Only the template's
                // pool is cleared: clearing every pool would close the connections other tests' apps are using (and priming).
                ClearPoolOf(ConnectionStringFor(template));
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (one or more statements) on a fresh, unpooled connection.
    /// <paramref name="database"/> is a database name, or a connection string such as the one
    /// <see cref="CreateDatabaseAsync"/> returns.
    /// </summary>
    public async Task ExecuteAsync(string database, string sql, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(database, ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="ExecuteAsync"/>, but returns the first column of the first row.</summary>
    public async Task<object?> ExecuteScalarAsync(string database, string sql, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(database, ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return result is DBNull ? null : result;
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m immediate</c>) and deletes its directory. No-op for the shared cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_isShared)
        {
            return;
        }

        await StopAndDeleteAsync().ConfigureAwait(false);
    }

    private async Task<NpgsqlConnection> OpenAsync(string database, CancellationToken ct)
    {
        var builder = database.Contains('=', StringComparison.Ordinal)
            ? new NpgsqlConnectionStringBuilder(database)
            : new NpgsqlConnectionStringBuilder(ConnectionStringFor(database));
        builder.Pooling = false;
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartServerAsync(CancellationToken ct)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            // max_connections: each app's pool may open 100 (a burst of 200 webhooks), and several such tests run in parallel.
            var options = string.Join(
                ' ',
                "-c listen_addresses=127.0.0.1",
                $"-p {port.ToString(CultureInfo.InvariantCulture)}",
                $"-k '{SocketDirectory}'",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=500");
            var logLengthBefore = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
            var start = await RunPostgresToolAsync(
                "pg_ctl",
                ["start", "-w", "-t", ReadyTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture), "-D", DataDirectory, "-l", LogFile, "-o", options],
                ct).ConfigureAwait(false);
            if (start.ExitCode == 0)
            {
                Port = port;
                return;
            }

            // Another process may have taken the port between FreePort() and the bind: try another one.
            var portTaken = ReadLog(logLengthBefore).Contains("Address already in use", StringComparison.Ordinal);
            if (!portTaken || attempt == attempts)
            {
                throw Failure($"pg_ctl start failed (exit {start.ExitCode}, port {port}, attempt {attempt}).", start.Output);
            }

            await RunPostgresToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate"], CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false, Timeout = 2 };
        var stopwatch = Stopwatch.StartNew();
        Exception? last = null;
        while (stopwatch.Elapsed < ReadyTimeout)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or IOException)
            {
                last = e;
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }

        throw Failure($"PostgreSQL on 127.0.0.1:{Port} did not accept connections within {ReadyTimeout.TotalSeconds:0} s. Last error: {last?.Message}", output: null);
    }

    private async Task StopAndDeleteAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunPostgresToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "20"], CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            // Best effort: the directory is removed below either way.
        }

        DeleteDirectory(RootDirectory);
        if (s_watchdogs.TryRemove(this, out var watchdog))
        {
            watchdog.Dispose(); // Closes its stdin: it wakes, finds the directory gone, and exits.
        }
    }

    /// <summary>
    /// Starts a detached shell (own session, so killing the test host's process tree spares it) that
    /// blocks reading a pipe from this process. The pipe reaches EOF when this process closes it or
    /// dies in any way, even by SIGKILL; the shell then stops the server and deletes the directory
    /// if they are still there. This covers a test host killed before or during its clean-up.
    /// </summary>
    private void StartWatchdog()
    {
        const string script =
            "exec >/dev/null 2>&1; root=$1; shift; " +
            "while read -r _; do :; done; " +
            "[ -d \"$root\" ] || exit 0; " +
            "[ -f \"$root/data/postmaster.pid\" ] && \"$@\"; " +
            "rm -rf \"$root\"";
        List<string> stop = _asRoot ? [FindExecutable("runuser")!, "-u", SuperUser, "--"] : [];
        stop.AddRange([Path.Combine(_binDirectory, "pg_ctl"), "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "20"]);
        var setsid = FindExecutable("setsid");
        var startInfo = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RootDirectory,
        };
        List<string> arguments = setsid is null ? [] : ["--fork", "/bin/sh"];
        arguments.AddRange(["-c", script, "recoverly-pg-watchdog", RootDirectory, .. stop]);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the clean-up watchdog.");
        s_watchdogs[this] = process; // Keeps the pipe open (and out of the finalizer's reach).
    }

    private Task<(int ExitCode, string Output)> RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var executable = Path.Combine(_binDirectory, tool);
        if (!_asRoot)
        {
            return RunAsync(executable, arguments, RootDirectory, ct);
        }

        // The working directory must be readable by postgres, or the tools fail to find themselves.
        return RunAsync(FindExecutable("runuser")!, ["-u", SuperUser, "--", executable, .. arguments], RootDirectory, ct);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        void Append(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            throw;
        }

        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private InvalidOperationException Failure(string message, string? output)
    {
        var text = new StringBuilder(message);
        if (!string.IsNullOrWhiteSpace(output))
        {
            text.AppendLine().AppendLine("--- command output ---").Append(output.TrimEnd());
        }

        var log = ReadLog(0);
        if (!string.IsNullOrWhiteSpace(log))
        {
            var lines = log.TrimEnd().Split('\n');
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"--- tail of {LogFile} ---")
                .AppendJoin('\n', lines.Skip(Math.Max(0, lines.Length - 40)));
        }

        return new InvalidOperationException(text.ToString());
    }

    private string ReadLog(long from)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(from, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static string ResolveBinDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        var directory = string.IsNullOrWhiteSpace(overridden) ? DefaultBinDirectory : overridden;
        var missing = new[] { "initdb", "pg_ctl", "postgres" }.Where(tool => !File.Exists(Path.Combine(directory, tool))).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL server binaries not found: {string.Join(", ", missing)} missing in '{directory}'" +
                (string.IsNullOrWhiteSpace(overridden) ? string.Empty : $" (from {BinDirectoryVariable})") + ". " +
                "The tests on PostgreSQL are mandatory and are never skipped: install PostgreSQL 15 " +
                "('apt-get install postgresql-15', which .ci/run does), or set " + BinDirectoryVariable +
                " to a directory holding initdb and pg_ctl.");
        }

        return directory;
    }

    private static bool IsRoot()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        if (Environment.UserName == "root")
        {
            return true;
        }

        try
        {
            // "Uid:\treal\teffective\tsaved\tfs"
            var uidLine = File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = uidLine?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 2 } && fields[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? FindExecutable(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The directory to create the cluster's directory in: the system temp dir, unless postgres could not
    /// reach it (a root-only TMPDIR) or the unix socket path would get too long (limit ~107 bytes).
    /// </summary>
    private static string TempBase(bool asRoot)
    {
        var candidate = Path.GetFullPath(Path.GetTempPath());
        var reachable = !asRoot || OperatingSystem.IsWindows() || ReachableByOthers(candidate);
        return reachable && candidate.Length <= 60 ? candidate : "/tmp";
    }

    private static bool ReachableByOthers(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            if ((current.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Best effort: stop and delete clusters left behind by test processes that died.</summary>
    private static void CleanUpStaleClusters(string tempBase, string binDirectory, bool asRoot)
    {
        try
        {
            foreach (var directory in Directory.EnumerateDirectories(tempBase, DirectoryPrefix + "*"))
            {
                var ownerFile = Path.Combine(directory, OwnerFileName);
                if (!File.Exists(ownerFile)
                    || !int.TryParse(File.ReadAllText(ownerFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                    || IsAlive(owner))
                {
                    continue;
                }

                var stale = new PostgresCluster(binDirectory, asRoot, directory);
                stale.StopAndDeleteAsync().GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Never let clean-up of someone else's leftovers fail a test run.
        }
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void DeleteDirectory(string directory)
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt == 5)
                {
                    return; // Leave it; the next run's stale clean-up gets another chance.
                }

                Thread.Sleep(100 * attempt);
            }
        }
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
