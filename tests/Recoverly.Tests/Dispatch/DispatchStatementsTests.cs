using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Dispatch;

/// <summary>
/// What one text costs the database on its way out (docs/product/sending.md, steps 2–7), and the statement that paces
/// and fences a claimed batch at once.
/// </summary>
public class DispatchStatementsTests
{
    private static string Caller(int i) => $"+1512555{i + 1000:D4}";

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public async Task On_postgres_a_text_that_leaves_within_its_turns_margin_costs_three_statements_claim_pace_and_fence_then_finish(int msPerClockRead)
    {
        await using var app = await TestApp.StartAsync(Db.Postgres, new Dictionary<string, string?> { ["Telephony:SendRatePerSecond"] = "1" });
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller(0));
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();

        using var statements = NpgsqlStatements.On(new NpgsqlConnectionStringBuilder(app.ConnectionString).Database!);
        var (_, ready) = await dispatcher.ClaimReadyAsync(10, CancellationToken.None);
        var opened = app.Time.GetUtcNow().UtcDateTime;
        // With every clock read some milliseconds after the last, the request leaves later than the gate opened, as under load.
        app.Time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(msPerClockRead);
        await dispatcher.ProcessAsync(Assert.Single(ready), CancellationToken.None);
        app.Time.AutoAdvanceAmount = TimeSpan.Zero;

        Assert.Equal([Caller(0)], app.Twilio.Sent.Select(t => t.To));
        // The outbox and the number's gate are touched by the claim, one statement that opens the gate and fences the row,
        // and the outcome's write: a turn that covers the request's moment is not confirmed again.
        var dispatch = statements.All.Where(s => s.Contains("\"OutboundMessages\"", StringComparison.Ordinal)
                                                 || s.Contains("\"SenderSlots\"", StringComparison.Ordinal)).ToList();
        Assert.True(dispatch.Count == 3, $"{dispatch.Count} statements:\n{string.Join("\n---\n", dispatch)}");
        Assert.Contains("\"SenderSlots\"", dispatch[1]);
        Assert.Contains("'Sending'", dispatch[1]);
        var sent = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Queued, sent.Status);
        Assert.True(sent.SentAt >= opened.AddMilliseconds(msPerClockRead), $"sent {sent.SentAt:O}, gate opened {opened:O}");
        // The number's next turn is still a whole interval after the request left.
        var slot = await app.QueryAsync(d => d.SenderSlots.AsNoTracking().SingleAsync());
        Assert.True(new DateTime(slot.NextSlotTicks, DateTimeKind.Utc) - sent.SentAt!.Value >= TimeSpan.FromSeconds(1),
            $"next turn {new DateTime(slot.NextSlotTicks):O}, sent {sent.SentAt:O}");
    }

    [Theory]
    [BothDatabases]
    public async Task Pacing_and_fencing_a_batch_fences_unpaced_rows_and_only_the_paced_rows_whose_gate_opened(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync("Acme Plumbing", "+15125550100", "+15125550101");
        await app.AddBusinessAsync("Bolt Electric", "+15125550200", "+15125550201");
        await app.AddBusinessAsync("Crisp Cleaning", "+15125550300", "+15125550301");
        for (var i = 0; i < 3; i++) await app.MissedCallAsync(Caller(i), $"+15125550{i + 1}00");
        var now = app.Time.GetUtcNow().UtcDateTime;
        var second = TimeSpan.FromSeconds(1);
        var leases = new OutboxLeases("test-worker");

        var (rows, answers, fenced) = await app.WithScopeAsync(async sp =>
        {
            var rdb = sp.GetRequiredService<RecoverlyDb>();
            var rows = (await leases.ClaimAsync(rdb, 10, 1, now, TimeSpan.FromSeconds(30), [], CancellationToken.None)).ToDictionary(r => r.From);
            Assert.Equal(3, rows.Count);
            // Another dispatcher opened Bolt's gate after this claim: its next turn is half a second away.
            rdb.SenderSlots.Add(new SenderSlot { Sender = "+15125550200", NextSlotTicks = (now + TimeSpan.FromMilliseconds(500)).Ticks });
            await rdb.SaveChangesAsync();
            var (answers, fenced) = await leases.PaceAndFenceAsync(rdb, [("+15125550100", second), ("+15125550200", second)],
                [rows["+15125550300"].Id], [(rows["+15125550100"].Id, "+15125550100"), (rows["+15125550200"].Id, "+15125550200")],
                now, TimeSpan.FromSeconds(30), CancellationToken.None);
            return (rows, answers, fenced);
        });

        Assert.Equal(["+15125550100"], answers.Open);
        Assert.Equal(now + TimeSpan.FromMilliseconds(500), answers.ShutUntil["+15125550200"]);
        Assert.Equal([rows["+15125550100"].Id, rows["+15125550300"].Id], fenced.Order());
        var statuses = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().ToDictionaryAsync(m => m.From, m => m.Status));
        Assert.Equal(OutboundStatus.Sending, statuses["+15125550100"]);
        Assert.Equal(OutboundStatus.Pending, statuses["+15125550200"]); // its gate stayed shut: not fenced, sent on its number's next turn
        Assert.Equal(OutboundStatus.Sending, statuses["+15125550300"]);
        var slots = await app.QueryAsync(d => d.SenderSlots.AsNoTracking().ToDictionaryAsync(s => s.Sender, s => s.NextSlotTicks));
        // The opened gate holds the interval and its margin (docs/product/sending.md, step 3).
        Assert.Equal((now + SendPacer.Span(second)).Ticks, slots["+15125550100"]);
        Assert.Equal((now + TimeSpan.FromMilliseconds(500)).Ticks, slots["+15125550200"]);
        Assert.False(slots.ContainsKey("+15125550300"));

        // Bolt's row alone (the form for one row): still shut a moment later, then fenced the moment its gate opens.
        async Task<HashSet<long>> BoltAtAsync(DateTime at) => (await app.WithScopeAsync(sp => leases.PaceAndFenceAsync(
            sp.GetRequiredService<RecoverlyDb>(), [("+15125550200", second)], [], [(rows["+15125550200"].Id, "+15125550200")], at,
            TimeSpan.FromSeconds(30), CancellationToken.None))).Fenced;
        Assert.Empty(await BoltAtAsync(now + TimeSpan.FromMilliseconds(499)));
        Assert.Equal([rows["+15125550200"].Id], await BoltAtAsync(now + TimeSpan.FromMilliseconds(500)));
        Assert.Equal(OutboundStatus.Sending, await app.QueryAsync(d => d.OutboundMessages.Where(m => m.From == "+15125550200").Select(m => m.Status).SingleAsync()));
        Assert.Equal((now + TimeSpan.FromMilliseconds(500) + SendPacer.Span(second)).Ticks,
            await app.QueryAsync(d => d.SenderSlots.Where(s => s.Sender == "+15125550200").Select(s => s.NextSlotTicks).SingleAsync()));
    }

    /// <summary>The SQL of every command Npgsql runs on one database while it is alive (Npgsql's own tracing source).</summary>
    private sealed class NpgsqlStatements : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<string> _seen = new();

        private NpgsqlStatements(string database)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    var on = activity.GetTagItem("db.name") ?? activity.GetTagItem("db.namespace") ?? activity.DisplayName;
                    if (!Equals(on, database)) return;
                    if ((activity.GetTagItem("db.statement") ?? activity.GetTagItem("db.query.text")) is string sql) _seen.Enqueue(sql);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public static NpgsqlStatements On(string database) => new(database);

        public IReadOnlyList<string> All => [.. _seen];

        public void Dispose() => _listener.Dispose();
    }
}
