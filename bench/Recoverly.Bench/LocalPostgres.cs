using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Recoverly.Bench;

/// <summary>
/// A throw-away PostgreSQL cluster for one benchmark run: <c>initdb</c> into /tmp, <c>pg_ctl start</c>
/// on a free 127.0.0.1 port, stopped (<c>-m immediate</c>) and deleted on dispose. As root the server
/// tools run through <c>runuser -u postgres --</c>. Unlike the tests' cluster it keeps PostgreSQL's
/// durable defaults unless asked for the tests' fast settings, because commit cost is what is measured.
/// </summary>
public sealed partial class LocalPostgres : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private readonly string _bin;
    private readonly bool _asRoot;
    private Process? _watchdog;

    private LocalPostgres(string bin, bool asRoot, string root)
    {
        _bin = bin;
        _asRoot = asRoot;
        Root = root;
    }

    public string Root { get; }
    public string DataDirectory => Path.Combine(Root, "data");
    public string LogFile => Path.Combine(Root, "postgres.log");
    public int Port { get; private set; }
    public IReadOnlyList<string> ServerOptions { get; private set; } = [];

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Database = database,
    }.ConnectionString;

    /// <param name="statementStats">Load pg_stat_statements (with planning time) to show where the database time goes.</param>
    public static async Task<LocalPostgres> StartAsync(bool durable, bool statementStats)
    {
        var bin = Environment.GetEnvironmentVariable("RECOVERLY_PG_BIN") is { Length: > 0 } b ? b : "/usr/lib/postgresql/15/bin";
        if (!File.Exists(Path.Combine(bin, "initdb")))
            throw new InvalidOperationException($"PostgreSQL server binaries not found in {bin} (apt-get install postgresql-15, or set RECOVERLY_PG_BIN).");
        var asRoot = Environment.UserName == "root";
        var root = Path.Combine("/tmp", "recoverly-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var pg = new LocalPostgres(bin, asRoot, root);
        try
        {
            pg.StartWatchdog();
            Directory.CreateDirectory(Path.Combine(root, "sock"));
            if (asRoot) await pg.MustAsync(await RunAsync("chown", ["-R", $"{SuperUser}:{SuperUser}", root], root), "chown");
            await pg.MustAsync(await pg.ToolAsync("initdb", ["-D", pg.DataDirectory, "-A", "trust", "-U", SuperUser, "-E", "UTF8", "--locale=C.UTF-8"]), "initdb");

            pg.Port = FreePort();
            List<string> options =
            [
                "-c listen_addresses=127.0.0.1",
                $"-p {pg.Port.ToString(CultureInfo.InvariantCulture)}",
                $"-k {Path.Combine(root, "sock")}",
                "-c max_connections=300",
            ];
            if (!durable) options.AddRange(["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]);
            if (statementStats) options.AddRange(["-c shared_preload_libraries=pg_stat_statements", "-c pg_stat_statements.track_planning=on"]);
            pg.ServerOptions = options;
            await pg.MustAsync(await pg.ToolAsync("pg_ctl", ["start", "-w", "-t", "30", "-D", pg.DataDirectory, "-l", pg.LogFile, "-o", string.Join(' ', options)]), "pg_ctl start");
            return pg;
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    /// <summary>Server settings that decide commit cost, for the report.</summary>
    public async Task<IReadOnlyList<(string Name, string Value)>> SettingsAsync()
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await conn.OpenAsync();
        var result = new List<(string, string)>();
        foreach (var name in new[] { "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_connections", "commit_delay", "wal_sync_method" })
        {
            await using var cmd = new NpgsqlCommand($"SHOW {name}", conn);
            result.Add((name, (string)(await cmd.ExecuteScalarAsync())!));
        }
        return result;
    }

    public async Task CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor(database));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Row updates so far per table, and how many of them were HOT (no index touched): the tables the app updates most.</summary>
    public async Task<List<(string Table, long Updates, long Hot)>> UpdatesAsync(string database)
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor(database));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC LIMIT 6", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, long, long)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        return rows;
    }

    /// <summary>Committed and rolled-back transactions so far in <paramref name="database"/>.</summary>
    public async Task<(long Commits, long Rollbacks)> TransactionsAsync(string database)
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = @d", conn);
        cmd.Parameters.AddWithValue("d", database);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Samples what the app's active backends are doing (pg_stat_activity wait events, "CPU" when none)
    /// every 50 ms until cancelled; returns the average number of backends per state.
    /// </summary>
    public async Task<List<(string Wait, double Backends)>> SampleWaitsAsync(string database, CancellationToken stop)
    {
        var counts = new Dictionary<string, long>();
        var samples = 0;
        await using var conn = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await conn.OpenAsync(CancellationToken.None);
        await using var cmd = new NpgsqlCommand("""
            SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (no wait event)'), count(*)
            FROM pg_stat_activity WHERE datname = @d AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1
            """, conn);
        cmd.Parameters.AddWithValue("d", database);
        while (!stop.IsCancellationRequested)
        {
            await using (var reader = await cmd.ExecuteReaderAsync(CancellationToken.None))
                while (await reader.ReadAsync(CancellationToken.None))
                    counts[reader.GetString(0)] = counts.GetValueOrDefault(reader.GetString(0)) + reader.GetInt64(1);
            samples++;
            try { await Task.Delay(50, stop); }
            catch (OperationCanceledException) { break; }
        }
        return counts.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, (double)kv.Value / Math.Max(1, samples))).ToList();
    }

    public sealed record StatementStat(long Calls, double TotalMs, double PlanMs, double MeanMs, string Query);

    /// <summary>The statements that took the most server time (needs statementStats).</summary>
    public async Task<List<StatementStat>> TopStatementsAsync(string database, int limit)
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor(database));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            SELECT calls, total_exec_time, total_plan_time, mean_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = @d)
            ORDER BY total_exec_time + total_plan_time DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
            """, conn);
        cmd.Parameters.AddWithValue("d", database);
        var list = new List<StatementStat>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            list.Add(new StatementStat(reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetString(4)));
        return list;
    }

    public sealed record PgbenchResult(double Tps, double LatencyMs, string Command, string Output);

    /// <summary>Bare single-row INSERT transactions, the ceiling docs/benchmarks.md compares the app against.</summary>
    public async Task<PgbenchResult> PgbenchInsertAsync(double seconds, int clients = 8, int threads = 2)
    {
        const string database = "pgbench_bare";
        await CreateDatabaseAsync(database);
        await using (var conn = new NpgsqlConnection(ConnectionStringFor(database)))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("CREATE TABLE t(id bigserial PRIMARY KEY, v text)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var script = Path.Combine(Root, "insert.sql");
        await File.WriteAllTextAsync(script, "INSERT INTO t(v) VALUES ('x');\n");
        List<string> args =
        [
            "-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", threads.ToString(CultureInfo.InvariantCulture),
            "-T", ((int)seconds).ToString(CultureInfo.InvariantCulture), "-f", script,
            "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", SuperUser, database,
        ];
        // pgbench is only a client: it connects over TCP, so it may run as any user.
        var run = await RunAsync(Path.Combine(_bin, "pgbench"), args, Root);
        await MustAsync(run, "pgbench");
        var tps = TpsLine().Match(run.Output);
        var latency = LatencyLine().Match(run.Output);
        if (!tps.Success) throw new InvalidOperationException("pgbench printed no tps line:\n" + run.Output);
        return new PgbenchResult(
            double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN,
            "pgbench " + string.Join(' ', args),
            run.Output);
    }

    [GeneratedRegex(@"tps = ([0-9.]+)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyLine();

    /// <summary>The postmaster's pid (first line of postmaster.pid), for CPU accounting.</summary>
    public int? PostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            await ToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "20"]);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: could not delete {Root}: {e.Message}");
        }
        _watchdog?.Dispose(); // closes its stdin: it wakes, finds the directory gone, and exits
    }

    /// <summary>
    /// A detached shell that stops the server and deletes the directory when this process dies in any
    /// way (its stdin pipe from us reaches EOF), so a killed benchmark leaves no cluster behind.
    /// </summary>
    private void StartWatchdog()
    {
        const string script = "exec >/dev/null 2>&1; root=$1; shift; while read -r _; do :; done; " +
                              "[ -d \"$root\" ] || exit 0; [ -f \"$root/data/postmaster.pid\" ] && \"$@\"; rm -rf \"$root\"";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        List<string> stop = _asRoot ? ["runuser", "-u", SuperUser, "--"] : [];
        stop.AddRange([Path.Combine(_bin, "pg_ctl"), "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "20"]);
        foreach (var a in (string[])["--fork", "/bin/sh", "-c", script, "recoverly-bench-pg-watchdog", Root, .. stop]) start.ArgumentList.Add(a);
        _watchdog = Process.Start(start);
    }

    private Task<(int ExitCode, string Output)> ToolAsync(string tool, IReadOnlyList<string> args) =>
        _asRoot
            ? RunAsync("runuser", ["-u", SuperUser, "--", Path.Combine(_bin, tool), .. args], Root)
            : RunAsync(Path.Combine(_bin, tool), args, Root);

    private async Task MustAsync((int ExitCode, string Output) run, string what)
    {
        if (run.ExitCode == 0) return;
        var log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile) : "";
        throw new InvalidOperationException($"{what} failed (exit {run.ExitCode}):\n{run.Output}\n{log}");
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string file, IReadOnlyList<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = new StringBuilder(await stdout).Append(await stderr).ToString();
        return (process.ExitCode, output);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
