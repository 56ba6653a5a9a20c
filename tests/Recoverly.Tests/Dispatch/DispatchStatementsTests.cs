using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Consent;
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
    public async Task On_postgres_a_text_that_leaves_within_its_turns_margin_costs_two_statements_a_claim_that_paces_and_fences_then_the_finish(int msPerClockRead)
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
        // The outbox and the number's gate are touched by the claim, which also opens the gate and fences the row, and by the
        // outcome's write: a turn that covers the request's moment is not confirmed again.
        var dispatch = statements.All.Where(s => s.Contains("\"OutboundMessages\"", StringComparison.Ordinal)
                                                 || s.Contains("\"SenderSlots\"", StringComparison.Ordinal)).ToList();
        Assert.True(dispatch.Count == 2, $"{dispatch.Count} statements:\n{string.Join("\n---\n", dispatch)}");
        Assert.Contains("\"SenderSlots\"", dispatch[0]);
        Assert.Contains("'Sending'", dispatch[0]);
        Assert.Contains("\"ProviderSid\"", dispatch[1]);
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task On_postgres_a_claim_opens_its_numbers_gates_and_fences_only_the_texts_that_may_go_now(bool realClock)
    {
        await using var app = await TestApp.StartAsync(Db.Postgres);
        string[] numbers = ["+15125550100", "+15125550200", "+15125550300", "+15125550400", "+15125550500"];
        var ids = new List<long>();
        foreach (var (number, i) in numbers.Select((n, i) => (n, i)))
        {
            ids.Add((await app.AddBusinessAsync($"Business {i}", number, $"+1512555{i}101")).Id);
            await app.MissedCallAsync(Caller(i), number);
        }
        var now = app.Time.GetUtcNow().UtcDateTime;
        var second = TimeSpan.FromSeconds(1);
        await app.QueryAsync(async d =>
        {
            // 200: another dispatcher opened its gate a moment ago. 300: a number with its own rate of 0, unpaced.
            d.SenderSlots.Add(new SenderSlot { Sender = numbers[1], NextSlotTicks = (now + TimeSpan.FromMilliseconds(500)).Ticks });
            (await d.Numbers.SingleAsync(n => n.E164 == numbers[2])).SendRatePerSecond = 0;
            // 400: its caller opted out after the text was queued, without the text being cancelled (as if racing it).
            ConsentLedger.Append(d, ids[3], Caller(3), ConsentKind.OptOut, ConsentEvidence.FromMessage(TestApp.NewSid("SM"), "STOP"), now);
            // 500: an earlier attempt may have reached the provider.
            var inDoubt = await d.OutboundMessages.SingleAsync(m => m.From == numbers[4]);
            inDoubt.Status = OutboundStatus.InDoubt;
            inDoubt.AttemptStartedAt = now.AddMinutes(-1);
            return await d.SaveChangesAsync();
        });
        var leases = new OutboxLeases("test-worker");
        var rates = new PacingRates(1, new Dictionary<string, double> { [numbers[2]] = 0 }.ToFrozenDictionary());

        var rows = await app.WithScopeAsync(sp =>
            leases.ClaimAndFenceAsync(sp.GetRequiredService<RecoverlyDb>(), 10, now, TimeSpan.FromSeconds(30), [], rates, realClock,
                CancellationToken.None));

        var by = rows.ToDictionary(r => r.From);
        var open = rows.Where(r => r.Gate is not null).Select(r => r.From);
        Assert.Equal([numbers[0], numbers[2], numbers[3], numbers[4]], by.Keys.Order());
        Assert.Equal([numbers[0], numbers[3], numbers[4]], open.Order());
        Assert.Equal(now, by[numbers[0]].FencedAt);
        Assert.Equal(now, by[numbers[2]].FencedAt);
        Assert.True(by[numbers[3]].FenceRefused);
        Assert.Null(by[numbers[3]].FencedAt);
        // The row in doubt is reconciled before any fence: claimed with its number's turn, as it was.
        Assert.True(by[numbers[4]].NeedsReconcile);
        Assert.Equal(OutboundStatus.InDoubt, by[numbers[4]].Status);
        Assert.False(by[numbers[4]].FenceRefused);
        Assert.Null(by[numbers[4]].FencedAt);
        Assert.All(rows, r => Assert.True(r.MoreDue is false));

        var stored = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().ToDictionaryAsync(m => m.From));
        Assert.Equal(OutboundStatus.Sending, stored[numbers[0]].Status);
        Assert.Equal(now, stored[numbers[0]].AttemptStartedAt);
        Assert.Equal(OutboundStatus.Pending, stored[numbers[1]].Status);
        Assert.Null(stored[numbers[1]].LeaseOwner); // its gate was shut: left in its place in the queue, not claimed
        Assert.Equal(OutboundStatus.Sending, stored[numbers[2]].Status);
        Assert.Equal(OutboundStatus.Pending, stored[numbers[3]].Status);
        Assert.Null(stored[numbers[3]].AttemptStartedAt);
        Assert.Equal(OutboundStatus.InDoubt, stored[numbers[4]].Status);
        Assert.Equal(now.AddMinutes(-1), stored[numbers[4]].AttemptStartedAt);
        Assert.All(numbers.Except([numbers[1]]), n => Assert.Equal("test-worker", stored[n].LeaseOwner));
        var slots = await app.QueryAsync(d => d.SenderSlots.AsNoTracking().ToDictionaryAsync(s => s.Sender, s => s.NextSlotTicks));
        Assert.Equal((now + TimeSpan.FromMilliseconds(500)).Ticks, slots[numbers[1]]);
        Assert.False(slots.ContainsKey(numbers[2]));
        Assert.Null(by[numbers[2]].Gate);
        // An opened gate holds the interval and its margin from when it opened: the claim's moment, and on the real clock the
        // time its statement had taken by then (by the database's clock; this test's process clock stands still meanwhile).
        foreach (var n in new[] { numbers[0], numbers[3], numbers[4] })
        {
            var turn = by[n].Gate!.Value;
            Assert.Equal(slots[n], turn.SlotTicks);
            Assert.Equal(second, turn.Interval);
            var held = new DateTime(slots[n], DateTimeKind.Utc) - now;
            if (realClock) Assert.InRange(held, SendPacer.Span(second), SendPacer.Span(second) + TimeSpan.FromMinutes(1));
            else Assert.Equal(SendPacer.Span(second), held);
            Assert.True(turn.FreshAt(now), "a request leaving at the claim's moment goes on the turn the claim took");
        }
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
