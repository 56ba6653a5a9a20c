using System.Net;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Recoverly.Calls;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Hosting;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Hosting;

public class WarmupTests
{
    private static async Task AssertNothingWrittenAsync(Func<Func<RecoverlyDb, Task<int>>, Task<int>> count)
    {
        Assert.Equal(0, await count(d => d.Businesses.CountAsync()));
        Assert.Equal(0, await count(d => d.Numbers.CountAsync()));
        Assert.Equal(0, await count(d => d.MissedCalls.CountAsync()));
        Assert.Equal(0, await count(d => d.Contacts.CountAsync()));
        Assert.Equal(0, await count(d => d.OutboundMessages.CountAsync()));
        Assert.Equal(0, await count(d => d.ConsentEvents.CountAsync()));
        Assert.Equal(0, await count(d => d.SenderSlots.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Start_up_rehearses_missed_calls_through_the_webhook_before_it_is_ready_and_keeps_nothing(Db db)
    {
        // As deployed: every connection of the pool is primed, not the tests' one.
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?>
        {
            ["Recoverly:WarmUpConnections"] = null, ["Recoverly:WarmUpRounds"] = "3",
        });

        // Every rehearsed call went through the signed endpoint and the whole write, text-back included (the test host has no
        // socket to go through; a deployed process's calls go through its own, DeployedWarmupTests). The tests' web-only
        // process sends nothing, so it rehearses no send.
        Assert.Contains(app.Logs.Lines, l => l.Contains("3 rehearsed call(s) (3 texted, all rolled back) through the endpoint, 0 rehearsed send(s)", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("rehearsal stopped", StringComparison.Ordinal));
        // A token rehearsal is not worth a full collection of the heap.
        Assert.Contains(app.Logs.Lines, l => l.Contains("heap left to the runtime", StringComparison.Ordinal));
        // A rehearsed call is nobody's missed call: not logged as one, not sent, not kept.
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("Missed call", StringComparison.Ordinal));
        await AssertNothingWrittenAsync(app.QueryAsync);
        Assert.Empty(app.Twilio.Sent);

        // The first real call after start is recorded and texted like any other.
        await app.AddBusinessAsync();
        (await app.MissedCallAsync("+15125550123")).EnsureSuccessStatusCode();
        Assert.Equal(CallOutcome.Texted, await app.QueryAsync(d => d.MissedCalls.Select(m => m.Outcome).SingleAsync()));
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo("+15125550123"));
        if (db == Db.Sqlite)
        {
            // SQLite's pool has no size: as many connections as a first burst opens are primed.
            Assert.Contains(app.Logs.Lines, l => l.Contains($"warmed on {HotPathWarmup.SqliteConnections} connection(s)", StringComparison.Ordinal));
            return;
        }

        // The whole pool is open and primed before the first call, and so is the connection that writes calls together: no
        // server process meets a burst cold. (The dispatcher's own pool, which the test's dispatch above used, is counted apart.)
        await using var probe = new NpgsqlConnection(app.ConnectionString);
        await probe.OpenAsync();
        await using var count = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE application_name NOT IN ('recoverly-dispatch', 'recoverly-calls')),
                   count(*) FILTER (WHERE application_name = 'recoverly-calls')
            FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """, probe);
        await using var counted = await count.ExecuteReaderAsync();
        await counted.ReadAsync();
        Assert.Equal(DatabaseSetup.DefaultPoolSize, counted.GetInt64(0));
        Assert.Equal(1, counted.GetInt64(1));
        Assert.Contains(app.Logs.Lines, l => l.Contains($"warmed on {DatabaseSetup.DefaultPoolSize + 1} connection(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_Telnyx_start_up_rehearses_through_the_recorder()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx, new Dictionary<string, string?> { ["Recoverly:WarmUpRounds"] = "3" });

        Assert.Contains(app.Logs.Lines, l => l.Contains("3 rehearsed call(s) (3 texted, all rolled back) through the recorder", StringComparison.Ordinal));
        await AssertNothingWrittenAsync(app.QueryAsync);
    }

    public static TheoryData<Db, Provider> Dispatchers => new() { { Db.Sqlite, Provider.Twilio }, { Db.Postgres, Provider.Twilio }, { Db.Sqlite, Provider.Telnyx } };

    [Theory]
    [MemberData(nameof(Dispatchers))]
    public async Task A_dispatcher_rehearses_sends_through_the_providers_client_and_sends_and_keeps_nothing(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider, new Dictionary<string, string?>
        {
            ["Recoverly:Roles"] = "dispatcher", ["Recoverly:WarmUpRounds"] = "3",
            // Paced as deployed: each rehearsed text takes its number's turn through the gate.
            ["Telephony:SendRatePerSecond"] = "1",
        });

        // Each rehearsed text was claimed, fenced, handed to the provider's client and its outcome written; none reached the provider.
        Assert.Contains(app.Logs.Lines, l => l.Contains("0 rehearsed call(s) (0 texted, all rolled back), 3 rehearsed send(s)", StringComparison.Ordinal));
        // On PostgreSQL the dispatcher's own pool is opened and primed too: the test's one web connection and one of its.
        Assert.Contains(app.Logs.Lines, l => l.Contains($"warmed on {(db == Db.Postgres ? 2 : 1)} connection(s)", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("Outbox", StringComparison.Ordinal) || l.Contains("rehearsal stopped", StringComparison.Ordinal));
        Assert.Empty(app.SmsApi.Sent);
        await AssertNothingWrittenAsync(app.QueryAsync);

        // The stand-in ended with the rehearsal: the first real text reaches the provider.
        var business = await app.AddBusinessAsync();
        await app.QueryAsync(d =>
        {
            Outbox.Enqueue(d, new OutboxItem(business.Id, OutboundKind.TextBack, "+15125550142", "+15125550100", "Sorry we missed you"),
                app.Time.GetUtcNow().UtcDateTime);
            return d.SaveChangesAsync();
        });
        // This process's own dispatcher runs too and may take the text first: either one sends it, once.
        await app.DispatchAsync();
        await Eventually.TrueAsync(() => app.SmsApi.Sent.Count > 0, "the first real text reached the provider");
        Assert.Single(app.SmsApi.Sent);
    }

    [Fact]
    public void Work_the_rehearsal_started_is_not_taken_for_a_rehearsal_once_it_has_ended()
    {
        ExecutionContext? captured;
        using (Rehearsal.Begin())
        {
            Assert.True(Rehearsal.Active);
            captured = ExecutionContext.Capture();
        }
        Assert.False(Rehearsal.Active);

        // A timer or a pooled task created inside the rehearsal runs later on the rehearsal's flow.
        var later = true;
        ExecutionContext.Run(captured!, _ => later = Rehearsal.Active, null);
        Assert.False(later);
    }
}

/// <summary>The deployed default, in a real process: 100 rehearsed calls, then the wait for the optimising compiler.</summary>
[Collection(AppProcessCollection.Name)]
public class DeployedWarmupTests
{
    [Fact]
    public async Task A_deployed_process_rehearses_a_hundred_calls_and_lets_the_jit_settle_before_it_answers_healthz()
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?>
        {
            ["Recoverly__WarmUpRounds"] = null, ["Metrics__Enabled"] = "true", ["Metrics__Token"] = "scrape-token-0123456789abcdef",
        });
        await app.StartServerAsync();

        // The calls went through the process's own socket, the whole server, as the provider's do.
        Assert.Contains($"{HotPathWarmup.DefaultRounds} rehearsed call(s) ({HotPathWarmup.DefaultRounds} texted, all rolled back) through the server's socket, {HotPathWarmup.DefaultRounds} rehearsed send(s), JIT settled in",
            app.ServerStdout, StringComparison.Ordinal);
        // A full rehearsal ends with the full collection, so the first one under load is not; from then on the collector
        // avoids blocking full collections.
        Assert.Contains("heap collected in", app.ServerStdout, StringComparison.Ordinal);
        Assert.Contains("Ready; garbage collection: server, SustainedLowLatency", app.ServerStdout, StringComparison.Ordinal);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync()));
        // Rehearsals are not webhook traffic: the scrape shows none.
        using var scrape = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/metrics");
        scrape.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "scrape-token-0123456789abcdef");
        var body = await (await app.Http.SendAsync(scrape)).Content.ReadAsStringAsync();
        Assert.DoesNotContain("recoverly_webhook_duration_seconds_count{", body, StringComparison.Ordinal);
        // Nor are rehearsed sends: no send is counted and no time-to-text recorded.
        Assert.DoesNotContain("recoverly_sends_total{", body, StringComparison.Ordinal);
        Assert.DoesNotContain("recoverly_text_back_time_to_text_seconds_count", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_it_warms_up_a_process_answers_calls_and_says_so_and_texts_once_ready()
    {
        await using var sink = await TwilioSink.StartAsync();
        // The operator's own choice of the collector's latency mode stands.
        await using var app = await AppProcess.CreateAsync(Db.Postgres, sink, new Dictionary<string, string?>
        {
            ["Recoverly__WarmUpRounds"] = "3", [GcLatency.EnvironmentVariable] = "1",
        });
        await app.AddBusinessAsync();
        // Holds the warm-up where it is: an uncommitted business on the rehearsal's own fictional number, so the rehearsal's
        // insert waits on the unique index until this transaction ends.
        await using var hold = new NpgsqlConnection(app.ConnectionString);
        await hold.OpenAsync();
        await using var held = await hold.BeginTransactionAsync();
        await using (var db = new PostgresRecoverlyDb(new DbContextOptionsBuilder<PostgresRecoverlyDb>().UseNpgsql(hold).Options))
        {
            await db.Database.UseTransactionAsync(held);
            db.Businesses.Add(Businesses.Business.StartTrial("Holder", "+12025550197", "+12025550199", "America/New_York", DateTime.UtcNow));
            await db.SaveChangesAsync();
        }

        await app.StartServerAsync(untilReady: false);

        // Listening, but not ready: a load balancer sends it nothing yet.
        using (var health = await app.Http.GetAsync(app.BaseUrl + "/healthz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("\"status\":\"warming up\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // A call the provider sends meanwhile (a single process has no balancer in front) is answered and recorded, not refused;
        // its text waits for the dispatcher, which starts once the process is ready.
        (await app.MissedCallAsync("+15125550123")).EnsureSuccessStatusCode();
        Assert.Equal(CallOutcome.Texted, await app.QueryAsync(d => d.MissedCalls.Select(m => m.Outcome).SingleAsync()));
        Assert.Empty(sink.Api.Sent);
        Assert.DoesNotContain("Hot paths warmed", app.ServerStdout, StringComparison.Ordinal);

        await held.RollbackAsync();
        await Eventually.TrueAsync(async () => (await app.Http.GetAsync(app.BaseUrl + "/healthz")).StatusCode == HttpStatusCode.OK, "the process became ready");
        await Eventually.TrueAsync(() => sink.Api.Sent.Count > 0, "the call's text-back was sent once the process was ready");
        Assert.Single(sink.Api.SentTo("+15125550123"));
        Assert.Contains("3 rehearsed call(s) (3 texted, all rolled back) through the server's socket", app.ServerStdout, StringComparison.Ordinal);
        Assert.DoesNotContain("rehearsal stopped", app.ServerStdout, StringComparison.Ordinal);
        Assert.Contains("Ready; garbage collection: server, Interactive", app.ServerStdout, StringComparison.Ordinal);
        // The rehearsal kept nothing: the one real call is all there is.
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(1, await app.QueryAsync(d => d.Businesses.CountAsync()));
    }
}
