using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Dispatch;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Dispatch;

public class DispatcherTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static Task<OutboundMessage> TextBackAsync(TestApp app, string to = Caller) =>
        app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack && m.To == to));

    private static DateTime Now(TestApp app) => app.Time.GetUtcNow().UtcDateTime;

    private static string CallerNumber(int i) => $"+1512555{i + 1000:D4}";

    /// <summary>How far an opened gate moves a number sending 1 text a second: the second and its margin (1.1 s).</summary>
    private static readonly TimeSpan Turn = SendPacer.Span(TimeSpan.FromSeconds(1));

    /// <summary>One business whose number sends 1 text a second, with a text-back waiting for each of <paramref name="callers"/> callers.</summary>
    private static async Task<TestApp> PacedAppAsync(Db db, int callers)
    {
        var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Telephony:SendRatePerSecond"] = "1" });
        try
        {
            await app.AddBusinessAsync();
            for (var i = 0; i < callers; i++) await app.MissedCallAsync(CallerNumber(i));
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Each provider's code for "too many requests" (Twilio 20429, Telnyx 10011) and for "opted out at the provider" (21610, 40300).</summary>
    private static (int Busy, int OptedOut, int ServerError) Codes(Provider provider) =>
        provider == Provider.Twilio ? (20429, 21610, 20500) : (10011, 40300, 10007);

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Rate_limited_send_429_is_retried_with_backoff_and_sent_once(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        app.SmsApi.Script(new Scripted(429, Codes(provider).Busy));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Equal(1, app.SmsApi.Requests);
        Assert.Empty(app.SmsApi.Sent);
        var waiting = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Pending, waiting.Status);
        Assert.Equal(Codes(provider).Busy, waiting.ErrorCode);
        Assert.Equal(Now(app).AddSeconds(1), waiting.NextAttemptAt, TimeSpan.FromMilliseconds(50));

        app.Time.Advance(TimeSpan.FromMilliseconds(500));
        await app.DispatchAsync();
        Assert.Equal(1, app.SmsApi.Requests); // not before the backoff is over

        app.Time.Advance(TimeSpan.FromMilliseconds(500));
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();

        var text = Assert.Single(app.SmsApi.Sent);
        Assert.Equal(2, app.SmsApi.Requests);
        var sent = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Queued, sent.Status);
        Assert.Equal(text.Sid, sent.ProviderSid);
        Assert.Equal(2, sent.Attempts);
    }

    [Fact]
    public async Task Permanent_error_21211_fails_without_retry()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        app.Twilio.Script(new Scripted(400, 21211));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();

        Assert.Equal(1, app.Twilio.Requests);
        Assert.Empty(app.Twilio.Sent);
        var failed = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Failed, failed.Status);
        Assert.Equal(21211, failed.ErrorCode);
        Assert.Equal("Not sent — not a valid phone number", Recoverly.Owners.OwnerWords.Reason(failed.Reason, failed.Kind, failed.ErrorCode));
    }

    [Fact]
    public async Task Configuration_error_30034_is_shown_as_operator_action()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        app.Twilio.Script(new Scripted(400, 30034));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();

        Assert.Equal(1, app.Twilio.Requests);
        var failed = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Failed, failed.Status);
        Assert.Equal(30034, failed.ErrorCode);
        Assert.Equal("Not delivered — sending number not registered (10DLC); the operator must register it", Recoverly.Owners.OwnerWords.Reason(failed.Reason, failed.Kind, failed.ErrorCode));
        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("needs operator action", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Opt_out_error_21610_on_send_records_an_opt_out_in_the_ledger(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        var optedOut = Codes(provider).OptedOut;
        app.SmsApi.Script(new Scripted(400, optedOut));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var failed = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Failed, failed.Status);
        Assert.Equal(optedOut, failed.ErrorCode);
        Assert.Equal("Not sent — the caller has opted out (replied STOP) with the carrier", Recoverly.Owners.OwnerWords.Reason(failed.Reason, failed.Kind, failed.ErrorCode));
        var consent = await app.QueryAsync(d => d.ConsentEvents.SingleAsync());
        Assert.Equal(Caller, consent.Phone);
        Assert.Equal(ConsentKind.OptOut, consent.Kind);
        Assert.Equal(ConsentSource.ProviderError, consent.Source);
        Assert.Contains(optedOut.ToString(System.Globalization.CultureInfo.InvariantCulture), consent.EvidenceRef);

        app.Time.Advance(TimeSpan.FromHours(13)); // a new episode
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.OptedOut], outcomes);
        Assert.Equal(1, app.SmsApi.Requests);
    }

    public static TheoryData<Db, Provider, bool> BothDatabasesBothProvidersAndWhetherTheProviderTookIt
    {
        get
        {
            var data = new TheoryData<Db, Provider, bool>();
            foreach (var db in new[] { Db.Sqlite, Db.Postgres })
            foreach (var provider in new[] { Provider.Twilio, Provider.Telnyx })
            foreach (var took in new[] { true, false })
                data.Add(db, provider, took);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BothDatabasesBothProvidersAndWhetherTheProviderTookIt))]
    public async Task Server_error_with_unknown_outcome_is_reconciled_before_any_resend(Db db, Provider provider, bool providerTookIt)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        app.SmsApi.Script(new Scripted(500, Codes(provider).ServerError, Record: providerTookIt));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var inDoubt = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.InDoubt, inDoubt.Status);
        Assert.Null(inDoubt.ProviderSid);
        Assert.Equal(providerTookIt ? 1 : 0, app.SmsApi.Sent.Count);

        app.Time.Advance(TimeSpan.FromSeconds(1));
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();

        var text = Assert.Single(app.SmsApi.SentTo(Caller));
        Assert.Equal(providerTookIt ? 1 : 2, app.SmsApi.Requests);
        var settled = await TextBackAsync(app);
        Assert.Equal(text.Sid, settled.ProviderSid);
        Assert.True(DeliveryStatus.Rank(settled.Status) >= 1, $"status {settled.Status}");
    }

    public static TheoryData<int, int> RefusalsUntilExpiry => new() { { 503, 20503 }, { 429, 20429 } };

    [Theory]
    [MemberData(nameof(RefusalsUntilExpiry))]
    public async Task A_text_back_not_sent_within_60_minutes_expires(int httpStatus, int code)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        app.Twilio.Script(Enumerable.Range(0, 1000).Select(_ => new Scripted(httpStatus, code)).ToArray());
        var calledAt = Now(app);

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        // A running dispatcher tries again each time the backoff (at most 30 s) is over.
        while (Now(app) < calledAt.AddMinutes(61))
        {
            var next = await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.TextBack)
                .Select(m => new { m.Status, m.NextAttemptAt }).SingleAsync());
            if (next.Status is not (OutboundStatus.Pending or OutboundStatus.InDoubt)) break;
            Assert.True(next.NextAttemptAt - Now(app) <= TimeSpan.FromSeconds(30), $"backoff {next.NextAttemptAt - Now(app)}");
            // Jump most of the way at once (the dispatcher would have failed the same way in between), then follow the backoff.
            var jump = calledAt.AddMinutes(55).AddSeconds(7);
            var target = Now(app) < jump ? jump : next.NextAttemptAt;
            app.Time.SetUtcNow(target > Now(app) ? target : Now(app));
            await app.DispatchAsync();
        }

        Assert.Empty(app.Twilio.Sent);
        var expired = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Expired, expired.Status);
        Assert.Contains("60 minutes", Recoverly.Owners.OwnerWords.Reason(expired.Reason, expired.Kind, expired.ErrorCode));
        Assert.Equal(CallOutcome.Texted, await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).SingleAsync()));

        var attempts = app.Twilio.Requests;
        app.Time.Advance(TimeSpan.FromHours(1));
        await app.DispatchAsync();
        Assert.Equal(attempts, app.Twilio.Requests);
    }

    [Theory]
    [BothDatabases]
    public async Task Status_callbacks_move_a_text_forward_only(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        const string Filtered = "+15125550143";
        const string Landline = "+15125550144";
        foreach (var n in new[] { Caller, Filtered, Landline }) await app.MissedCallAsync(n);
        await app.DispatchAsync();
        var sid = app.Twilio.SentTo(Caller).Single().Sid;

        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "sent"));
        Assert.Equal(OutboundStatus.Sent, (await TextBackAsync(app)).Status);
        app.Time.Advance(TimeSpan.FromSeconds(3));
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "delivered"));
        var delivered = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Delivered, delivered.Status);
        Assert.Equal(Now(app), delivered.DeliveredAt!.Value, TimeSpan.FromMilliseconds(1));

        // Late and replayed callbacks change nothing.
        app.Time.Advance(TimeSpan.FromSeconds(3));
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "sent"));
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "queued"));
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "delivered"));
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(sid, "undelivered", 30003));
        var still = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Delivered, still.Status);
        Assert.Equal(delivered.DeliveredAt, still.DeliveredAt);
        Assert.Null(still.ErrorCode);
        Assert.Equal(1, await app.QueryAsync(d => d.MessageStatusEvents.CountAsync(e => e.MessageSid == sid && e.Status == "delivered")));

        var filteredSid = app.Twilio.SentTo(Filtered).Single().Sid;
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(filteredSid, "undelivered", 30007));
        var filtered = await TextBackAsync(app, Filtered);
        Assert.Equal(OutboundStatus.Undelivered, filtered.Status);
        Assert.Equal(30007, filtered.ErrorCode);
        Assert.Equal("Not delivered — filtered by the carrier (message content)", Recoverly.Owners.OwnerWords.Reason(filtered.Reason, filtered.Kind, filtered.ErrorCode));

        var landlineSid = app.Twilio.SentTo(Landline).Single().Sid;
        await HttpAssert.OkXmlAsync(await app.MessageStatusAsync(landlineSid, "undelivered", 30006));
        Assert.Equal(OutboundStatus.Undelivered, (await TextBackAsync(app, Landline)).Status);
        app.Time.Advance(TimeSpan.FromHours(13)); // past the episode window
        await app.MissedCallAsync(Landline);
        await app.DispatchAsync();
        // 30006 is "landline or unreachable carrier": not proof of a landline, so the caller is texted again next episode.
        var outcomes = await app.QueryAsync(d => d.MissedCalls.Where(c => c.FromE164 == Landline).OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.Texted], outcomes);
        Assert.Equal(2, app.Twilio.SentTo(Landline).Count);
        Assert.Empty(await app.QueryAsync(d => d.LearnedLineTypes.ToListAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_status_callback_that_beats_the_send_bookkeeping_is_applied_when_the_send_finishes(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        // The provider takes the message, then holds its answer to us until the callback has come first.
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Twilio.Script(new Scripted(201, 0, Record: true, Until: answer.Task));
        await app.MissedCallAsync(Caller);

        var dispatch = app.DispatchAsync();
        await Eventually.TrueAsync(() => app.Twilio.Sent.Count == 1, "the provider took the text-back");
        var sid = Assert.Single(app.Twilio.Sent).Sid;
        var response = await app.MessageStatusAsync(sid, "delivered");
        Assert.False(dispatch.IsCompleted, "the send finished before the callback; the test proves nothing");
        await HttpAssert.OkXmlAsync(response); // an unknown SID still gets 200
        answer.SetResult();
        await dispatch;

        var text = await TextBackAsync(app);
        Assert.Equal(sid, text.ProviderSid);
        Assert.Equal(OutboundStatus.Delivered, text.Status);
    }

    [Fact]
    public async Task Per_sender_rate_limit_queues_a_burst()
    {
        await using var app = await PacedAppAsync(Db.Sqlite, callers: 5);

        await app.DispatchAsync();
        Assert.Single(app.Twilio.Sent);
        // One a turn: a second and the gate's margin (docs/product/sending.md, step 3).
        for (var turn = 1; turn < 5; turn++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(1));
            await app.DispatchAsync();
            Assert.Equal(turn, app.Twilio.Sent.Count);
            app.Time.Advance(Turn - TimeSpan.FromSeconds(1));
            await app.DispatchAsync();
            Assert.Equal(turn + 1, app.Twilio.Sent.Count);
        }
        app.Time.Advance(TimeSpan.FromSeconds(10));
        await app.DispatchAsync();

        Assert.Equal(5, app.Twilio.Requests); // queued, never refused
        Assert.Equal(5, app.Twilio.Sent.Select(t => t.To).Distinct().Count());
    }

    [Theory]
    [BothDatabases]
    public async Task A_text_whose_pacing_turn_lapsed_before_its_send_waits_for_the_numbers_next_turn(Db db)
    {
        await using var app = await PacedAppAsync(db, callers: 2);

        // Dispatcher A takes the number's turn for the first text, then stalls past the interval before sending it.
        var stalled = app.Services.GetRequiredService<Dispatcher>();
        var (_, ready) = await stalled.ClaimReadyAsync(10, CancellationToken.None);
        var late = Assert.Single(ready);
        Assert.Equal(CallerNumber(0), late.To);
        app.Time.Advance(TimeSpan.FromMilliseconds(1500));

        // Meanwhile dispatcher B finds the gate open and sends the second text.
        var other = ActivatorUtilities.CreateInstance<Dispatcher>(app.Services);
        await other.RunOnceAsync(CancellationToken.None);
        Assert.Equal([CallerNumber(1)], app.Twilio.Sent.Select(t => t.To));

        // A's request would now leave right next to B's: it must not go out, and goes back to the queue unsent.
        await stalled.ProcessAsync(late, CancellationToken.None);
        Assert.Equal(1, app.Twilio.Requests);
        var waiting = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.Id == late.Id));
        Assert.Equal(OutboundStatus.Pending, waiting.Status);
        Assert.Null(waiting.AttemptStartedAt); // nothing was attempted, so no reconciling at the provider later
        Assert.Null(waiting.LeaseOwner);
        Assert.Equal(Now(app) + Turn, waiting.NextAttemptAt);

        await app.DispatchAsync();
        Assert.Equal(1, app.Twilio.Requests); // still B's turn
        app.Time.Advance(Turn);
        await app.DispatchAsync();
        Assert.Equal([CallerNumber(1), CallerNumber(0)], app.Twilio.Sent.Select(t => t.To));
    }

    [Fact]
    public async Task Sends_waiting_on_the_provider_hold_no_database_connection_the_webhooks_need()
    {
        // Two connections in the pool and a short wait for one: two sends that kept theirs would starve the next webhook.
        // Paced, as in production: the pacing turn is confirmed on the connection right before each request leaves.
        await using var app = await TestApp.StartAsync(Db.Postgres, new Dictionary<string, string?>
        {
            [TestApp.ConnectionExtra] = "Maximum Pool Size=2;Timeout=15", ["Telephony:SendRatePerSecond"] = "1",
        });
        await app.AddBusinessAsync();
        await app.AddBusinessAsync("Bolt Electric", "+15125550200", "+15125550201");
        // A warm process: its pooled database contexts have each served sends before (where EF's own close fell short).
        for (var round = 0; round < 4; round++)
        {
            await app.MissedCallAsync(CallerNumber(10 + round));
            await app.MissedCallAsync(CallerNumber(20 + round), "+15125550200");
            await app.DispatchAsync();
            app.Time.Advance(TimeSpan.FromSeconds(2));
        }
        await app.MissedCallAsync(CallerNumber(0));
        await app.MissedCallAsync(CallerNumber(1), "+15125550200");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Twilio.Script(new Scripted(201, 0, Record: true, Until: release.Task), new Scripted(201, 0, Record: true, Until: release.Task));
        var dispatch = app.DispatchAsync();
        await Eventually.TrueAsync(() => app.Twilio.Requests == 10, "both text-backs' requests are waiting at the provider");

        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(CallerNumber(2)));
        Assert.Equal(11, await app.QueryAsync(d => d.MissedCalls.CountAsync())); // recorded, not answered with the apology

        release.SetResult();
        await dispatch;
        string[] held = [CallerNumber(0), CallerNumber(1)];
        Assert.Equal(2, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => held.Contains(m.To) && m.Status == OutboundStatus.Queued)));
    }

    [Theory]
    [BothDatabases]
    public async Task A_claim_takes_one_text_of_a_busy_paced_number_and_leaves_the_rest_in_their_place(Db db)
    {
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Telephony:SendRatePerSecond"] = "1" });
        await app.AddBusinessAsync();
        await app.AddBusinessAsync("Bolt Electric", "+15125550200", "+15125550201");
        for (var i = 0; i < 4; i++) await app.MissedCallAsync(CallerNumber(i));
        await app.MissedCallAsync(CallerNumber(9), "+15125550200");
        var queued = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().Where(m => m.Kind == OutboundKind.TextBack)
            .ToDictionaryAsync(m => m.Id, m => m.NextAttemptAt));

        // One text per number: the busy number's first caller and the other number's caller.
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();
        var (claimed, ready) = await dispatcher.ClaimReadyAsync(10, CancellationToken.None);
        Assert.Equal(2, claimed);
        Assert.Equal([CallerNumber(0), CallerNumber(9)], ready.Select(r => r.To).Order());
        Assert.True(ready.Single(r => r.To == CallerNumber(0)).MoreDue);
        Assert.False(ready.Single(r => r.To == CallerNumber(9)).MoreDue);
        foreach (var row in ready) await dispatcher.ProcessAsync(row, CancellationToken.None);
        // The busy number's gate reopens a turn after its request left: the dispatcher means to claim again right then.
        Assert.Equal(Now(app) + Turn, dispatcher.NextWake(Now(app)));

        // The rest were never claimed and given back: untouched, unleased, still due at their first time.
        var rest = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking()
            .Where(m => m.Kind == OutboundKind.TextBack && m.Status == OutboundStatus.Pending).ToListAsync());
        Assert.Equal(3, rest.Count);
        Assert.All(rest, m => Assert.Null(m.LeaseOwner));
        Assert.All(rest, m => Assert.Equal(queued[m.Id], m.NextAttemptAt));
        // While the gate is shut nothing more is claimed; a turn later, the numbers' next text goes, in the callers' order.
        Assert.Equal(0, (await dispatcher.ClaimReadyAsync(10, CancellationToken.None)).Claimed);
        app.Time.Advance(Turn);
        await app.DispatchAsync();
        Assert.Equal(CallerNumber(1), app.Twilio.Sent.Last().To);
        Assert.Equal(3, app.Twilio.Sent.Count);
    }

    [Theory]
    [BothDatabases]
    public async Task A_long_queue_on_one_number_holds_up_another_numbers_text_for_one_claim_at_most(Db db)
    {
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Telephony:SendRatePerSecond"] = "1" });
        await app.AddBusinessAsync();
        await app.AddBusinessAsync("Bolt Electric", "+15125550200", "+15125550201");
        const int limit = 2;
        for (var i = 0; i < limit * OutboxLeases.ScanPerRow; i++) await app.MissedCallAsync(CallerNumber(i));
        await app.MissedCallAsync(CallerNumber(90), "+15125550200");
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();

        // A claim looks at the oldest rows only, so with a backlog it costs what it costs without one (docs/product/sending.md,
        // "A backlog"); here they are all the busy number's, and it says it may have cut some off.
        var (claimed, ready) = await dispatcher.ClaimReadyAsync(limit, CancellationToken.None);
        Assert.Equal(1, claimed);
        Assert.Equal(CallerNumber(0), Assert.Single(ready).To);
        Assert.True(ready[0].MoreDue);
        await dispatcher.ProcessAsync(ready[0], CancellationToken.None);

        // The busy number's gate is shut now: the next claim passes over its queue and finds the other number's text.
        (claimed, ready) = await dispatcher.ClaimReadyAsync(limit, CancellationToken.None);
        Assert.Equal(CallerNumber(90), Assert.Single(ready).To);
        Assert.False(ready[0].MoreDue);
        await dispatcher.ProcessAsync(ready[0], CancellationToken.None);
        Assert.Equal([CallerNumber(0), CallerNumber(90)], app.Twilio.Sent.Select(s => s.To));

        // And the queue drains a turn apart, in the callers' order.
        for (var i = 1; i < limit * OutboxLeases.ScanPerRow; i++)
        {
            app.Time.Advance(Turn);
            await app.DispatchAsync();
            Assert.Equal(CallerNumber(i), app.Twilio.Sent.Last().To);
        }
        Assert.Equal(limit * OutboxLeases.ScanPerRow + 1, app.Twilio.Sent.Count);
    }

    [Theory]
    [BothDatabases]
    public async Task Rows_given_back_together_keep_their_place_or_take_their_new_time(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(CallerNumber(0));
        await app.MissedCallAsync(CallerNumber(1));
        var queued = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().Where(m => m.Kind == OutboundKind.TextBack)
            .OrderBy(m => m.Id).ToListAsync());
        var leases = new OutboxLeases("test-worker");
        var later = Now(app).AddSeconds(7);

        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<Recoverly.Data.RecoverlyDb>();
            Assert.Equal(2, (await leases.ClaimAsync(db, 10, 4, Now(app), TimeSpan.FromSeconds(30), [], CancellationToken.None)).Count);
            await leases.ReleaseManyAsync(db, [(queued[0].Id, null), (queued[1].Id, later)], CancellationToken.None);
            return 0;
        });

        var back = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().Where(m => m.Kind == OutboundKind.TextBack).OrderBy(m => m.Id).ToListAsync());
        Assert.All(back, m => Assert.Null(m.LeaseOwner));
        Assert.Equal(queued[0].NextAttemptAt, back[0].NextAttemptAt);
        Assert.Equal(later, back[1].NextAttemptAt);
    }

    [Fact]
    public async Task Outcomes_written_together_each_land_on_their_own_row_and_never_on_a_row_taken_meanwhile()
    {
        await using var app = await TestApp.StartAsync(Db.Postgres);
        await app.AddBusinessAsync();
        for (var i = 0; i < 4; i++) await app.MissedCallAsync(CallerNumber(i));
        var ids = await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.TextBack).OrderBy(m => m.Id).Select(m => m.Id).ToListAsync());
        var leases = new OutboxLeases("test-worker");
        var now = Now(app);
        await app.WithScopeAsync(async sp =>
        {
            var rdb = sp.GetRequiredService<Recoverly.Data.RecoverlyDb>();
            await leases.ClaimAsync(rdb, 10, 4, now, TimeSpan.FromSeconds(30), [], CancellationToken.None);
            return await leases.FenceAsync(rdb, ids, now, TimeSpan.FromSeconds(30), CancellationToken.None);
        });
        // The third row's lease ran out and another dispatcher took it; the delivery report for the second came first.
        await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Id == ids[2]).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseOwner, "other-worker")));
        await app.QueryAsync(async d =>
        {
            d.MessageStatusEvents.Add(new MessageStatusEvent { MessageSid = "SM-second", Status = "delivered", ReceivedAt = now });
            return await d.SaveChangesAsync();
        });

        var retryAt = now.AddSeconds(30);
        AfterSend Accepted(string sid) => new(OutboundStatus.Queued, 1, null, sid, "queued", null, OutboxReason.None, now, null);
        var written = await app.WithScopeAsync(sp => SendCompletion.ApplyManyAsync(sp.GetRequiredService<Recoverly.Data.RecoverlyDb>(), leases,
            [(ids[0], Accepted("SM-first")), (ids[1], Accepted("SM-second")), (ids[2], Accepted("SM-third")),
             (ids[3], new AfterSend(OutboundStatus.Pending, 1, retryAt, null, null, 20429, OutboxReason.ProviderError, null, null))],
            now, CancellationToken.None));

        Assert.Equal([ids[0], ids[1], ids[3]], written.Order());
        var rows = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().Where(m => ids.Contains(m.Id)).OrderBy(m => m.Id).ToListAsync());
        Assert.Equal((OutboundStatus.Queued, "SM-first", (string?)null), (rows[0].Status, rows[0].ProviderSid, rows[0].LeaseOwner));
        Assert.Equal((OutboundStatus.Delivered, "SM-second"), (rows[1].Status, rows[1].ProviderSid));
        // Not ours any more: left exactly as the other dispatcher has it.
        Assert.Equal((OutboundStatus.Sending, (string?)null, "other-worker"), (rows[2].Status, rows[2].ProviderSid, rows[2].LeaseOwner));
        Assert.Equal((OutboundStatus.Pending, retryAt, 20429, (string?)null), (rows[3].Status, rows[3].NextAttemptAt, rows[3].ErrorCode, rows[3].ProviderSid));
    }

    [Fact]
    public async Task Sends_that_finish_while_an_outcome_is_being_written_are_written_together()
    {
        const int Texts = SendFinisher.MaxWriters * 3;
        await using var app = await TestApp.StartAsync(Db.Postgres,
            new Dictionary<string, string?> { ["Dispatch:ConcurrencyPerSender"] = Texts.ToString(CultureInfo.InvariantCulture) });
        await app.AddBusinessAsync();
        for (var i = 0; i < Texts; i++) await app.MissedCallAsync(CallerNumber(i));
        // The provider holds every answer until all the texts have reached it.
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < Texts; i++) app.Twilio.Script(new Scripted(201, 0, Record: true, Until: answer.Task));
        var finisher = app.Services.GetRequiredService<Dispatcher>().Finisher;

        var dispatch = app.DispatchAsync();
        await Eventually.TrueAsync(() => app.Twilio.Sent.Count == Texts, "every text reached the provider");
        // Delivery reports for all of them are being stored (they hold the messages' locks) while the answers come back,
        // so the first writes wait and the other outcomes queue up behind them.
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<Recoverly.Data.RecoverlyDb>();
            await using (var tx = await db.BeginWriteAsync(CancellationToken.None))
            {
                foreach (var sent in app.Twilio.Sent) await Recoverly.Data.KeyLock.LockAsync(db, sent.Sid, CancellationToken.None);
                answer.SetResult();
                await Eventually.TrueAsync(() => finisher.Unwritten == Texts, "every outcome waits to be written");
                await tx.CommitAsync(CancellationToken.None);
            }
            return 0;
        });
        await dispatch;

        Assert.Equal(Texts, finisher.Written.Outcomes);
        // The writes that waited, then one for everything that queued behind them.
        Assert.True(finisher.Written.Groups <= SendFinisher.MaxWriters + 1, $"{finisher.Written.Groups} writes for {Texts} outcomes");
        var texts = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().Where(m => m.Kind == OutboundKind.TextBack).ToListAsync());
        Assert.All(texts, t => Assert.Equal(OutboundStatus.Queued, t.Status));
        Assert.Equal(app.Twilio.Sent.Select(s => s.Sid).Order(), texts.Select(t => t.ProviderSid).Order());
    }

    [Theory]
    [BothDatabases]
    public async Task A_slow_turn_confirmation_counts_the_numbers_next_turn_from_when_the_request_really_left(Db db)
    {
        await using var app = await PacedAppAsync(db, callers: 1);
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();
        var (_, ready) = await dispatcher.ClaimReadyAsync(10, CancellationToken.None);
        var before = Now(app);

        // The pass took 200 ms, more than the turn's 100 ms margin covers, so the turn is confirmed before the request leaves; and
        // every clock read is 150 ms after the last, so the confirming statement "takes" 150 ms (a busy database, a wait for
        // SQLite's writer). Stamped with the moment before it, the next turn would open too early.
        app.Time.Advance(TimeSpan.FromMilliseconds(200));
        app.Time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(150);
        await dispatcher.ProcessAsync(Assert.Single(ready), CancellationToken.None);
        app.Time.AutoAdvanceAmount = TimeSpan.Zero;

        var sent = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.Kind == OutboundKind.TextBack));
        var slot = await app.QueryAsync(d => d.SenderSlots.AsNoTracking().SingleAsync(s => s.Sender == "+15125550100"));
        // Stamped again after each slow statement (three tries), not left at the first stamp; then moved to when it left.
        Assert.True(sent.SentAt >= before.AddMilliseconds(200 + 3 * 2 * 150), $"sent {sent.SentAt:O}, claimed {before:O}");
        Assert.Equal(sent.SentAt!.Value.AddSeconds(1).Ticks, slot.NextSlotTicks);
    }

    [Theory]
    [BothDatabases]
    public async Task A_request_that_leaves_later_than_its_turn_covers_moves_the_numbers_next_turn(Db db)
    {
        await using var app = await PacedAppAsync(db, callers: 2);
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();
        var (_, ready) = await dispatcher.ClaimReadyAsync(10, CancellationToken.None);
        var before = Now(app);

        // The pass took 90 ms, within the turn's 100 ms margin, so the turn is not confirmed again; but every clock read is 60 ms
        // after the last, so the request leaves later than the turn covers (the process was busy in between). Counted from the
        // gate's opening, the number's next turn would open early.
        app.Time.Advance(TimeSpan.FromMilliseconds(90));
        app.Time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(60);
        await dispatcher.ProcessAsync(Assert.Single(ready), CancellationToken.None);
        app.Time.AutoAdvanceAmount = TimeSpan.Zero;

        var first = Assert.Single(app.Twilio.Sent);
        var slot = await app.QueryAsync(d => d.SenderSlots.AsNoTracking().SingleAsync(s => s.Sender == "+15125550100"));
        var sent = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.To == CallerNumber(0)));
        Assert.True(sent.SentAt > before + SendPacer.Margin(TimeSpan.FromSeconds(1)), $"sent {sent.SentAt:O}, claimed {before:O}");
        Assert.Equal(sent.SentAt!.Value.AddSeconds(1).Ticks, slot.NextSlotTicks);

        // The second text goes the moment the gate opens: at the provider, an interval after the first request (less the
        // stand-in's own 60 ms clock step when it received the first).
        app.Time.Advance(new DateTime(slot.NextSlotTicks, DateTimeKind.Utc) - Now(app));
        await app.DispatchAsync();
        Assert.Equal([CallerNumber(0), CallerNumber(1)], app.Twilio.Sent.Select(t => t.To));
        var gap = app.Twilio.Sent[1].At - first.At;
        Assert.True(gap >= TimeSpan.FromMilliseconds(940), $"second request {gap.TotalMilliseconds} ms after the first");
    }

    [Theory]
    [BothDatabases]
    public async Task A_pass_that_fails_after_its_claim_gives_the_rows_back_rather_than_holding_them(Db db)
    {
        await using var app = await PacedAppAsync(db, callers: 1);
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();

        // The database fails after the claim, at the fence (here: the consent ledger the fence reads is briefly missing).
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "ConsentEvents" RENAME TO "ConsentEventsAway" """));
        await Assert.ThrowsAnyAsync<Exception>(() => dispatcher.ClaimReadyAsync(10, CancellationToken.None));
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "ConsentEventsAway" RENAME TO "ConsentEvents" """));

        // The running service renews the leases of the rows it holds every few seconds; a row from a failed pass must not be one
        // of them, or its lease never runs out and its text is never sent.
        Assert.Equal(0, dispatcher.Held);
        await dispatcher.RenewLeasesAsync(CancellationToken.None);
        var row = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.To == CallerNumber(0)));
        Assert.Null(row.LeaseOwner);

        // The failed pass used the number's pacing turn; at its next turn, the text goes.
        app.Time.Advance(Turn);
        await app.DispatchAsync();
        Assert.Equal([CallerNumber(0)], app.Twilio.Sent.Select(t => t.To));
    }

    [Fact]
    public async Task Renewing_leases_on_PostgreSQL_passes_over_a_row_being_written_and_takes_it_next_time()
    {
        await using var app = await TestApp.StartAsync(Db.Postgres);
        await app.AddBusinessAsync("Acme Plumbing", "+15125550100", "+15125550101");
        await app.AddBusinessAsync("Best Cleaning", "+15125550200", "+15125550201");
        await app.MissedCallAsync(CallerNumber(0), to: "+15125550100");
        await app.MissedCallAsync(CallerNumber(1), to: "+15125550200");
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();
        var (claimed, ready) = await dispatcher.ClaimReadyAsync(10, CancellationToken.None);
        Assert.Equal(2, claimed);
        var leased = await LeasesAsync(app);

        // Another statement is writing the first caller's row (as a group of outcomes does) and holds its lock.
        await using var holder = new NpgsqlConnection(app.ConnectionString);
        await holder.OpenAsync();
        await using (var hold = await holder.BeginTransactionAsync())
        {
            await using (var rowLock = new NpgsqlCommand(
                             $"""SELECT 1 FROM "OutboundMessages" WHERE "To" = '{CallerNumber(0)}' FOR UPDATE""", holder, hold))
                await rowLock.ExecuteNonQueryAsync();

            // The renewal does not wait for it (waiting could deadlock with that group): it renews the other row and returns.
            app.Time.Advance(TimeSpan.FromSeconds(10));
            await dispatcher.RenewLeasesAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            var renewed = await LeasesAsync(app);
            Assert.Equal(leased[CallerNumber(0)], renewed[CallerNumber(0)]);
            Assert.Equal(Now(app).AddSeconds(30), renewed[CallerNumber(1)]);
            await hold.RollbackAsync();
        }

        // The next renewal takes the row it passed over.
        app.Time.Advance(TimeSpan.FromSeconds(10));
        await dispatcher.RenewLeasesAsync(CancellationToken.None);
        Assert.All((await LeasesAsync(app)).Values, until => Assert.Equal(Now(app).AddSeconds(30), until));
        Assert.Equal(2, dispatcher.Held);
        await Task.WhenAll(ready.Select(row => dispatcher.ProcessAsync(row, CancellationToken.None)));
        Assert.Equal(2, app.Twilio.Sent.Count);
    }

    private static async Task<Dictionary<string, DateTime?>> LeasesAsync(TestApp app) =>
        await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().ToDictionaryAsync(m => m.To, m => m.LeaseUntil));

    [Theory]
    [BothDatabases]
    public async Task A_numbers_next_text_goes_the_moment_its_gate_opens_not_an_interval_later(Db db)
    {
        await using var app = await PacedAppAsync(db, callers: 2);
        var start = Now(app);

        // The first text's request leaves 300 ms after its claim, past what the turn covers, so its turn is confirmed then and
        // the number's next turn is at 1.4 s (a turn of 1.1 s after it), not 1.1 s.
        var dispatcher = app.Services.GetRequiredService<Dispatcher>();
        var (_, ready) = await dispatcher.ClaimReadyAsync(10, CancellationToken.None);
        app.Time.Advance(TimeSpan.FromMilliseconds(300));
        await dispatcher.ProcessAsync(Assert.Single(ready), CancellationToken.None);

        // At 1.1 s the gate is still shut: the second text stays in its place, not pushed back a turn; it goes at 1.4 s.
        app.Time.Advance(TimeSpan.FromMilliseconds(800));
        await app.DispatchAsync();
        Assert.Single(app.Twilio.Sent);
        var waiting = await app.QueryAsync(d => d.OutboundMessages.AsNoTracking().SingleAsync(m => m.To == CallerNumber(1)));
        Assert.True(waiting.NextAttemptAt <= start.AddMilliseconds(1400), $"next attempt {waiting.NextAttemptAt:O}");
        Assert.Null(waiting.LeaseOwner);

        app.Time.Advance(TimeSpan.FromMilliseconds(300));
        await app.DispatchAsync();
        Assert.Equal([CallerNumber(0), CallerNumber(1)], app.Twilio.Sent.Select(t => t.To));
    }

    [Theory]
    [BothDatabases]
    public async Task Two_dispatchers_never_send_the_same_text(Db db)
    {
        const int BatchSize = 10, Calls = 150;
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Dispatch:BatchSize"] = $"{BatchSize}" });
        var business = await app.AddBusinessAsync();
        // 150 text-backs waiting in the outbox, as 150 missed calls from different callers leave them.
        await app.QueryAsync(d =>
        {
            var now = Now(app);
            d.OutboundMessages.AddRange(Enumerable.Range(0, Calls).Select(i => new OutboundMessage
            {
                BusinessId = business.Id, Kind = OutboundKind.TextBack, To = CallerNumber(i), From = Number,
                Body = "Hi, this is Acme Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.",
                DedupeKey = $"textback:test:{i}", CreatedAt = now, NextAttemptAt = now, ExpiresAt = now.AddMinutes(60),
            }));
            return d.SaveChangesAsync();
        });

        var first = app.Services.GetRequiredService<Dispatcher>();
        var second = ActivatorUtilities.CreateInstance<Dispatcher>(app.Services);
        Assert.NotEqual(first.WorkerId, second.WorkerId);
        // The first send is held until more than a batch has gone out: whichever dispatcher sent it holds a claimed
        // batch meanwhile, so the other one has certainly claimed rows too, while the rest of the outbox is still contended.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Twilio.Script(new Scripted(201, 0, Record: true, Until: release.Task));
        var releaser = Task.Run(async () =>
        {
            try
            {
                await Eventually.TrueAsync(() => app.Twilio.Requests > BatchSize, "the other dispatcher sent while the first held its batch");
            }
            finally
            {
                release.TrySetResult();
            }
        });
        var claimed = await Task.WhenAll(RunUntilAllRequestedAsync(first), RunUntilAllRequestedAsync(second));
        await releaser;
        await app.DispatchAsync();

        Assert.Equal(Calls, app.Twilio.Requests);
        Assert.Equal(Calls, app.Twilio.Sent.Count);
        for (var i = 0; i < Calls; i++) Assert.Single(app.Twilio.SentTo(CallerNumber(i)));
        Assert.True(claimed[0] > 0 && claimed[1] > 0, $"both dispatchers should have worked: {claimed[0]}/{claimed[1]}");
        var statuses = await app.QueryAsync(d => d.OutboundMessages.Select(m => m.Status).ToListAsync());
        Assert.Equal(Calls, statuses.Count(s => s == OutboundStatus.Queued));
        Assert.Equal(Calls, await app.QueryAsync(d => d.OutboundMessages.Select(m => m.ProviderSid).Distinct().CountAsync()));

        // Two claims at the same moment see the same due rows, and the later one skips every row the earlier one has locked
        // (SKIP LOCKED): it comes back empty although the outbox is not. So an empty claim does not end a dispatcher's run here;
        // every text reaching the provider does (the held one counts when it arrives).
        async Task<int> RunUntilAllRequestedAsync(Dispatcher dispatcher)
        {
            var total = 0;
            for (var rounds = 0; app.Twilio.Requests < Calls; rounds++)
            {
                Assert.True(rounds < 100_000, $"{app.Twilio.Requests} of {Calls} texts reached the provider");
                total += await dispatcher.RunOnceAsync(CancellationToken.None);
            }
            return total;
        }
    }

    [Fact]
    public async Task A_stop_that_arrives_after_claim_but_before_send_wins()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        Assert.Equal(OutboundStatus.Pending, (await TextBackAsync(app)).Status);

        // The opt-out lands in the ledger without the pending-text cancellation (as if it raced the claim).
        await app.QueryAsync(async d =>
        {
            ConsentLedger.Append(d, business.Id, Caller, ConsentKind.OptOut, ConsentEvidence.FromMessage(TestApp.NewSid("SM"), "STOP"), Now(app));
            return await d.SaveChangesAsync();
        });
        await app.DispatchAsync();

        Assert.Equal(0, app.Twilio.Requests);
        var cancelled = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Cancelled, cancelled.Status);
        Assert.Equal("Cancelled — the caller opted out", Recoverly.Owners.OwnerWords.Reason(cancelled.Reason, cancelled.Kind, cancelled.ErrorCode));
        Assert.Null(cancelled.ProviderSid);
    }

    [Theory]
    [BothDatabases]
    public async Task A_signalled_dispatcher_gathers_the_calls_coming_in_for_its_window_then_texts_them_all(Db db)
    {
        const int window = 40;
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?>
        {
            ["Recoverly:Roles"] = "web,dispatcher",
            ["Dispatch:GatherMilliseconds"] = window.ToString(CultureInfo.InvariantCulture),
            // Only a webhook's signal wakes this dispatcher, so no poll claims behind the window's back.
            ["Dispatch:PollMilliseconds"] = "3600000",
        });
        await app.AddBusinessAsync();
        // Once the first pass is over, only a signal makes this dispatcher claim; and the clock stands still unless the test moves it.
        await Eventually.TrueAsync(() => app.Logs.Lines.Any(l => l.Contains("its first pass claimed", StringComparison.Ordinal)), "the dispatcher has started");

        var calledAt = Now(app);
        for (var i = 1; i <= 3; i++) Assert.Equal(System.Net.HttpStatusCode.OK, (await app.MissedCallAsync(CallerNumber(i))).StatusCode);
        await Eventually.TrueAsync(() =>
        {
            app.Time.Advance(TimeSpan.FromMilliseconds(5));
            return TextBacks(app).Count == 3;
        }, "the three text-backs are sent");

        var gathered = TextBacks(app);
        Assert.Equal([CallerNumber(1), CallerNumber(2), CallerNumber(3)], gathered.Select(t => t.To).Order());
        // None left before the window had passed by the clock; all three did once it had.
        Assert.All(gathered, t => Assert.True(t.At >= calledAt.AddMilliseconds(window), $"sent {(t.At - calledAt).TotalMilliseconds} ms after the calls"));

        static List<SentText> TextBacks(TestApp app) => app.Twilio.Sent.Where(t => Enumerable.Range(1, 3).Select(CallerNumber).Contains(t.To)).ToList();
    }
}
