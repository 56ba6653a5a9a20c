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
        using var capture = LookupCapture.For(sids);
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

    /// <summary>Records a lookup command EF runs for this test's calls (found by their CallSid prefix) through EF's diagnostic events.</summary>
    private sealed class LookupCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly string _sidPrefix;
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];
        private CapturedCommand? _command;

        private LookupCapture(string sidPrefix) => _sidPrefix = sidPrefix;

        public CapturedCommand? Command => Volatile.Read(ref _command);

        public static LookupCapture For(string sidPrefix)
        {
            var capture = new LookupCapture(sidPrefix);
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
            if (!command.CommandText.Contains("\"Contacts\"", StringComparison.Ordinal)
                || !command.CommandText.Contains("\"Businesses\"", StringComparison.Ordinal)
                || !command.Parameters.Cast<DbParameter>().Any(p => p.Value is string v && v.StartsWith(_sidPrefix, StringComparison.Ordinal))) return;
            Volatile.Write(ref _command, new CapturedCommand(command.CommandText,
                [.. command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }

        public void Dispose()
        {
            foreach (var s in _subscriptions) s.Dispose();
        }
    }
}
