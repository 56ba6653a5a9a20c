using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Calls;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

/// <summary>
/// On PostgreSQL the missed calls of webhooks that come in while a write is running are written together, in one commit
/// (docs/product/missed-calls.md, "How a call is written"). Each call must still get exactly its own outcome, a replay
/// among them must be answered as one, and a row lock held elsewhere must hold up only the call that needs it.
/// </summary>
public class CallsWrittenTogetherTests
{
    private const string NumberA = "+15125550100";
    private const string NumberB = "+15125550110";

    private static string Caller(int i) => $"+1512555{2000 + i:D4}";

    /// <summary>PostgreSQL, with two businesses: on number A and on number B.</summary>
    private static async Task<TestApp> StartWithTwoBusinessesAsync()
    {
        var app = await TestApp.StartAsync(Db.Postgres);
        await app.AddBusinessAsync("Acme Plumbing", NumberA, businessPhone: "+15125550101");
        await app.AddBusinessAsync("Bolt Electric", NumberB, businessPhone: "+15125550111");
        return app;
    }

    [Fact]
    public async Task Calls_that_come_in_while_a_write_runs_are_written_in_one_commit_each_with_its_own_outcome()
    {
        await using var app = await StartWithTwoBusinessesAsync();
        var batcher = app.Services.GetRequiredService<CallWriteBatcher>();
        var (batches, written) = (batcher.Batches, batcher.Written);

        // The batcher's pool has one connection; holding it keeps the first write from starting, so the rest come in meanwhile.
        var held = new NpgsqlConnection(batcher.ConnectionString);
        await held.OpenAsync();
        var first = app.MissedCallAsync(Caller(0), NumberA);
        await Eventually.TrueAsync(() => batcher.InFlight == 1, "the first call waits for the batcher's connection");
        var rest = new List<Task<HttpResponseMessage>>();
        for (var i = 1; i <= 10; i++)
        {
            rest.Add(app.MissedCallAsync(Caller(i), i % 2 == 0 ? NumberA : NumberB));
            var queued = i;
            await Eventually.TrueAsync(() => batcher.Waiting == queued, $"call {queued} is queued behind the first");
        }
        // A second call from the same caller to the same business, after the first: the episode's text-back is the earlier one's.
        rest.Add(app.MissedCallAsync(Caller(1), NumberB));
        await Eventually.TrueAsync(() => batcher.Waiting == 11, "the repeat call is queued");
        await held.DisposeAsync();

        Assert.Contains("We'll text you right away", await HttpAssert.OkXmlAsync(await first));
        var answers = await Task.WhenAll(rest.Select(async r => await HttpAssert.OkXmlAsync(await r)));
        Assert.All(answers[..10], a => Assert.Contains("We'll text you right away", a));
        Assert.Equal(2, batcher.Batches - batches);
        Assert.Equal(12, batcher.Written - written);
        Assert.Equal(0, batcher.HandedBack);

        var calls = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => new { c.FromE164, c.Outcome, c.BusinessId }).ToListAsync());
        Assert.Equal(12, calls.Count);
        Assert.Equal(11, calls.Count(c => c.Outcome == CallOutcome.Texted));
        var fromOne = calls.Where(c => c.FromE164 == Caller(1)).ToList();
        Assert.Equal([CallOutcome.Texted, CallOutcome.Repeat], fromOne.Select(c => c.Outcome));
        await app.DispatchAsync();
        Assert.Equal(11, app.SmsApi.Sent.Count);
        Assert.Equal(11, app.SmsApi.Sent.Select(t => t.To).Distinct().Count());
        Assert.Single(app.SmsApi.SentTo(Caller(1)));
    }

    [Fact]
    public async Task Waves_of_calls_from_many_callers_are_all_answered_and_each_written_once()
    {
        await using var app = await StartWithTwoBusinessesAsync();
        var batcher = app.Services.GetRequiredService<CallWriteBatcher>();
        var (batches, written) = (batcher.Batches, batcher.Written);

        // Waves of different sizes find the writer idle, busy with a batch, and just done with one. A call it left in its queue
        // would never be answered; one it wrote twice would fail its batch and be handed back.
        const int waves = 11; // 176 calls, 88 per business: under the daily cap of 100
        var calls = new List<Task<HttpResponseMessage>>();
        for (var wave = 0; wave < waves; wave++)
        {
            var size = 1 + wave * 3;
            var start = calls.Count;
            for (var i = 0; i < size; i++) calls.Add(app.MissedCallAsync(Caller(start + i), (start + i) % 2 == 0 ? NumberA : NumberB));
            if (wave % 3 == 2) await Task.WhenAll(calls);
        }
        var answers = await Task.WhenAll(calls.Select(async c => await HttpAssert.OkXmlAsync(await c)));
        Assert.All(answers, a => Assert.Contains("We'll text you right away", a));
        Assert.Equal(calls.Count, batcher.Written - written);
        Assert.Equal(0, batcher.HandedBack);
        Assert.InRange(batcher.Batches - batches, 1, calls.Count);
        Assert.Equal(0, batcher.Waiting);

        var recorded = await app.QueryAsync(d => d.MissedCalls.Select(c => new { c.FromE164, c.Outcome }).ToListAsync());
        Assert.Equal(calls.Count, recorded.Count);
        Assert.Equal(calls.Count, recorded.Select(c => c.FromE164).Distinct().Count());
        Assert.All(recorded, c => Assert.Equal(CallOutcome.Texted, c.Outcome));
    }

    [Fact]
    public async Task A_replay_written_together_with_its_original_is_answered_as_a_replay_and_the_others_are_written_once()
    {
        await using var app = await TestApp.StartAsync(Db.Postgres);
        await app.AddBusinessAsync("Acme Plumbing", NumberA, businessPhone: "+15125550101");
        var batcher = app.Services.GetRequiredService<CallWriteBatcher>();

        var held = new NpgsqlConnection(batcher.ConnectionString);
        await held.OpenAsync();
        var first = app.MissedCallAsync(Caller(0), NumberA);
        await Eventually.TrueAsync(() => batcher.InFlight == 1, "the first call waits for the batcher's connection");
        var sid = TestApp.NewSid("CA");
        var calls = new List<Task<HttpResponseMessage>>();
        for (var i = 1; i <= 6; i++)
        {
            // Call 3 is delivered twice (Twilio retried while the first delivery was still being written): same CallSid.
            calls.Add(app.MissedCallAsync(Caller(i), NumberA, callSid: i == 3 ? sid : null));
            if (i == 3) calls.Add(app.MissedCallAsync(Caller(i), NumberA, callSid: sid));
            var queued = calls.Count;
            await Eventually.TrueAsync(() => batcher.Waiting == queued, $"{queued} call(s) queued behind the first");
        }
        await held.DisposeAsync();

        await HttpAssert.OkXmlAsync(await first);
        var answers = await Task.WhenAll(calls.Select(async r => await HttpAssert.OkXmlAsync(await r)));
        Assert.All(answers, a => Assert.Contains("We'll text you right away", a));
        // The batch with both deliveries failed on the CallSid, kept nothing, and each call was written again on its own.
        Assert.Equal(7, batcher.HandedBack);

        var recorded = await app.QueryAsync(d => d.MissedCalls.Select(c => new { c.CallSid, c.Outcome }).ToListAsync());
        Assert.Equal(7, recorded.Count);
        Assert.Single(recorded, c => c.CallSid == sid);
        Assert.All(recorded, c => Assert.Equal(CallOutcome.Texted, c.Outcome));
        await app.DispatchAsync();
        Assert.Equal(7, app.SmsApi.Sent.Count);
        Assert.Single(app.SmsApi.SentTo(Caller(3)));
    }

    [Fact]
    public async Task A_business_row_locked_elsewhere_holds_up_only_its_own_call()
    {
        await using var app = await TestApp.StartAsync(Db.Postgres);
        var acme = await app.AddBusinessAsync("Acme Plumbing", NumberA, businessPhone: "+15125550101");
        await app.AddBusinessAsync("Bolt Electric", NumberB, businessPhone: "+15125550111");
        var batcher = app.Services.GetRequiredService<CallWriteBatcher>();

        // Something else holds Acme's row (an owner's settings being saved, a long operator transaction).
        await using var other = new NpgsqlConnection(app.ConnectionString);
        await other.OpenAsync();
        await using var hold = await other.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("""SELECT 1 FROM "Businesses" WHERE "Id" = @id FOR UPDATE""", other, hold))
        {
            lockRow.Parameters.AddWithValue("id", acme.Id);
            await lockRow.ExecuteScalarAsync();
        }

        var acmeCall = app.MissedCallAsync(Caller(0), NumberA);
        await Eventually.TrueAsync(async () => await WaitingOnLocksAsync(app.ConnectionString) > 0, "Acme's call waits for the row");
        var boltCalls = Enumerable.Range(1, 5).Select(i => app.MissedCallAsync(Caller(i), NumberB)).ToList();

        // Bolt's calls are answered while Acme's row is still held: none waits behind Acme's.
        var boltAnswers = await Task.WhenAll(boltCalls).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var answer in boltAnswers) Assert.Contains("We'll text you right away", await HttpAssert.OkXmlAsync(answer));
        Assert.False(acmeCall.IsCompleted);
        Assert.True(batcher.HandedBack >= 1);

        await hold.CommitAsync();
        Assert.Contains("We'll text you right away", await HttpAssert.OkXmlAsync(await acmeCall));
        var outcomes = await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).ToListAsync());
        Assert.Equal(6, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(CallOutcome.Texted, o));
    }

    private static async Task<int> WaitingOnLocksAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("""
            SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
            """, connection);
        return Convert.ToInt32(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
