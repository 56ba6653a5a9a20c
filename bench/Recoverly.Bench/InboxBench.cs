using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Npgsql;
using Recoverly.Owners;

namespace Recoverly.Bench;

/// <summary>
/// `--inbox`: the inbox target, p95 ≤ 50 ms with 100k missed calls and 1M messages (docs/benchmarks.md). Seeds one business
/// (raw bulk inserts: COPY on PostgreSQL, one prepared-statement transaction on SQLite), starts the Release app,
/// logs the owner in and times GET /app, a few older pages (?before=) and the rows poll (?handler=Rows), sequentially.
/// </summary>
public static partial class InboxBench
{
    private const string Email = "inbox-bench@example.com";
    private const string Password = "inbox bench password 1";

    public sealed record Volumes(int Calls, int Contacts, int TextBacks, int OwnerReplies, int Inbound, int ConsentEvents,
        Dictionary<string, int> Outcomes)
    {
        public int Messages => TextBacks + OwnerReplies + Inbound;
    }

    public static async Task<int> RunAsync(BenchOptions o, string repo)
    {
        var dll = o.AppPath ?? Path.Combine(repo, "src/Recoverly/bin/Release/net10.0/Recoverly.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} not found: build it with `dotnet build src/Recoverly -c Release` (or pass --app).");
        var runDir = Path.Combine(Path.GetTempPath(), "recoverly-inbox-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(runDir);
        Log($"run directory {runDir}");
        LocalPostgres? pg = null;
        try
        {
            string connectionString;
            if (o.Database == BenchDatabase.Postgres)
            {
                pg = await LocalPostgres.StartAsync(durable: o.PgDurability == "durable", statementStats: false);
                await pg.CreateDatabaseAsync("recoverly");
                connectionString = pg.ConnectionStringFor("recoverly");
            }
            else connectionString = $"Data Source={Path.Combine(runDir, "recoverly.db")}";

            var clock = Stopwatch.StartNew();
            await Seeding.SeedAsync(o.Database, connectionString, 1);
            var volumes = await SeedInboxAsync(o.Database, connectionString, o.InboxCalls, o.InboxMessages);
            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            Log($"seeded {volumes.Calls:N0} calls, {volumes.Contacts:N0} contacts, {volumes.Messages:N0} messages " +
                $"({volumes.TextBacks:N0} text-backs, {volumes.OwnerReplies:N0} owner replies, {volumes.Inbound:N0} inbound) in {clock.Elapsed.TotalSeconds:0.0} s");

            var port = AppProcess.FreePort();
            var baseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["Recoverly__PublicBaseUrl"] = baseUrl,
                ["Database__Provider"] = o.Database == BenchDatabase.Postgres ? "Postgres" : "Sqlite",
                ["ConnectionStrings__Recoverly"] = connectionString,
                ["Logging__LogLevel__Default"] = "Warning",
            };
            foreach (var (key, value) in o.AppEnvironment) environment[key] = value;
            var projectDir = Path.Combine(repo, "src/Recoverly");
            var contentRoot = o.AppPath is null && Directory.Exists(projectDir) ? projectDir : Path.GetDirectoryName(Path.GetFullPath(dll))!;
            await using var app = AppProcess.Start(dll, port, environment, Path.Combine(runDir, "app.log"), contentRoot);
            await app.WaitHealthyAsync(TimeSpan.FromSeconds(90));
            Log($"app pid {app.Pid} healthy at {baseUrl}");

            using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
            { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
            await LogInAsync(http);

            // The older-page cursors: follow "Older →" from the first page.
            var first = await GetOkAsync(http, "/app");
            var cursors = new List<string>();
            var html = first;
            for (var i = 0; i < 4 && OlderLink().Match(html) is { Success: true } m; i++)
            {
                cursors.Add(WebUtility.HtmlDecode(m.Groups[1].Value));
                html = await GetOkAsync(http, "/app?" + cursors[^1]);
            }
            var rowsOnFirst = RowItem().Matches(first).Count;
            Log($"first page: {rowsOnFirst} rows, {first.Length:N0} chars; older cursors {string.Join(", ", cursors)}");
            if (rowsOnFirst == 0) throw new InvalidOperationException("the first inbox page has no rows");

            // Deep pages too (keyset pages should cost what page 1 costs): the middle and the oldest end of the inbox.
            cursors.AddRange([$"before={o.InboxCalls / 2}", $"before={Math.Min(o.InboxCalls, 1000)}"]);
            string[] pagePaths = ["/app", .. cursors.Select(c => "/app?" + c)];
            var warm = Stopwatch.StartNew();
            for (var i = 0; i < 50; i++)
            {
                await GetOkAsync(http, pagePaths[i % pagePaths.Length]);
                await GetOkAsync(http, "/app?handler=Rows");
            }
            Log($"warm-up: 100 requests in {warm.Elapsed.TotalSeconds:0.0} s; measuring {o.InboxRequests} of each");

            var firstPage = await TimeAsync(http, _ => "/app", o.InboxRequests);
            var older = cursors.Count == 0 ? Percentiles.Of([]) : await TimeAsync(http, i => pagePaths[1 + i % cursors.Count], o.InboxRequests);
            var poll = await TimeAsync(http, _ => "/app?handler=Rows", o.InboxRequests);
            // The report: its first request counts and keeps a year of days (Owners/ReportDays.cs); later ones sum them
            // and count only the days not finished yet.
            var firstReport = await TimeAsync(http, _ => "/app/report?by=month", 1);
            for (var i = 0; i < 20; i++)
            {
                await GetOkAsync(http, "/app/report");
                await GetOkAsync(http, "/app/report?by=month");
                await GetOkAsync(http, "/app/report?handler=Csv&by=month");
            }
            var reportWeeks = await TimeAsync(http, _ => "/app/report", o.InboxRequests);
            var reportMonths = await TimeAsync(http, _ => "/app/report?by=month", o.InboxRequests);
            var csvWeeks = await TimeAsync(http, _ => "/app/report?handler=Csv&by=week", o.InboxRequests);
            var csvMonths = await TimeAsync(http, _ => "/app/report?handler=Csv&by=month", o.InboxRequests);
            await app.StopAsync();

            var db = o.Database == BenchDatabase.Postgres ? "postgres" : "sqlite";
            Console.WriteLine();
            Console.WriteLine($"## Inbox page, {db}");
            Console.WriteLine();
            Console.WriteLine($"Seeded: 1 business, {volumes.Calls:N0} missed calls from {volumes.Contacts:N0} callers " +
                $"({string.Join(", ", volumes.Outcomes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:N0}"))}), " +
                $"{volumes.Messages:N0} messages ({volumes.TextBacks:N0} text-backs + {volumes.OwnerReplies:N0} owner replies outbound, {volumes.Inbound:N0} inbound), " +
                $"{volumes.ConsentEvents:N0} consent events. Sequential requests, one client, after 100 warm-up requests.");
            Console.WriteLine();
            Console.WriteLine("| Request | n | p50 / p95 / p99 / max (ms) |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| GET /app (first page, {rowsOnFirst} rows) | {firstPage.Count} | {firstPage.Ms()} |");
            Console.WriteLine($"| GET /app?before=… ({cursors.Count} older pages in turn: pages 2-5, one in the middle, one near the end) | {older.Count} | {older.Ms()} |");
            Console.WriteLine($"| GET /app?handler=Rows (the 4 s poll) | {poll.Count} | {poll.Ms()} |");
            Console.WriteLine($"| GET /app/report (12 weeks) | {reportWeeks.Count} | {reportWeeks.Ms()} |");
            Console.WriteLine($"| GET /app/report?by=month (12 months) | {reportMonths.Count} | {reportMonths.Ms()} |");
            Console.WriteLine($"| GET /app/report?handler=Csv&by=week | {csvWeeks.Count} | {csvWeeks.Ms()} |");
            Console.WriteLine($"| GET /app/report?handler=Csv&by=month | {csvMonths.Count} | {csvMonths.Ms()} |");
            Console.WriteLine($"| first GET /app/report?by=month (counts and keeps the year's days; not in the exit code) | 1 | {firstReport.Ms()} |");
            Console.WriteLine();
            Console.WriteLine($"App warnings {app.Warnings}, errors {app.Errors}" + (app.Problems.Count > 0 ? ": " + string.Join(" | ", app.Problems.Take(3)) : ""));
            var worst = new[] { firstPage.P95, double.IsNaN(older.P95) ? 0 : older.P95, poll.P95, reportWeeks.P95, reportMonths.P95, csvWeeks.P95, csvMonths.P95 }.Max();
            return worst <= 50 ? 0 : 1;
        }
        finally
        {
            if (pg is not null) await pg.DisposeAsync();
            if (!o.Keep)
            {
                try { Directory.Delete(runDir, recursive: true); }
                catch (IOException) { }
            }
        }
    }

    private static async Task<Percentiles> TimeAsync(HttpClient http, Func<int, string> path, int n)
    {
        var ms = new double[n];
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path(i), HttpCompletionOption.ResponseContentRead);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET {path(i)}: HTTP {(int)response.StatusCode}");
        }
        return Percentiles.Of(ms);
    }

    private static async Task<string> GetOkAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET {path}: HTTP {(int)response.StatusCode} {response.Headers.Location}");
        return body;
    }

    private static async Task LogInAsync(HttpClient http)
    {
        var html = await GetOkAsync(http, "/login");
        var token = TokenInput().Match(html);
        if (!token.Success) throw new InvalidOperationException("no antiforgery token on /login");
        using var response = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = Email,
            ["Password"] = Password,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"log-in failed: HTTP {(int)response.StatusCode}");
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"")]
    private static partial Regex TokenInput();

    [GeneratedRegex("href=\"/app\\?(before=\\d+&amp;at=\\d+)\"")]
    private static partial Regex OlderLink();

    [GeneratedRegex("<li data-call=")]
    private static partial Regex RowItem();

    /// <summary>A bulk writer per table: binary COPY on PostgreSQL, a prepared INSERT in the open transaction on SQLite.</summary>
    private sealed class Bulk : IAsyncDisposable
    {
        private readonly NpgsqlBinaryImporter? _copy;
        private readonly SqliteCommand? _insert;

        public Bulk(DbConnection conn, DbTransaction? tx, string table, params string[] columns)
        {
            var cols = string.Join(", ", columns.Select(c => $"\"{c}\""));
            if (conn is NpgsqlConnection npg)
                _copy = npg.BeginBinaryImport($"COPY \"{table}\" ({cols}) FROM STDIN (FORMAT BINARY)");
            else
            {
                _insert = (SqliteCommand)conn.CreateCommand();
                _insert.Transaction = (SqliteTransaction?)tx;
                _insert.CommandText = $"INSERT INTO \"{table}\" ({cols}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
                for (var i = 0; i < columns.Length; i++) _insert.Parameters.Add(new SqliteParameter("$p" + i, null));
                _insert.Prepare();
            }
        }

        public void Row(params object?[] values)
        {
            if (_copy is not null)
            {
                _copy.StartRow();
                foreach (var v in values)
                {
                    switch (v)
                    {
                        case null: _copy.WriteNull(); break;
                        case string s: _copy.Write(s, NpgsqlTypes.NpgsqlDbType.Varchar); break;
                        case long l: _copy.Write(l, NpgsqlTypes.NpgsqlDbType.Bigint); break;
                        case int n: _copy.Write(n, NpgsqlTypes.NpgsqlDbType.Integer); break;
                        case bool b: _copy.Write(b, NpgsqlTypes.NpgsqlDbType.Boolean); break;
                        case DateTime d: _copy.Write(d, NpgsqlTypes.NpgsqlDbType.TimestampTz); break;
                        default: throw new ArgumentException($"unsupported value {v.GetType()}");
                    }
                }
            }
            else
            {
                for (var i = 0; i < values.Length; i++) _insert!.Parameters[i].Value = values[i] ?? DBNull.Value;
                _insert!.ExecuteNonQuery();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_copy is not null)
            {
                await _copy.CompleteAsync();
                await _copy.DisposeAsync();
            }
            if (_insert is not null) await _insert.DisposeAsync();
        }
    }

    private sealed record Episode(long FirstCallId, long ContactId, DateTime Start, bool Texted);

    /// <summary>
    /// One business (the one <see cref="Seeding.SeedAsync"/> made) with <paramref name="calls"/> missed calls over the last
    /// year from ~20k callers (a few call often: repeat calls join a 2-hour episode), outcomes mostly Texted with some
    /// Landline/Withheld/OptedOut, a text-back per texted episode, and conversation (replies both ways) up to
    /// <paramref name="messages"/> messages in all.
    /// </summary>
    public static async Task<Volumes> SeedInboxAsync(BenchDatabase database, string connectionString, int calls, int messages)
    {
        var rng = new Random(20261127);
        await using var conn = Seeding.Open(database, connectionString);
        long businessId;
        string recoverlyNumber;
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT b.\"Id\", n.\"E164\" FROM \"Businesses\" b JOIN \"Numbers\" n ON n.\"BusinessId\" = b.\"Id\"";
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            businessId = r.GetInt64(0);
            recoverlyNumber = r.GetString(1);
        }
        await using var tx = database == BenchDatabase.Sqlite ? await conn.BeginTransactionAsync() : null;
        // One COPY at a time per PostgreSQL connection: outbound rows, written alongside calls and inbound, get their own.
        // (Only BusinessId has a foreign key, so the two COPYs do not wait for each other.)
        await using var outConn = database == BenchDatabase.Postgres ? Seeding.Open(database, connectionString) : null;
        var obConn = outConn ?? conn;
        var now = DateTime.UtcNow;
        var start = now.AddDays(-365);
        const int callers = 20_000;
        string Phone(int c) => "+1512" + (3_000_000 + c).ToString(CultureInfo.InvariantCulture);

        // Owner account.
        var hash = new PasswordHasher<OwnerAccount>().HashPassword(new OwnerAccount { Email = Email, PasswordHash = "", SecurityStamp = "" }, Password);
        await using (var owner = new Bulk(conn, tx, "OwnerAccounts", "Email", "PasswordHash", "BusinessId", "CreatedAt", "FailedLogins", "SecurityStamp", "IsOperator"))
            owner.Row(Email, hash, businessId, now.AddDays(-400), 0, Guid.NewGuid().ToString("N"), false);

        // Callers: ids 1..callers; a skewed pick so some call dozens of times and most once or twice.
        var lastCallAt = new DateTime?[callers];
        var lastEpisodeStart = new DateTime[callers];
        var lastEpisodeFirst = new long[callers];
        var optedOut = new bool[callers];
        var landline = new bool[callers];
        for (var c = 0; c < callers; c++)
        {
            landline[c] = rng.NextDouble() < 0.08;
            optedOut[c] = !landline[c] && rng.NextDouble() < 0.03;
        }
        var outcomes = new Dictionary<string, int>();
        var episodes = new List<Episode>();
        var withheld = 0;
        var previous = -1;
        var step = (now - start).Ticks / calls;
        await using (var mc = new Bulk(conn, tx, "MissedCalls", "Id", "BusinessId", "CallSid", "FromRaw", "FromE164", "To", "At", "LastActivityAt", "Outcome", "ContactId", "EpisodeFirstCallId", "CallStatus", "Transcription", "RecordingUrl"))
        await using (var ob = new Bulk(obConn, tx, "OutboundMessages", "Id", "BusinessId", "MissedCallId", "ContactId", "Kind", "From", "To", "Body", "Status", "Attempts", "CreatedAt", "NextAttemptAt", "SentAt", "DeliveredAt", "ProviderSid", "DedupeKey", "Reason"))
        {
            for (long id = 1; id <= calls; id++)
            {
                var at = start.AddTicks(step * id + rng.NextInt64(step / 2));
                if (rng.NextDouble() < 0.05)
                {
                    withheld++;
                    Count(outcomes, "Withheld");
                    mc.Row(id, businessId, "CAinbox" + id, "Anonymous", null, recoverlyNumber, at, at, "Withheld", null, null, "no-answer", null, null);
                    continue;
                }
                // Skewed: 20% of calls come from 200 frequent callers, the rest spread over all 20k.
                // A caller who is not answered often calls straight back: ~12% of calls repeat the previous caller.
                var c = previous >= 0 && rng.NextDouble() < 0.12 ? previous : rng.NextDouble() < 0.2 ? rng.Next(200) : rng.Next(callers);
                previous = c;
                var contactId = (long)c + 1;
                var repeat = lastCallAt[c] is { } last && at - lastEpisodeStart[c] < TimeSpan.FromHours(2) && at - last < TimeSpan.FromHours(2);
                string outcome;
                if (repeat) outcome = "Repeat";
                else
                {
                    lastEpisodeStart[c] = at;
                    lastEpisodeFirst[c] = id;
                    outcome = landline[c] ? "Landline" : optedOut[c] && at > start.AddDays(30) ? "OptedOut" : "Texted";
                }
                lastCallAt[c] = at;
                Count(outcomes, outcome);
                var voicemail = rng.NextDouble() < 0.15;
                mc.Row(id, businessId, "CAinbox" + id, Phone(c), Phone(c), recoverlyNumber, at, at, outcome, contactId, lastEpisodeFirst[c], "no-answer",
                    voicemail ? "Hi, it's about the leak under the kitchen sink, please call me back." : null,
                    voicemail ? "https://api.twilio.com/recordings/RE" + id : null);
                if (outcome == "Texted")
                {
                    episodes.Add(new Episode(id, contactId, at, true));
                    var sent = at.AddSeconds(2);
                    ob.Row(id, businessId, id, contactId, "TextBack", recoverlyNumber, Phone(c),
                        "Sorry we missed your call — this is Bench Plumbing. How can we help? Reply STOP to opt out.",
                        rng.NextDouble() < 0.97 ? "Delivered" : "Undelivered", 1, at, at, sent, sent.AddSeconds(3), "SMtb" + id, "textback:" + id, "None");
                }
            }
        }
        await using (var c = conn.CreateCommand())
        {
            c.Transaction = tx;
            c.CommandText = "SELECT COUNT(*) FROM \"MissedCalls\"";
            if (Convert.ToInt64(await c.ExecuteScalarAsync(), CultureInfo.InvariantCulture) != calls) throw new InvalidOperationException("missed calls not all written");
        }

        await using (var ct = new Bulk(conn, tx, "Contacts", "Id", "BusinessId", "Phone", "CreatedAt", "LastActivityAt", "EpisodeStartedAt", "EpisodeFirstCallId", "EpisodeCallCount", "LastTextBackAt"))
        {
            for (var c = 0; c < callers; c++)
                ct.Row((long)c + 1, businessId, Phone(c), start, lastCallAt[c] ?? start, lastCallAt[c] is null ? null : lastEpisodeStart[c],
                    lastCallAt[c] is null ? null : lastEpisodeFirst[c], lastCallAt[c] is null ? 0 : 1, null);
        }
        var consentEvents = 0;
        await using (var ce = new Bulk(conn, tx, "ConsentEvents", "BusinessId", "Phone", "Kind", "Source", "At", "EvidenceText"))
        {
            for (var c = 0; c < callers; c++)
            {
                if (!optedOut[c]) continue;
                ce.Row(businessId, Phone(c), "OptOut", "Keyword", start.AddDays(20), "STOP");
                consentEvents++;
            }
        }

        // Conversation: the rest of the messages, each in a random texted episode, in the hours after the call.
        var textBacks = episodes.Count;
        var rest = Math.Max(0, messages - textBacks);
        var ownerReplies = 0;
        var inbound = 0;
        await using (var ob = new Bulk(obConn, tx, "OutboundMessages", "Id", "BusinessId", "MissedCallId", "ContactId", "Kind", "From", "To", "Body", "Status", "Attempts", "CreatedAt", "NextAttemptAt", "SentAt", "DeliveredAt", "ProviderSid", "DedupeKey", "Reason"))
        await using (var ib = new Bulk(conn, tx, "InboundMessages", "Id", "BusinessId", "ContactId", "MessageSid", "From", "To", "Body", "At", "Intent", "FromOwner"))
        {
            var outId = (long)calls + 1;
            for (long i = 1; i <= rest; i++)
            {
                var e = episodes[rng.Next(episodes.Count)];
                var at = e.Start.AddSeconds(30 + rng.Next(6 * 3600));
                if (at > now) at = now;
                var phone = Phone((int)e.ContactId - 1);
                if (rng.NextDouble() < 0.6)
                {
                    inbound++;
                    ib.Row(i, businessId, e.ContactId, "SMin" + i, phone, recoverlyNumber, "Yes please, can someone come out tomorrow morning?", at, "Conversation", false);
                }
                else
                {
                    ownerReplies++;
                    var id = outId++;
                    ob.Row(id, businessId, null, e.ContactId, "OwnerReply", recoverlyNumber, phone, "Sure, we can be there at 9. See you then!",
                        "Delivered", 1, at, at, at.AddSeconds(1), at.AddSeconds(4), "SMor" + id, null, "None");
                }
            }
        }
        if (tx is not null) await tx.CommitAsync();

        // A contact's newest call carries its latest message (the inbox order); texted episodes get the report's marks
        // (replied either way, booked with or without a value) in fixed shares, so the report has figures to group.
        await using (var cmd = conn.CreateCommand())
        {
            // The outbox has no ContactId index (the app never needs one): a throw-away index keeps this update from
            // scanning 445k outbound rows per contact (it ran for over 40 minutes on SQLite without it).
            cmd.CommandText = """
                CREATE INDEX "bench_outbound_contact" ON "OutboundMessages" ("ContactId", "CreatedAt");
                UPDATE "MissedCalls" SET "LastActivityAt" = (SELECT MAX(u.t) FROM (
                        SELECT MAX(i."At") AS t FROM "InboundMessages" i
                        WHERE i."BusinessId" = "MissedCalls"."BusinessId" AND i."ContactId" = "MissedCalls"."ContactId"
                        UNION ALL SELECT MAX(o."CreatedAt") FROM "OutboundMessages" o WHERE o."ContactId" = "MissedCalls"."ContactId"
                        UNION ALL SELECT "MissedCalls"."At") u)
                WHERE "Id" IN (SELECT MAX(n."Id") FROM "MissedCalls" n WHERE n."ContactId" IS NOT NULL GROUP BY n."ContactId");
                UPDATE "MissedCalls" SET "CallerRepliedAt" = "At" WHERE "Outcome" = 'Texted' AND "Id" % 2 = 0;
                UPDATE "MissedCalls" SET "OwnerRepliedAt" = "At" WHERE "Outcome" = 'Texted' AND "Id" % 3 = 0;
                UPDATE "MissedCalls" SET "WonAt" = "At", "JobValueCents" = CASE WHEN "Id" % 4 = 0 THEN NULL ELSE ("Id" % 9 + 1) * 10000 END
                WHERE "Outcome" = 'Texted' AND "Id" % 5 = 0;
                DROP INDEX "bench_outbound_contact";
                """;
            cmd.CommandTimeout = 600;
            await cmd.ExecuteNonQueryAsync();
        }

        // Explicit ids: move the identity sequences past them, and refresh the planner's statistics.
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = database == BenchDatabase.Postgres
                ? string.Join(";", new[] { "MissedCalls", "OutboundMessages", "InboundMessages", "Contacts" }
                      .Select(t => $"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'Id'), (SELECT MAX(\"Id\") FROM \"{t}\"))")) + "; ANALYZE"
                : "ANALYZE";
            cmd.CommandTimeout = 600;
            await cmd.ExecuteNonQueryAsync();
        }
        return new Volumes(calls, callers, textBacks, ownerReplies, inbound, consentEvents, outcomes);
    }

    private static void Count(Dictionary<string, int> d, string key) => d[key] = d.GetValueOrDefault(key) + 1;

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
