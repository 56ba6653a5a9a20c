using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Recoverly.Bench;

public sealed record Percentiles(int Count, double P50, double P95, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        if (sorted.Length == 0) return new Percentiles(0, double.NaN, double.NaN, double.NaN, double.NaN);
        // Nearest rank: the smallest value with at least q of the samples at or below it.
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, At(0.50), At(0.95), At(0.99), sorted[^1]);
    }

    public string Ms() => Count == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{P50:0.0} / {P95:0.0} / {P99:0.0} / {Max:0.0}");
}

/// <summary>The numbers of one run, printed as markdown and appended as JSON with --out.</summary>
public sealed record RunResult
{
    public string Database { get; init; } = "";
    public string Durability { get; init; } = "";
    public double Rate { get; init; }
    public double Seconds { get; init; }
    public int Businesses { get; init; }
    public int Replays { get; init; }
    public int Calls { get; init; }
    public double AchievedSendRate { get; init; }
    public double CompletedPerSecond { get; init; }
    public int Ok { get; init; }
    public int NonSuccess { get; init; }
    public Dictionary<string, int> StatusCounts { get; init; } = [];
    public Dictionary<string, int> ClientErrors { get; init; } = [];
    public int Rejected { get; init; }
    public int ClientQueued { get; init; }
    public Percentiles WebhookMs { get; init; } = Percentiles.Of([]);
    public Percentiles ScheduleLagMs { get; init; } = Percentiles.Of([]);
    public Percentiles TimeToTextMs { get; init; } = Percentiles.Of([]);
    public long TextsSent { get; init; }
    public int CallersTexted { get; init; }
    public int Duplicates { get; init; }
    public int Lost { get; init; }
    public int TextedDespiteNonSuccess { get; init; }
    public int ReplaysSent { get; init; }
    public int ReplayNonSuccess { get; init; }
    public Percentiles ReplayWebhookMs { get; init; } = Percentiles.Of([]);
    public long SinkListRequests { get; init; }
    public long SinkAuthFailures { get; init; }
    public long WrongSender { get; init; }
    public long UnknownRecipient { get; init; }
    public int AppWarnings { get; init; }
    public int AppErrors { get; init; }
    public List<string> AppProblems { get; init; } = [];
    public List<(string Key, long Count)> Outcomes { get; init; } = [];
    public List<(string Key, long Count)> OutboxStatuses { get; init; } = [];
    public int CallsMissingFromDb { get; init; }
    public CpuMeter.Usage? Cpu { get; init; }
    public int Instances { get; init; } = 1;
    public double ProviderLatencyMs { get; init; }
    public double PacingIntervalMs { get; init; }
    public int PacingSenders { get; init; }
    /// <summary>Consecutive sends from one number closer than the pacing interval (less 5 ms): should be 0.</summary>
    public int PacingTooClose { get; init; }
    public double PacingMinGapMs { get; init; }
    /// <summary>Machine CPU in use just before the run while the app sat idle: other people's work.</summary>
    public double BackgroundCoresBefore { get; init; }
    public double? PgbenchTps { get; init; }
    public double? PgbenchLatencyMs { get; init; }
    public string? PgbenchCommand { get; init; }
    public List<(string Name, string Value)> PgSettings { get; init; } = [];
    public Dictionary<string, string> AppEnvironment { get; init; } = [];
    public int? Priority { get; init; }
    /// <summary>Transactions in the app's PostgreSQL database from the start of the measured phase to the end of the drain.</summary>
    public long? PgCommits { get; init; }
    public long? PgRollbacks { get; init; }
    public List<LocalPostgres.StatementStat> TopStatements { get; init; } = [];
    /// <summary>Average active backends of the app per wait event during the measured phase.</summary>
    public List<(string Wait, double Backends)> PgWaits { get; init; } = [];

    public bool WebhookTarget => WebhookMs.Count > 0 && WebhookMs.P99 <= 20;
    public bool TextTarget => TimeToTextMs.Count > 0 && TimeToTextMs.P99 <= 1000;
    public bool ExactlyOnce => Duplicates == 0 && Lost == 0 && NonSuccess == 0 && CallsMissingFromDb == 0;
    public bool Paced => PacingTooClose == 0;
    public bool Holds => WebhookTarget && TextTarget && ExactlyOnce && Paced && ReplayNonSuccess == 0;
    public double? RatioToPgbench => PgbenchTps is > 0 ? CompletedPerSecond / PgbenchTps : null;

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public string ToMarkdown()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"## {Database}{(Database == "postgres" ? $" ({Durability})" : "")}: {Rate:0.#} calls/s x {Seconds:0.#} s, {Businesses} businesses, replays {Replays}{(Instances > 1 ? $", {Instances} app instances" : "")}{(ProviderLatencyMs > 0 ? $", provider latency {ProviderLatencyMs:0} ms" : "")}{(Priority is { } nice ? $", autogroup nice {nice}" : "")}");
        s.AppendLine();
        s.AppendLine("| metric | value |");
        s.AppendLine("|---|---|");
        s.AppendLine(inv, $"| calls sent / 2xx / non-2xx | {Calls} / {Ok} / {NonSuccess}{(NonSuccess > 0 ? " (" + string.Join(", ", StatusCounts.Select(kv => $"{kv.Key}: {kv.Value}")) + ")" : "")} |");
        s.AppendLine(inv, $"| offered rate achieved / completed 2xx per s | {AchievedSendRate:0.0} / {CompletedPerSecond:0.0} |");
        s.AppendLine(inv, $"| webhook latency ms p50 / p95 / p99 / max | {WebhookMs.Ms()} |");
        s.AppendLine(inv, $"| time-to-text ms p50 / p95 / p99 / max | {TimeToTextMs.Ms()} |");
        s.AppendLine(inv, $"| texts sent / callers texted | {TextsSent} / {CallersTexted} |");
        s.AppendLine(inv, $"| duplicates / lost | {Duplicates} / {Lost} |");
        s.AppendLine(inv, $"| pacing: sending numbers / consecutive sends closer than {PacingIntervalMs:0.#} ms / closest pair ms | {PacingSenders} / {PacingTooClose} / {(double.IsInfinity(PacingMinGapMs) ? "-" : PacingMinGapMs.ToString("0.0", inv))} |");
        if (Replays > 0)
            s.AppendLine(inv, $"| replays sent / non-2xx / latency ms p50/p95/p99/max | {ReplaysSent} / {ReplayNonSuccess} / {ReplayWebhookMs.Ms()} |");
        s.AppendLine(inv, $"| client schedule lag ms p50 / p95 / p99 / max | {ScheduleLagMs.Ms()} (requests that waited for a client slot: {ClientQueued}) |");
        if (Cpu is { } cpu)
            s.AppendLine(inv, $"| CPU cores used (of {cpu.Cores}): app / database / bench client / other processes / whole machine | {cpu.AppCores:0.00} / {(Database == "postgres" ? cpu.DbCores.ToString("0.00", inv) : "in app")} / {cpu.BenchCores:0.00} / {cpu.OtherCores:0.00} / {cpu.MachineCores:0.00} (background before the run: {BackgroundCoresBefore:0.00}) |");
        if (Cpu is { } per && Calls > 0)
        {
            var calls = Calls * (1 + Replays);
            s.AppendLine(inv, $"| CPU ms per webhook (incl. its text): app / database | {per.AppCores * per.WallSeconds * 1000 / calls:0.00} / {(Database == "postgres" ? (per.DbCores * per.WallSeconds * 1000 / calls).ToString("0.00", inv) : "in app")} |");
        }
        s.AppendLine(inv, $"| outcomes recorded (MissedCalls; the floor: floor_calls) | {string.Join(", ", Outcomes.Select(o => $"{o.Key}: {o.Count}"))} |");
        s.AppendLine(inv, $"| outbox statuses | {string.Join(", ", OutboxStatuses.Select(o => $"{o.Key}: {o.Count}"))} |");
        s.AppendLine(inv, $"| 2xx calls not recorded in the database | {CallsMissingFromDb} |");
        s.AppendLine(inv, $"| sink: reconcile lookups / auth failures / wrong sender / unknown recipient | {SinkListRequests} / {SinkAuthFailures} / {WrongSender} / {UnknownRecipient} |");
        s.AppendLine(inv, $"| app log: warnings / errors | {AppWarnings} / {AppErrors} |");
        if (Rejected > 0) s.AppendLine(inv, $"| 2xx answered with <Reject> | {Rejected} |");
        if (TextedDespiteNonSuccess > 0) s.AppendLine(inv, $"| texted although the webhook got no 2xx | {TextedDespiteNonSuccess} |");
        if (PgCommits is { } commits && Calls > 0)
            s.AppendLine(inv, $"| PostgreSQL commits / rollbacks (per webhook) | {commits} / {PgRollbacks} ({(double)commits / (Calls * (1 + Replays)):0.00} / {(double)(PgRollbacks ?? 0) / (Calls * (1 + Replays)):0.00}) |");
        if (PgbenchTps is { } tps)
            s.AppendLine(inv, $"| pgbench bare INSERT tps (latency avg ms) / ratio completed-webhooks:tps | {tps:0} ({PgbenchLatencyMs:0.00}) / {RatioToPgbench:0.00} |");
        s.AppendLine(inv, $"| targets: webhook p99 <= 20 ms / text p99 <= 1 s / exactly once / paced | {Mark(WebhookTarget)} / {Mark(TextTarget)} / {Mark(ExactlyOnce)} / {Mark(Paced)} |");
        if (ClientErrors.Count > 0)
        {
            s.AppendLine().AppendLine("Client errors:");
            foreach (var (k, v) in ClientErrors.OrderByDescending(kv => kv.Value).Take(10)) s.AppendLine(inv, $"- {v} x {k}");
        }
        if (TopStatements.Count > 0)
        {
            var total = TopStatements.Sum(t => t.Calls);
            s.AppendLine().AppendLine(inv, $"Top statements of the measured phase (pg_stat_statements; {(double)total / (Calls * (1 + Replays)):0.0} of these statements per webhook):").AppendLine();
            s.AppendLine("| calls | per webhook | exec ms total | plan ms total | mean ms | statement |").AppendLine("|---|---|---|---|---|---|");
            foreach (var t in TopStatements)
                s.AppendLine(inv, $"| {t.Calls} | {(double)t.Calls / (Calls * (1 + Replays)):0.00} | {t.TotalMs:0} | {t.PlanMs:0} | {t.MeanMs:0.000} | `{t.Query.Replace("|", "\\|", StringComparison.Ordinal)}` |");
        }
        if (PgWaits.Count > 0)
        {
            s.AppendLine().AppendLine(inv, $"Active app backends by wait event (pg_stat_activity every 50 ms; average {PgWaits.Sum(w => w.Backends):0.0} active):").AppendLine();
            s.AppendLine("| wait event | average backends |").AppendLine("|---|---|");
            foreach (var (wait, backends) in PgWaits.Take(12)) s.AppendLine(inv, $"| {wait} | {backends:0.00} |");
        }
        if (AppProblems.Count > 0)
        {
            s.AppendLine().AppendLine("First app log problems:");
            foreach (var p in AppProblems) s.AppendLine(inv, $"- `{p}`");
        }
        s.AppendLine().AppendLine("Summary row:").AppendLine();
        s.AppendLine("| db | offered/s | completed/s | webhook p50/p95/p99/max ms | text p50/p95/p99/max ms | texts | dup | lost | non-2xx | CPU app/db/bench | holds |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        s.AppendLine(SummaryRow());
        return s.ToString();
    }

    public string SummaryRow()
    {
        var inv = CultureInfo.InvariantCulture;
        var cpu = Cpu is { } c ? string.Create(inv, $"{c.AppCores:0.00}/{(Database == "postgres" ? c.DbCores.ToString("0.00", inv) : "-")}/{c.BenchCores:0.00}") : "";
        return string.Create(inv,
            $"| {Database} | {Rate:0} | {CompletedPerSecond:0} | {WebhookMs.Ms()} | {TimeToTextMs.Ms()} | {TextsSent} | {Duplicates} | {Lost} | {NonSuccess} | {cpu} | {(Holds ? "yes" : "no")} |");
    }

    private static string Mark(bool ok) => ok ? "met" : "MISSED";
}
