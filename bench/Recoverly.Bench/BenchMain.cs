using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recoverly.Bench;

/// <summary>
/// `dotnet run -c Release --project bench/Recoverly.Bench -- --db sqlite --rate 200 --seconds 20 --businesses 1000`
/// (see docs/benchmarks.md). Not top-level statements: the app's public <c>Program</c> class is referenced.
/// </summary>
public static class BenchMain
{
    private const string AuthToken = "bench-auth-token-0123456789abcdef";

    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        try
        {
            return options.Inbox ? await InboxBench.RunAsync(options, RepoRoot()) : await RunAsync(options);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
        {
            Console.Error.WriteLine("benchmark setup failed: " + e.Message);
            return 2;
        }
    }

    private static async Task<int> RunAsync(BenchOptions o)
    {
        var repo = RepoRoot();
        var dll = o.AppPath ?? Path.Combine(repo, o.Floor ? "bench/Recoverly.Floor/bin/Release/net10.0/Recoverly.Floor.dll" : "src/Recoverly/bin/Release/net10.0/Recoverly.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} not found: build the bench with `dotnet build bench/Recoverly.Bench -c Release` (or pass --app).");
        var runDir = Path.Combine(Path.GetTempPath(), "recoverly-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(runDir);
        Log($"run directory {runDir}; app {dll}");

        LocalPostgres? pg = null;
        var completed = false;
        int? previousNice = null;
        if (o.Priority is { } priority)
        {
            previousNice = CpuMeter.SetAutogroupNice(Environment.ProcessId, priority);
            Log(previousNice is null ? "warning: could not set the autogroup nice (--priority)" : $"benchmark session at autogroup nice {priority} (was {previousNice})");
        }
        try
        {
            string connectionString;
            List<(string, string)> pgSettings = [];
            LocalPostgres.PgbenchResult? pgbench = null;
            if (o.Database == BenchDatabase.Postgres)
            {
                Log($"starting PostgreSQL ({o.PgDurability})");
                pg = await LocalPostgres.StartAsync(durable: o.PgDurability == "durable", statementStats: o.PgStats);
                if (o.Priority is { } p && pg.PostmasterPid() is { } postmaster)
                    CpuMeter.SetAutogroupNice(postmaster, p); // pg_ctl starts the server in a session of its own
                pgSettings = [.. await pg.SettingsAsync()];
                Log("PostgreSQL " + string.Join(", ", pgSettings.Select(s => $"{s.Item1}={s.Item2}")));
                await pg.CreateDatabaseAsync("recoverly");
                if (o.PgStats) await pg.ExecuteAsync("recoverly", "CREATE EXTENSION pg_stat_statements");
                connectionString = pg.ConnectionStringFor("recoverly");
            }
            else
            {
                connectionString = $"Data Source={Path.Combine(runDir, "recoverly.db")}";
            }

            var seedClock = Stopwatch.StartNew();
            await Seeding.SeedAsync(o.Database, connectionString, o.Businesses);
            Log($"migrated and seeded {o.Businesses} businesses in {seedClock.Elapsed.TotalSeconds:0.0} s");

            foreach (var sql in o.PgSql)
            {
                if (pg is null) throw new ArgumentException("--pg-sql needs --db postgres");
                await pg.ExecuteAsync("recoverly", sql);
                Log($"ran: {sql}");
            }

            if (pg is not null && o.Pgbench)
            {
                // On the idle cluster, before the app starts, so the two measurements do not share the cores.
                pgbench = await pg.PgbenchInsertAsync(o.PgbenchSeconds);
                Log($"pgbench bare INSERT: {pgbench.Tps:0} tps, latency avg {pgbench.LatencyMs:0.00} ms ({pgbench.Command})");
            }

            var calls = (int)Math.Round(o.Rate * o.Seconds);
            var warmupRate = Math.Min(o.Rate, 100);
            var warmupCalls = (int)Math.Round(warmupRate * o.WarmupSeconds);
            var accountSid = "AC" + Guid.NewGuid().ToString("N");
            var ledger = new TextLedger(calls, warmupCalls, o.Businesses);
            await using var sink = await TwilioSink.StartAsync(accountSid, AuthToken, ledger, TimeSpan.FromMilliseconds(o.ProviderLatencyMs));
            Log($"Twilio stand-in at {sink.BaseUrl}");

            var ports = Enumerable.Range(0, o.Instances).Select(_ => AppProcess.FreePort()).ToArray();
            var urls = ports.Select(p => $"http://127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}").ToArray();
            // Every instance checks signatures against the one public address, as behind a load balancer.
            var baseUrl = urls[0];
            var factory = new WebhookFactory(accountSid, AuthToken, baseUrl + "/twilio/voice");
            factory.SelfCheck();
            using var http = LoadRunner.CreateClient(o.Concurrency);
            await WarmClientAsync(http, factory, sink.BaseUrl + TwilioSink.ClientWarmupPath, o.Concurrency);
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["Telephony__Provider"] = "Twilio",
                ["Twilio__AccountSid"] = accountSid,
                ["Twilio__AuthToken"] = AuthToken,
                ["Twilio__ApiBaseUrl"] = sink.BaseUrl,
                ["Recoverly__PublicBaseUrl"] = baseUrl,
                ["Database__Provider"] = o.Database == BenchDatabase.Postgres ? "Postgres" : "Sqlite",
                ["ConnectionStrings__Recoverly"] = o.ConnectionExtra is { Length: > 0 } extra ? connectionString.TrimEnd(';') + ";" + extra : connectionString,
                ["Logging__LogLevel__Default"] = "Warning",
            };
            if (o.SendRatePerSecond is { } sendRate) environment["Telephony__SendRatePerSecond"] = sendRate.ToString(CultureInfo.InvariantCulture);
            foreach (var (key, value) in o.AppEnvironment) environment[key] = value;

            // Run from the project folder like `dotnet run --project src/Recoverly`, so wwwroot is found.
            var projectDir = Path.Combine(repo, "src/Recoverly");
            var contentRoot = o.AppPath is null && !o.Floor && Directory.Exists(projectDir) ? projectDir : Path.GetDirectoryName(Path.GetFullPath(dll))!;
            var apps = new List<AppProcess>();
            await using var stopApps = new AsyncCleanup(async () =>
            {
                foreach (var a in apps) await a.DisposeAsync();
            });
            for (var n = 0; n < o.Instances; n++)
            {
                var log = o.Instances == 1 ? "app.log" : $"app-{n}.log";
                apps.Add(AppProcess.Start(dll, ports[n], environment, Path.Combine(runDir, log), contentRoot));
            }
            await Task.WhenAll(apps.Select(a => a.WaitHealthyAsync(TimeSpan.FromSeconds(90))));
            Log($"app pid(s) {string.Join(", ", apps.Select(a => a.Pid))} healthy at {string.Join(", ", urls)}");

            var warmup = Enumerable.Range(0, warmupCalls)
                .Select(i => factory.Create(i, Numbering.WarmupCaller(i), Numbering.RecoverlyNumber(i % o.Businesses))).ToArray();
            var measured = Enumerable.Range(0, calls)
                .Select(i => factory.Create(i, Numbering.Caller(i), Numbering.RecoverlyNumber(i % o.Businesses))).ToArray();

            var runner = new LoadRunner(http, [.. urls.Select(u => u + "/twilio/voice")], o.Concurrency);
            if (warmupCalls > 0)
            {
                // On PostgreSQL the warm-up's last two seconds come after an ANALYZE. The warm-up filled tables that were empty
                // at seeding; autovacuum would first analyze them up to a minute later (autovacuum_naptime), and until then
                // the planner takes them for tiny and caches plans that scan them whole. A database in service has current
                // statistics, so the measured phase starts with them. The ANALYZE also drops every connection's cached plans,
                // and replanning them all at once holds up the calls of the next second (docs/benchmarks.md, "The
                // benchmark's own ANALYZE"): those seconds are the warm-up's, not the measured phase's.
                var settle = pg is null ? 0 : Math.Min(warmupCalls / 2, (int)Math.Round(warmupRate * 2));
                Log($"warm-up: {warmupCalls} calls at {warmupRate:0}/s" + (settle > 0 ? $", the last {settle} after an ANALYZE" : ""));
                var answered = await WarmAsync(warmup[..^settle]);
                if (pg is not null)
                {
                    await pg.ExecuteAsync("recoverly", "ANALYZE");
                    Log("analyzed the warmed-up tables");
                    answered += await WarmAsync(warmup[^settle..]);
                }
                Log($"warm-up done: {answered}/{warmupCalls} 2xx, {Enumerable.Range(0, warmupCalls).Count(i => ledger.WarmupCount(i) > 0)} texted");

                async Task<int> WarmAsync(CallWebhook[] part)
                {
                    var phase = await runner.RunAsync(part, warmupRate, 0);
                    var wait = Stopwatch.StartNew();
                    while (wait.Elapsed < TimeSpan.FromSeconds(15) && part.Any(c => ledger.WarmupCount(c.Index) == 0))
                        await Task.Delay(100);
                    return phase.Status.Count(LoadPhase.IsSuccess);
                }
            }

            var background = await CpuMeter.MachineBusyCoresAsync(TimeSpan.FromSeconds(1));
            for (var waited = Stopwatch.StartNew(); background > 0.3 && waited.Elapsed.TotalSeconds < o.WaitIdleSeconds;)
            {
                Log($"machine busy ({background:0.00} cores used by other processes); waiting for it to go idle");
                await Task.Delay(TimeSpan.FromSeconds(4));
                background = await CpuMeter.MachineBusyCoresAsync(TimeSpan.FromSeconds(1));
            }
            if (background > 0.3) Log($"warning: the machine was already using {background:0.00} cores before the run (other processes); results will be pessimistic");
            var meter = new CpuMeter([.. apps.Select(a => a.Pid)], () => pg?.PostmasterPid());
            Log($"measuring: {calls} calls at {o.Rate:0.#}/s over {o.Businesses} businesses" + (o.Replays > 0 ? $", each delivered {o.Replays} extra times" : ""));
            if (pg is not null && o.PgStats) await pg.ExecuteAsync("recoverly", "SELECT pg_stat_statements_reset()");
            var txBefore = pg is null ? default : await pg.TransactionsAsync("recoverly");
            using var stopSampling = new CancellationTokenSource();
            var waits = pg is not null && o.PgStats ? pg.SampleWaitsAsync("recoverly", stopSampling.Token) : Task.FromResult(new List<(string, double)>());
            var cpuBefore = meter.Take();
            var phase = await runner.RunAsync(measured, o.Rate, o.Replays);

            var drain = Stopwatch.StartNew();
            while (drain.Elapsed < TimeSpan.FromSeconds(o.DrainSeconds)
                   && Enumerable.Range(0, calls).Any(i => LoadPhase.IsSuccess(phase.Status[i]) && ledger.Count(i) == 0))
                await Task.Delay(100);
            // CPU is counted until the texts are out, so the per-call cost includes the dispatcher's work.
            var cpuAfter = meter.Take();
            var txAfter = pg is null ? default : await pg.TransactionsAsync("recoverly");
            if (pg is not null && o.PgStats)
                Log("row updates (HOT of all) since seeding: " + string.Join(", ", (await pg.UpdatesAsync("recoverly")).Select(u => $"{u.Table} {u.Hot}/{u.Updates}")));
            await stopSampling.CancelAsync();
            Log($"drained in {drain.Elapsed.TotalSeconds:0.0} s; settling {o.SettleSeconds:0.#} s for late duplicates");
            await Task.Delay(TimeSpan.FromSeconds(o.SettleSeconds));

            foreach (var a in apps) await a.StopAsync();
            var result = await BuildResultAsync(o, phase, ledger, sink, apps, CpuMeter.Between(cpuBefore, cpuAfter), connectionString, pgbench, pgSettings, environment);
            result = result with
            {
                BackgroundCoresBefore = background,
                Priority = o.Priority,
                PgCommits = pg is null ? null : txAfter.Commits - txBefore.Commits,
                PgRollbacks = pg is null ? null : txAfter.Rollbacks - txBefore.Rollbacks,
                TopStatements = pg is not null && o.PgStats ? await pg.TopStatementsAsync("recoverly", 25) : [],
                PgWaits = await waits,
            };
            Console.WriteLine();
            Console.WriteLine(result.ToMarkdown());
            Log($"app log: {Path.Combine(runDir, "app.log")}{(o.Keep ? "" : " (deleted; --keep keeps it)")}");
            if (o.TimelineFile is { } timeline) await File.WriteAllLinesAsync(timeline, Timeline(phase, ledger));
            if (o.OutFile is { } outFile)
            {
                var json = JsonSerializer.Serialize(result, new JsonSerializerOptions
                {
                    IncludeFields = true,
                    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
                    PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                });
                await File.AppendAllTextAsync(outFile, json + Environment.NewLine);
            }
            completed = true;
            return result.Duplicates == 0 && result.Lost == 0 && result.Paced ? 0 : 1;
        }
        finally
        {
            if (pg is not null) await pg.DisposeAsync();
            if (previousNice is { } before) CpuMeter.SetAutogroupNice(Environment.ProcessId, before);
            if (!completed) Log($"kept {runDir} (app.log) for the post-mortem");
            else if (!o.Keep)
            {
                try { Directory.Delete(runDir, recursive: true); }
                catch (IOException) { }
            }
        }
    }

    /// <summary>Per measured call, in schedule order: due (ms after the first), client lag, webhook and time-to-text ms (-1: none).</summary>
    private static IEnumerable<string> Timeline(LoadPhase phase, TextLedger ledger) =>
        Enumerable.Range(0, phase.Calls.Length).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{RunResult.Ms(phase.Scheduled[i] - phase.Scheduled[0]):0.0} {RunResult.Ms(phase.Sent[i] - phase.Scheduled[i]):0.0} {RunResult.Ms(phase.Done[i] - phase.Sent[i]):0.0} {(ledger.Count(i) > 0 ? RunResult.Ms(ledger.FirstArrival(i) - phase.Sent[i]) : -1):0.0}"));

    /// <summary>
    /// Before the app starts, the client sends webhook-shaped requests to the stand-in, through the same code as the measured
    /// calls: otherwise a cold-start run also measures the bench client compiling its HTTP stack on the same two cores, which
    /// no real provider's client does. The bench compiles each method once (TieredCompilation off), so nothing is left to
    /// recompile afterwards.
    /// </summary>
    private static async Task WarmClientAsync(HttpClient http, WebhookFactory factory, string url, int concurrency)
    {
        var clock = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, 400).Select(i => factory.Create(i, Numbering.WarmupCaller(i), Numbering.RecoverlyNumber(0))).ToArray();
        var phase = await new LoadRunner(http, [url], concurrency).RunAsync(calls, 200, 0);
        Log($"client warmed on the stand-in: {phase.Status.Count(LoadPhase.IsSuccess)}/{calls.Length} answered, {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task<RunResult> BuildResultAsync(BenchOptions o, LoadPhase phase, TextLedger ledger, TwilioSink sink, List<AppProcess> apps,
        CpuMeter.Usage cpu, string connectionString, LocalPostgres.PgbenchResult? pgbench, List<(string, string)> pgSettings,
        Dictionary<string, string> environment)
    {
        var n = phase.Calls.Length;
        var ok = Enumerable.Range(0, n).Where(i => LoadPhase.IsSuccess(phase.Status[i])).ToArray();
        var firstSent = phase.Sent.Min();
        var lastSent = phase.Sent.Max();
        var lastDone = phase.Done.Max();
        var texted = Enumerable.Range(0, n).Where(i => ledger.Count(i) > 0).ToArray();

        List<(string, long)> outcomes, statuses;
        int missing;
        await using (var conn = Seeding.Open(o.Database, connectionString))
        {
            // The floor writes a table of its own (bench/Recoverly.Floor).
            outcomes = await Seeding.CountsAsync(conn, o.Floor
                ? "SELECT CASE WHEN sent_at IS NULL THEN 'not sent' ELSE 'sent' END, COUNT(*) FROM floor_calls GROUP BY 1 ORDER BY 2 DESC"
                : "SELECT \"Outcome\", COUNT(*) FROM \"MissedCalls\" GROUP BY \"Outcome\" ORDER BY 2 DESC");
            statuses = o.Floor ? [] : await Seeding.CountsAsync(conn, "SELECT \"Kind\" || ':' || \"Status\", COUNT(*) FROM \"OutboundMessages\" GROUP BY \"Kind\", \"Status\" ORDER BY 2 DESC");
            var recorded = await Seeding.CallSidsAsync(conn, o.Floor ? "SELECT call_sid FROM floor_calls" : "SELECT \"CallSid\" FROM \"MissedCalls\"");
            missing = ok.Count(i => !recorded.Contains(phase.Calls[i].CallSid));
        }

        var replayCount = n * o.Replays;
        // The app's default is 1 text per second per number; 5 ms of slack for the stand-in's own scheduling.
        var interval = TimeSpan.FromSeconds(1 / (o.SendRatePerSecond ?? 1));
        var pacing = ledger.Pacing(interval, TimeSpan.FromMilliseconds(5));
        return new RunResult
        {
            Database = o.Database == BenchDatabase.Postgres ? "postgres" : "sqlite",
            Durability = o.PgDurability,
            Rate = o.Rate,
            Seconds = o.Seconds,
            Businesses = o.Businesses,
            Replays = o.Replays,
            Instances = o.Instances,
            ProviderLatencyMs = o.ProviderLatencyMs,
            PacingIntervalMs = interval.TotalMilliseconds,
            PacingSenders = pacing.Senders,
            PacingTooClose = pacing.TooClose,
            PacingMinGapMs = pacing.MinGapMs,
            Calls = n,
            AchievedSendRate = n > 1 ? (n - 1) / ((lastSent - firstSent) / (double)Stopwatch.Frequency) : n,
            CompletedPerSecond = ok.Length / ((lastDone - firstSent) / (double)Stopwatch.Frequency),
            Ok = ok.Length,
            NonSuccess = n - ok.Length,
            StatusCounts = phase.Status.Where(s => !LoadPhase.IsSuccess(s)).GroupBy(s => s == -1 ? "no response" : s.ToString(CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.Count()),
            ClientErrors = new Dictionary<string, int>(phase.Errors),
            Rejected = phase.Rejected,
            ClientQueued = phase.ClientQueued,
            WebhookMs = Percentiles.Of(ok.Select(i => RunResult.Ms(phase.Done[i] - phase.Sent[i]))),
            ScheduleLagMs = Percentiles.Of(Enumerable.Range(0, n).Select(i => RunResult.Ms(phase.Sent[i] - phase.Scheduled[i]))),
            TimeToTextMs = Percentiles.Of(texted.Select(i => RunResult.Ms(ledger.FirstArrival(i) - phase.Sent[i]))),
            TextsSent = Enumerable.Range(0, n).Sum(i => (long)ledger.Count(i)),
            CallersTexted = texted.Length,
            Duplicates = Enumerable.Range(0, n).Count(i => ledger.Count(i) > 1),
            Lost = ok.Count(i => ledger.Count(i) == 0),
            TextedDespiteNonSuccess = texted.Count(i => !LoadPhase.IsSuccess(phase.Status[i])),
            ReplaysSent = replayCount,
            ReplayNonSuccess = phase.ReplayStatus.Count(s => !LoadPhase.IsSuccess(s)),
            ReplayWebhookMs = Percentiles.Of(Enumerable.Range(0, replayCount).Where(j => LoadPhase.IsSuccess(phase.ReplayStatus[j]))
                .Select(j => RunResult.Ms(phase.ReplayLatency[j]))),
            SinkListRequests = sink.Listed,
            SinkAuthFailures = sink.AuthFailures,
            WrongSender = ledger.WrongSender,
            UnknownRecipient = ledger.UnknownRecipient,
            AppWarnings = apps.Sum(a => a.Warnings),
            AppErrors = apps.Sum(a => a.Errors),
            AppProblems = [.. apps.SelectMany(a => a.Problems)],
            Outcomes = outcomes,
            OutboxStatuses = statuses,
            CallsMissingFromDb = missing,
            Cpu = cpu,
            PgbenchTps = pgbench?.Tps,
            PgbenchLatencyMs = pgbench?.LatencyMs,
            PgbenchCommand = pgbench?.Command,
            PgSettings = pgSettings,
            AppEnvironment = environment.Where(kv => kv.Key != "Twilio__AuthToken").ToDictionary(),
        };
    }

    /// <summary>Runs an async clean-up at the end of a scope (the app processes, whatever happens).</summary>
    private sealed class AsyncCleanup(Func<Task> cleanup) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await cleanup();
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Recoverly.slnx"))) return dir.FullName;
        return Environment.CurrentDirectory;
    }

    private static void Log(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
