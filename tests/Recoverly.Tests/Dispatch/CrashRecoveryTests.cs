using Microsoft.EntityFrameworkCore;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Dispatch;

/// <summary>
/// Nothing lost or duplicated when the app process is killed (kill -9) mid-dispatch and
/// started again. The app runs as its own process against a Twilio sink on real HTTP that holds the
/// sends until the kill; a short lease lets the restarted dispatcher take over the dead one's claims
/// within seconds.
/// </summary>
[Collection(AppProcessCollection.Name)]
public class CrashRecoveryTests
{
    private const string Caller = "+15125550142";

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Dispatch__LeaseSeconds"] = "2",
        // A send the provider holds stays in flight until the kill, however slow the machine is.
        ["Dispatch__SendTimeoutSeconds"] = "3600",
    };

    [Theory]
    [BothDatabases]
    public async Task Killed_after_the_provider_took_the_text_the_restarted_app_finds_it_and_does_not_resend(Db db)
    {
        await KilledAfterTheProviderTookTheTextAsync(db, Settings);
    }

    [Fact]
    public async Task Killed_after_the_provider_took_the_text_on_a_server_west_of_utc_the_restarted_app_still_finds_it()
    {
        // The provider's date_created must be compared in UTC whatever the server's own time zone is.
        await KilledAfterTheProviderTookTheTextAsync(Db.Sqlite, new Dictionary<string, string?>(Settings) { ["TZ"] = "America/Chicago" });
    }

    private static async Task KilledAfterTheProviderTookTheTextAsync(Db db, Dictionary<string, string?> settings)
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await StartWithBusinessAsync(db, sink, settings);
        sink.Api.Script(new Scripted(200, 0, Record: true, Until: Scripted.Never)); // the provider has the text; its answer never arrives

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 1, "the provider recorded the text-back");
        Assert.Equal(1, await AssertSendsInFlightAsync(app, sink));
        app.KillHard();
        await app.StartServerAsync();
        var row = Assert.Single(await WaitUntilSettledAsync(app, 1));

        var sent = Assert.Single(sink.Api.SentTo(Caller));
        Assert.Equal(sent.Sid, row.ProviderSid);
        Assert.Equal(OutboundStatus.Sent, row.Status); // what the provider's list said about it
        Assert.Null(row.AttemptStartedAt);
        Assert.True(sink.Lists >= 1, "the restarted app should have listed the provider's messages before deciding");
        Assert.Equal(1, sink.Api.Requests);
    }

    [Theory]
    [BothDatabases]
    public async Task Killed_before_the_provider_took_the_text_the_restarted_app_sends_it_once(Db db)
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await StartWithBusinessAsync(db, sink);
        sink.Api.Script(new Scripted(200, 0, Record: false, Until: Scripted.Never)); // the request is in flight; nothing was created

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => sink.Api.InFlight == 1, "the send request reached the provider");
        Assert.Equal(1, await AssertSendsInFlightAsync(app, sink));
        Assert.Empty(sink.Api.Sent);
        app.KillHard();
        await app.StartServerAsync();
        var row = Assert.Single(await WaitUntilSettledAsync(app, 1));

        var sent = Assert.Single(sink.Api.SentTo(Caller));
        Assert.Equal(sent.Sid, row.ProviderSid);
        Assert.Equal(OutboundStatus.Queued, row.Status);
        Assert.True(sink.Lists >= 1, "the restarted app should have looked at the provider before resending");
        Assert.Equal(2, sink.Api.Requests);
    }

    [Theory]
    [BothDatabases]
    public async Task Killed_during_a_burst_of_fifty_calls_every_caller_gets_exactly_one_text(Db db)
    {
        var callers = Enumerable.Range(0, 50).Select(i => $"+1512555{1000 + i}").ToList();
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await StartWithBusinessAsync(db, sink);
        // Every send hangs; every other one reached the provider before the crash.
        sink.ScriptEachSend((n, _) => new Scripted(200, 0, Record: n % 2 == 0, Until: Scripted.Never));

        var responses = await Task.WhenAll(callers.Select(c => app.MissedCallAsync(c)));
        Assert.Equal(50, responses.Count(r => r.IsSuccessStatusCode));
        // Sends are claimed in batches and a batch waits for its slowest send, so the first batch is all that goes out before the kill.
        await Eventually.TrueAsync(() => sink.Api.Sent.Count >= 1, "a send reached the provider and was recorded");
        await AssertSendsInFlightAsync(app, sink);
        app.KillHard();
        sink.StopScripting();
        await app.StartServerAsync();
        var rows = await WaitUntilSettledAsync(app, 50);

        Assert.Equal(50, rows.Count);
        Assert.All(callers, c => Assert.Single(sink.Api.SentTo(c)));
        Assert.Equal(sink.Api.Sent.Select(s => s.Sid).Order(), rows.Select(r => r.ProviderSid).Order());
        Assert.Equal(50, await app.QueryAsync(d => d.MissedCalls.CountAsync(c => c.Outcome == Recoverly.Calls.CallOutcome.Texted)));
    }

    private static async Task<AppProcess> StartWithBusinessAsync(Db db, TwilioSink sink, Dictionary<string, string?>? settings = null)
    {
        var app = await AppProcess.CreateAsync(db, sink, settings ?? Settings);
        await app.AddBusinessAsync();
        await app.StartServerAsync();
        return app;
    }

    /// <summary>
    /// The premise of a crash test, checked right before the kill: the provider holds send requests it has not
    /// answered, and their outbox rows are still claimed by the dispatcher that is about to die. Returns how many.
    /// </summary>
    private static async Task<int> AssertSendsInFlightAsync(AppProcess app, TwilioSink sink)
    {
        var unanswered = sink.Api.InFlight;
        var claimed = await app.QueryAsync(d => d.OutboundMessages.CountAsync(m =>
            m.Kind == OutboundKind.TextBack && m.LeaseOwner != null && m.AttemptStartedAt != null && m.ProviderSid == null));
        Assert.True(unanswered >= 1, "no send was in flight at the kill: the test would prove nothing");
        Assert.True(claimed >= unanswered, $"{unanswered} sends in flight but only {claimed} claimed rows at the kill");
        return unanswered;
    }

    /// <summary>
    /// Waits until every text-back has its provider SID and nothing is left a dispatcher could send again (no row
    /// pending, in doubt or claimed): from then on a duplicate cannot appear, so no extra waiting is needed.
    /// </summary>
    private static async Task<List<OutboundMessage>> WaitUntilSettledAsync(AppProcess app, int expected) =>
        await Eventually.MatchAsync(
            () => app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.TextBack).OrderBy(m => m.Id).ToListAsync()),
            rows => rows.Count == expected && rows.All(m => m.ProviderSid != null && m.LeaseOwner == null
                && m.Status is not (OutboundStatus.Pending or OutboundStatus.InDoubt)),
            $"the restarted app settled all {expected} text-backs", context: app.ConsoleTail);
}
