using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

/// <summary>
/// The missed-call webhook's lookup runs on every call, so it must find the business by the called number's index and the
/// caller's contact through the (business, phone) index, never by checking every business or reading every business's
/// contacts: both grew with the customer base, on every call.
/// </summary>
public class LookupPlanTests
{
    private const string Caller = "+15125550142";

    [Theory]
    [BothDatabases]
    public async Task The_missed_call_lookup_finds_the_business_and_the_callers_contact_through_indexes(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        var sids = TestApp.NewSid("CA")[..18];

        // EF re-reads whether anyone listens for its command events about once a second, so calls are made until one is seen.
        var ours = OnDatabaseOf(app);
        using var capture = LookupCapture.For(command => ours(command) && command.CommandText.Contains("\"Contacts\"", StringComparison.Ordinal)
            && command.CommandText.Contains("\"Businesses\"", StringComparison.Ordinal) && HasParameter(command, v => v.StartsWith(sids, StringComparison.Ordinal)));
        var calls = 0;
        await Eventually.TrueAsync(async () =>
        {
            await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: $"{sids}{calls++:x14}"));
            return capture.Command is not null;
        }, "the lookup's command was seen");
        var lookup = capture.Command!;

        var plan = await PlanAsync(db, app.ConnectionString, lookup);
        if (db == Db.Postgres)
        {
            // Sequential scans are priced out, so a scan shows up as a full index scan without this condition.
            Assert.Matches("""Index Scan using "IX_Contacts_BusinessId_Phone" on "Contacts" \w+[^\n]*\n\s*Index Cond: \(\("BusinessId" = \w+\."Id"\) AND \(\("Phone"\)::text = """, plan);
            Assert.Matches("""Index Scan using "PK_Businesses" on "Businesses" \w+[^\n]*\n\s*Index Cond: \("Id" = \w+\."BusinessId"\)""", plan);
        }
        else
        {
            Assert.Contains("USING INDEX IX_Contacts_BusinessId_Phone (BusinessId=? AND Phone=?)", plan);
            // The business by its key, not every business checked for the number.
            Assert.Matches(@"SEARCH \w+ USING INTEGER PRIMARY KEY \(rowid=\?\)", plan);
            Assert.DoesNotMatch(@"(?m)^SCAN ", plan);
        }
    }

    [Theory]
    [BothDatabases]
    public async Task The_inbound_text_webhook_finds_the_business_by_its_numbers_index(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        const string number = "+15125550163";
        await app.AddBusinessAsync(number: number);

        var ours = OnDatabaseOf(app);
        using var capture = LookupCapture.For(command => ours(command) && command.CommandText.Contains("\"Numbers\"", StringComparison.Ordinal)
            && command.CommandText.Contains("\"Businesses\"", StringComparison.Ordinal) && !command.CommandText.Contains("\"Contacts\"", StringComparison.Ordinal)
            && HasParameter(command, v => v == number));
        await Eventually.TrueAsync(async () =>
        {
            (await app.InboundSmsAsync(Caller, number, "Is anyone there?")).EnsureSuccessStatusCode();
            return capture.Command is not null;
        }, "the business lookup's command was seen");

        var plan = await PlanAsync(db, app.ConnectionString, capture.Command!);
        if (db == Db.Postgres)
            Assert.Matches("""Index Scan using "PK_Businesses" on "Businesses" \w+[^\n]*\n\s*Index Cond: \("Id" = \w+\."BusinessId"\)""", plan);
        else
        {
            Assert.Matches(@"SEARCH \w+ USING INTEGER PRIMARY KEY \(rowid=\?\)", plan);
            Assert.DoesNotMatch(@"(?m)^SCAN ", plan);
        }
    }

    [Fact]
    public async Task Every_query_of_a_missed_call_and_its_conversation_finds_its_rows_through_an_index()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        const string owner = "+15125550199";
        await app.AddBusinessWithConfirmedOwnerAsync(owner);
        var ours = OnDatabaseOf(app);
        using var capture = LookupCapture.For(ours);
        var all = capture.All;

        // A caller's whole conversation: the missed call and its text-back, delivery receipts, a reply, the owner's answer, STOP.
        async Task ConversationAsync(string caller)
        {
            await HttpAssert.OkXmlAsync(await app.MissedCallAsync(caller));
            await app.DispatchAsync();
            foreach (var sent in app.Twilio.Sent.ToList()) (await app.MessageStatusAsync(sent.Sid, "delivered")).EnsureSuccessStatusCode();
            (await app.InboundSmsAsync(caller, "+15125550100", "Can you come today?")).EnsureSuccessStatusCode();
            await app.DispatchAsync();
            (await app.InboundSmsAsync(owner, "+15125550100", "Yes, at 3")).EnsureSuccessStatusCode();
            await app.DispatchAsync();
            (await app.InboundSmsAsync(caller, "+15125550100", "STOP")).EnsureSuccessStatusCode();
            await app.DispatchAsync();
        }

        // EF re-reads whether anyone listens about once a second per pooled context, so early conversations are seen only in
        // part: they go on until the key queries were seen (the missed-call lookup, the inbound text's dedupe, the delivery
        // receipt's) and a whole conversation ran no query not already seen.
        bool Seen(string table, string other) => all.Any(c => c.Text.Contains(table, StringComparison.Ordinal) && c.Text.Contains(other, StringComparison.Ordinal));
        int Distinct() => all.DistinctBy(c => c.Text).Count();
        var conversations = 0;
        await Eventually.TrueAsync(async () =>
        {
            var before = Distinct();
            await ConversationAsync($"+1512555{1200 + conversations++:D4}");
            return Distinct() == before
                && Seen("\"Contacts\"", "\"Numbers\"") && Seen("\"InboundMessages\"", "MessageSid") && Seen("\"MessageStatusEvents\"", "MessageSid");
        }, "every query of a conversation was seen");

        var scans = new List<string>();
        foreach (var command in all.DistinctBy(c => c.Text))
        {
            if (!command.Text.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)
                && !command.Text.TrimStart().StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
                && !command.Text.TrimStart().StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)
                && !command.Text.TrimStart().StartsWith("WITH", StringComparison.OrdinalIgnoreCase)) continue;
            var plan = await PlanAsync(Db.Sqlite, app.ConnectionString, command);
            // "SCAN CONSTANT ROW" is the one-row frame around an EXISTS, not a table.
            if (plan.Split('\n').Any(l => l.StartsWith("SCAN ", StringComparison.Ordinal) && l != "SCAN CONSTANT ROW"))
                scans.Add(plan + "\n  for: " + command.Text.ReplaceLineEndings(" ")[..Math.Min(400, command.Text.Length)]);
        }
        Assert.True(scans.Count == 0, "Queries that read a whole table:\n" + string.Join("\n\n", scans));
    }

    /// <summary>Commands on this app's own database: other tests run in this process at the same time, on both databases.</summary>
    private static Func<DbCommand, bool> OnDatabaseOf(TestApp app)
    {
        if (app.Db == Db.Postgres)
        {
            var database = new NpgsqlConnectionStringBuilder(app.ConnectionString).Database;
            return c => c.Connection is NpgsqlConnection n && n.Database == database;
        }
        var file = Path.GetFileName(new SqliteConnectionStringBuilder(app.ConnectionString).DataSource);
        return c => c.Connection is SqliteConnection s && Path.GetFileName(s.DataSource) == file;
    }

    private static bool HasParameter(DbCommand command, Func<string, bool> match) =>
        command.Parameters.Cast<DbParameter>().Any(p => p.Value is string v && match(v));

    private static async Task<string> PlanAsync(Db db, string connectionString, CapturedCommand lookup)
    {
        await using DbConnection connection = db == Db.Postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        if (db == Db.Postgres)
        {
            await using var off = connection.CreateCommand();
            off.CommandText = "SET enable_seqscan = off";
            await off.ExecuteNonQueryAsync();
        }
        await using var explain = connection.CreateCommand();
        explain.CommandText = (db == Db.Postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + lookup.Text;
        foreach (var (name, value) in lookup.Parameters)
        {
            var p = explain.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            explain.Parameters.Add(p);
        }
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync()) lines.Add(reader.GetValue(reader.FieldCount - 1)?.ToString() ?? "");
        return string.Join('\n', lines);
    }

    private sealed record CapturedCommand(string Text, List<(string Name, object? Value)> Parameters);

    /// <summary>Records a command EF runs that this test is looking for, through EF's diagnostic events.</summary>
    private sealed class LookupCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly Func<DbCommand, bool> _match;
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];

        private LookupCapture(Func<DbCommand, bool> match) => _match = match;

        /// <summary>Every matching command, in the order run.</summary>
        public ConcurrentQueue<CapturedCommand> All { get; } = new();

        /// <summary>The latest matching command, or null.</summary>
        public CapturedCommand? Command => All.LastOrDefault();

        /// <remarks>EF re-reads whether anyone listens about once a second: make the call until a command is seen.</remarks>
        public static LookupCapture For(Func<DbCommand, bool> match)
        {
            var capture = new LookupCapture(match);
            capture._subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(capture));
            return capture;
        }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name) _subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (e.Key != RelationalEventId.CommandExecuting.Name || e.Value is not CommandEventData data) return;
            var command = data.Command;
            if (!_match(command)) return;
            All.Enqueue(new CapturedCommand(command.CommandText, [.. command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }

        public void Dispose()
        {
            foreach (var s in _subscriptions) s.Dispose();
        }
    }
}
