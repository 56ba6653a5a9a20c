using System.Globalization;

namespace Recoverly.Bench;

public enum BenchDatabase { Sqlite, Postgres }

/// <summary>Command-line options; every one has a default so a bare `dotnet run` does the standard run on SQLite (docs/benchmarks.md).</summary>
public sealed class BenchOptions
{
    public BenchDatabase Database { get; private set; } = BenchDatabase.Sqlite;
    public double Rate { get; private set; } = 200;
    public double Seconds { get; private set; } = 20;
    public int Businesses { get; private set; } = 1000;
    public int Replays { get; private set; }
    public double WarmupSeconds { get; private set; } = 30;
    public double DrainSeconds { get; private set; } = 10;
    public double SettleSeconds { get; private set; } = 2;
    public int Concurrency { get; private set; } = 512;
    /// <summary><c>durable</c>: PostgreSQL defaults (fsync, synchronous_commit, full_page_writes on); <c>fast</c>: the test suite's settings.</summary>
    public string PgDurability { get; private set; } = "durable";
    public double PgbenchSeconds { get; private set; } = 10;
    public bool Pgbench { get; private set; } = true;
    /// <summary>Load pg_stat_statements and print the statements that took the database's time.</summary>
    public bool PgStats { get; private set; }
    /// <summary>SQL run on the PostgreSQL database after seeding, before the app starts (repeatable): for experiments with settings.</summary>
    public List<string> PgSql { get; } = [];
    /// <summary>Passed to the app as Telephony__SendRatePerSecond when set; the app's default is 1 message/s per number.</summary>
    public double? SendRatePerSecond { get; private set; }
    public string? AppPath { get; private set; }
    /// <summary>Appended to the app's connection string, e.g. "Max Auto Prepare=50" to try Npgsql's prepared statements.</summary>
    public string? ConnectionExtra { get; private set; }
    public string? OutFile { get; private set; }
    /// <summary>One line per measured call (when due, client lag, webhook and time-to-text): where in a run the slow calls fell.</summary>
    public string? TimelineFile { get; private set; }
    public bool Keep { get; private set; }
    /// <summary>
    /// Autogroup nice (-20..19) for the benchmark's session (bench, app, pgbench) and the PostgreSQL
    /// server while the run lasts, so other people's work on a shared machine disturbs it less.
    /// </summary>
    public int? Priority { get; private set; }
    /// <summary>Wait up to this long for other processes to leave the cores idle before measuring (shared machines).</summary>
    public double WaitIdleSeconds { get; private set; }
    /// <summary>Extra KEY=VALUE environment for the app (repeatable), e.g. Dispatch__Concurrency=128.</summary>
    public List<KeyValuePair<string, string>> AppEnvironment { get; } = [];
    /// <summary>Inbox-page mode (docs/benchmarks.md, "Inbox page") instead of the webhook load run.</summary>
    public bool Inbox { get; private set; }
    public int InboxCalls { get; private set; } = 100_000;
    public int InboxMessages { get; private set; } = 1_000_000;
    public int InboxRequests { get; private set; } = 300;
    /// <summary>How long the Twilio stand-in takes to answer each send (a real API's round trip).</summary>
    public double ProviderLatencyMs { get; private set; }
    /// <summary>App processes (web + dispatcher each) sharing one PostgreSQL database; calls go to them in turn.</summary>
    public int Instances { get; private set; } = 1;
    /// <summary>Run the floor (bench/Recoverly.Floor, docs/benchmarks.md "The floor") in place of the app: PostgreSQL only.</summary>
    public bool Floor { get; private set; }

    public const string Usage = """
        Recoverly load benchmark (docs/benchmarks.md). Starts a database, a Twilio stand-in and the Release app, fires
        signed missed-call webhooks open-loop and measures webhook latency and time-to-text.

          --db sqlite|postgres       database (default sqlite)
          --rate N                   missed calls per second (default 200)
          --seconds N                measured duration (default 20)
          --businesses N             businesses, each with its own Recoverly number (default 1000)
          --replays K                resend every webhook K extra times: the first copy races the original,
                                     the others follow its response like Twilio retries (default 0)
          --warmup S                 unmeasured warm-up at min(rate,100)/s (default 30: the app JITs ~15k methods
                                     before it reaches steady state)
          --drain S                  wait at most S seconds after the last response for texts (default 10)
          --settle S                 then wait S more seconds for late duplicates (default 2)
          --concurrency N            client requests in flight at most (default 512)
          --pg-durability durable|fast   durable = PostgreSQL defaults; fast = fsync/synchronous_commit/
                                     full_page_writes off, like the tests (default durable)
          --pgbench-seconds N        length of the bare-insert pgbench run (default 10); --no-pgbench skips it
          --pg-stats                 load pg_stat_statements and print the top statements of the measured phase
          --pg-sql "SQL"             run SQL on the database after seeding, before the app starts (repeatable), e.g.
                                     "ALTER TABLE \"OutboundMessages\" SET (fillfactor = 80)" to try a setting
          --send-rate N              app's Telephony:SendRatePerSecond (default: the app's own, 1/s per number)
          --app-env KEY=VALUE        extra environment for the app (repeatable)
          --provider-latency MS      the Twilio stand-in answers each send after MS milliseconds (default 0)
          --instances N              N app processes on one PostgreSQL database, webhooks spread over them in turn;
                                     reports the pacing check: no number sending two texts closer than 1/send-rate
          --conn-extra "K=V;..."     appended to the app's connection string (e.g. "Max Auto Prepare=50")
          --app PATH                 Recoverly.dll to run (default src/Recoverly/bin/Release/net10.0/Recoverly.dll)
          --floor                    run the floor instead of the app (bench/Recoverly.Floor: one statement for the
                                     webhook, one provider request and one statement per text, nothing else), to
                                     see what this machine can do at all; needs --db postgres; --app then names
                                     Recoverly.Floor.dll
          --out FILE                 append the results as one JSON line
          --timeline FILE            write one line per measured call: due ms after the first, client lag ms,
                                     webhook ms, time-to-text ms (-1: no text); shows when in a run the slow calls fell
          --keep                     keep the temp directory (database, app logs)
          --priority N               run the benchmark's processes (bench, app, PostgreSQL) at autogroup nice N
                                     (-20..19; negative needs root) so a shared machine's other work disturbs
                                     the measurement less; restored afterwards
          --wait-idle S              before measuring, wait up to S seconds for the machine to be idle
                                     (other processes below 0.3 cores), e.g. when others build on it (default 0)

        --inbox                    instead: seed one business with 100k missed calls and 1M messages, log its owner in
                                   and time GET /app, older pages and the rows poll (inbox p95 <= 50 ms)
          --inbox-calls N / --inbox-messages N / --inbox-requests N   its volumes and timed requests per kind
                                   (defaults 100000 / 1000000 / 300)

        Exit code: 0 when every call was texted exactly once, 1 when there were duplicates, lost texts or pacing violations, 2 on a setup error.
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            double Number(double min) =>
                double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min
                    ? v
                    : throw new ArgumentException($"{name} must be a number >= {min}");
            switch (name)
            {
                case "--db":
                    o.Database = Value().ToLowerInvariant() switch
                    {
                        "sqlite" => BenchDatabase.Sqlite,
                        "postgres" or "postgresql" or "pg" => BenchDatabase.Postgres,
                        var other => throw new ArgumentException($"--db must be sqlite or postgres, not '{other}'"),
                    };
                    break;
                case "--rate": o.Rate = Number(1); break;
                case "--seconds": o.Seconds = Number(1); break;
                case "--businesses": o.Businesses = (int)Number(1); break;
                case "--replays": o.Replays = (int)Number(0); break;
                case "--warmup": o.WarmupSeconds = Number(0); break;
                case "--drain": o.DrainSeconds = Number(0); break;
                case "--settle": o.SettleSeconds = Number(0); break;
                case "--concurrency": o.Concurrency = (int)Number(1); break;
                case "--pg-durability":
                    o.PgDurability = Value().ToLowerInvariant();
                    if (o.PgDurability is not ("durable" or "fast")) throw new ArgumentException("--pg-durability must be durable or fast");
                    break;
                case "--pgbench-seconds": o.PgbenchSeconds = Number(1); break;
                case "--no-pgbench": o.Pgbench = false; break;
                case "--pg-stats": o.PgStats = true; break;
                case "--pg-sql": o.PgSql.Add(Value()); break;
                case "--send-rate": o.SendRatePerSecond = Number(0.001); break;
                case "--app-env":
                    var pair = Value();
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0) throw new ArgumentException("--app-env needs KEY=VALUE");
                    o.AppEnvironment.Add(new(pair[..eq], pair[(eq + 1)..]));
                    break;
                case "--app": o.AppPath = Value(); break;
                case "--conn-extra": o.ConnectionExtra = Value(); break;
                case "--out": o.OutFile = Value(); break;
                case "--timeline": o.TimelineFile = Value(); break;
                case "--keep": o.Keep = true; break;
                case "--inbox": o.Inbox = true; break;
                case "--inbox-calls": o.InboxCalls = (int)Number(1); break;
                case "--inbox-messages": o.InboxMessages = (int)Number(0); break;
                case "--inbox-requests": o.InboxRequests = (int)Number(1); break;
                case "--wait-idle": o.WaitIdleSeconds = Number(0); break;
                case "--provider-latency": o.ProviderLatencyMs = Number(0); break;
                case "--instances": o.Instances = (int)Number(1); break;
                case "--floor": o.Floor = true; break;
                case "--priority":
                    var nice = (int)Number(-20);
                    if (nice > 19) throw new ArgumentException("--priority must be between -20 and 19");
                    o.Priority = nice;
                    break;
                default: throw new ArgumentException($"unknown option '{name}' (see --help)");
            }
        }
        if (o.Instances > 1 && o.Database != BenchDatabase.Postgres)
            throw new ArgumentException("--instances needs --db postgres (SQLite's single writer lives in one process)");
        if (o.Floor && o.Database != BenchDatabase.Postgres)
            throw new ArgumentException("--floor needs --db postgres");
        if (o.Businesses > 999_999) throw new ArgumentException("--businesses must be at most 999999 (numbers are +1 512 7xx xxxx)");
        if (o.Rate * o.Seconds > 999_999) throw new ArgumentException("--rate x --seconds must stay below 1,000,000 calls (callers are +1 512 2xx xxxx)");
        return o;
    }
}
