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
    /// <summary>Machine CPU in use just before the run while the app sat idle: other people's work.</summary>
    public double BackgroundCoresBefore { get; init; }
    public double? PgbenchTps { get; init; }
    public double? PgbenchLatencyMs { get; init; }
    public string? PgbenchCommand { get; init; }
    public List<(string Name, string Value)> PgSettings { get; init; } = [];
    public Dictionary<string, string> AppEnvironment { get; init; } = [];

    public bool WebhookTarget => WebhookMs.Count > 0 && WebhookMs.P99 <= 20;
    public bool TextTarget => TimeToTextMs.Count > 0 && TimeToTextMs.P99 <= 1000;
    public bool ExactlyOnce => Duplicates == 0 && Lost == 0 && NonSuccess == 0 && CallsMissingFromDb == 0;
    public bool Holds => WebhookTarget && TextTarget && ExactlyOnce && ReplayNonSuccess == 0;
    public double? RatioToPgbench => PgbenchTps is > 0 ? CompletedPerSecond / PgbenchTps : null;

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public string ToMarkdown()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"## {Database}{(Database == "postgres" ? $" ({Durability})" : "")}: {Rate:0.#} calls/s x {Seconds:0.#} s, {Businesses} businesses, replays {Replays}");
        s.AppendLine();
        s.AppendLine("| metric | value |");
        s.AppendLine("|---|---|");
        s.AppendLine(inv, $"| calls sent / 2xx / non-2xx | {Calls} / {Ok} / {NonSuccess}{(NonSuccess > 0 ? " (" + string.Join(", ", StatusCounts.Select(kv => $"{kv.Key}: {kv.Value}")) + ")" : "")} |");
        s.AppendLine(inv, $"| offered rate achieved / completed 2xx per s | {AchievedSendRate:0.0} / {CompletedPerSecond:0.0} |");
        s.AppendLine(inv, $"| webhook latency ms p50 / p95 / p99 / max | {WebhookMs.Ms()} |");
        s.AppendLine(inv, $"| time-to-text ms p50 / p95 / p99 / max | {TimeToTextMs.Ms()} |");
        s.AppendLine(inv, $"| texts sent / callers texted | {TextsSent} / {CallersTexted} |");
        s.AppendLine(inv, $"| duplicates / lost | {Duplicates} / {Lost} |");
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
        s.AppendLine(inv, $"| outcomes in MissedCalls | {string.Join(", ", Outcomes.Select(o => $"{o.Key}: {o.Count}"))} |");
        s.AppendLine(inv, $"| outbox statuses | {string.Join(", ", OutboxStatuses.Select(o => $"{o.Key}: {o.Count}"))} |");
        s.AppendLine(inv, $"| 2xx calls missing from MissedCalls | {CallsMissingFromDb} |");
        s.AppendLine(inv, $"| sink: reconcile lookups / auth failures / wrong sender / unknown recipient | {SinkListRequests} / {SinkAuthFailures} / {WrongSender} / {UnknownRecipient} |");
        s.AppendLine(inv, $"| app log: warnings / errors | {AppWarnings} / {AppErrors} |");
        if (Rejected > 0) s.AppendLine(inv, $"| 2xx answered with <Reject> | {Rejected} |");
        if (TextedDespiteNonSuccess > 0) s.AppendLine(inv, $"| texted although the webhook got no 2xx | {TextedDespiteNonSuccess} |");
        if (PgbenchTps is { } tps)
            s.AppendLine(inv, $"| pgbench bare INSERT tps (latency avg ms) / ratio completed-webhooks:tps | {tps:0} ({PgbenchLatencyMs:0.00}) / {RatioToPgbench:0.00} |");
        s.AppendLine(inv, $"| targets: webhook p99 <= 20 ms / text p99 <= 1 s / exactly once | {Mark(WebhookTarget)} / {Mark(TextTarget)} / {Mark(ExactlyOnce)} |");
        if (ClientErrors.Count > 0)
        {
            s.AppendLine().AppendLine("Client errors:");
            foreach (var (k, v) in ClientErrors.OrderByDescending(kv => kv.Value).Take(10)) s.AppendLine(inv, $"- {v} x {k}");
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
