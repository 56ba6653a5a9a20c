using Microsoft.EntityFrameworkCore;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Dispatch;

/// <summary>
/// SPEC 3.1: nothing lost or duplicated when the app process is killed (kill -9) mid-dispatch and
/// started again. The app runs as its own process against a Twilio sink on real HTTP; a short lease
/// lets the restarted dispatcher take over the dead one's claims within seconds.
/// </summary>
[Collection(AppProcessCollection.Name)]
public class CrashRecoveryTests
{
    private const string Caller = "+15125550142";
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    /// <summary>Long enough for a stray second send to show up after the first one settled (lease 2 s + poll).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    private static readonly Dictionary<string, string?> ShortLease = new() { ["Dispatch__LeaseSeconds"] = "2" };

    [Theory]
    [BothDatabases]
    public async Task Killed_after_the_provider_took_the_text_the_restarted_app_finds_it_and_does_not_resend(Db db)
    {
        await KilledAfterTheProviderTookTheTextAsync(db, ShortLease);
    }

    [Fact]
    public async Task Killed_after_the_provider_took_the_text_on_a_server_west_of_utc_the_restarted_app_still_finds_it()
    {
        // The provider's date_created must be compared in UTC whatever the server's own time zone is.
        await KilledAfterTheProviderTookTheTextAsync(Db.Sqlite, new Dictionary<string, string?>(ShortLease) { ["TZ"] = "America/Chicago" });
    }

    private static async Task KilledAfterTheProviderTookTheTextAsync(Db db, Dictionary<string, string?> settings)
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await StartWithBusinessAsync(db, sink, settings);
        sink.Api.Script(new Scripted(200, 0, Record: true, Delay: Hang)); // the provider has the text; its answer never arrives

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await AppProcess.WaitUntilAsync(() => sink.Api.SentTo(Caller).Count == 1, "the provider recorded the text-back");
        app.KillHard();
        await app.StartServerAsync();
        var row = await WaitUntilSettledAsync(app);

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
        sink.Api.Script(new Scripted(200, 0, Record: false, Delay: Hang)); // the request is in flight; nothing was created

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await AppProcess.WaitUntilAsync(() => sink.Api.Requests == 1, "the send request reached the provider");
        app.KillHard();
        await app.StartServerAsync();
        var row = await WaitUntilSettledAsync(app);

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
        sink.ScriptEachSend((n, _) => new Scripted(200, 0, Record: n % 2 == 0, Delay: Hang));

        var responses = await Task.WhenAll(callers.Select(c => app.MissedCallAsync(c)));
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        // Sends are claimed in batches and a batch waits for its slowest send, so more may not come before the timeout.
        await AppProcess.WaitUntilAsync(() => sink.Api.Requests >= 1, "sends were in flight");
        app.KillHard();
        sink.StopScripting();
        await app.StartServerAsync();
        await AppProcess.WaitUntilAsync(
            async () => await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.TextBack && m.ProviderSid != null)) == 50,
            "all fifty text-backs were settled", TimeSpan.FromSeconds(60));
        await Task.Delay(Settle);

        var rows = await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.TextBack).ToListAsync());
        Assert.Equal(50, rows.Count);
        Assert.All(callers, c => Assert.Single(sink.Api.SentTo(c)));
        Assert.Equal(sink.Api.Sent.Select(s => s.Sid).Order(), rows.Select(r => r.ProviderSid).Order());
        Assert.Equal(50, await app.QueryAsync(d => d.MissedCalls.CountAsync(c => c.Outcome == Recoverly.Calls.CallOutcome.Texted)));
    }

    private static async Task<AppProcess> StartWithBusinessAsync(Db db, TwilioSink sink, Dictionary<string, string?>? settings = null)
    {
        var app = await AppProcess.CreateAsync(db, sink, settings ?? ShortLease);
        await app.AddBusinessAsync();
        await app.StartServerAsync();
        return app;
    }

    /// <summary>Waits until the caller's text-back has a provider SID, then a little longer for any duplicate to surface.</summary>
    private static async Task<OutboundMessage> WaitUntilSettledAsync(AppProcess app)
    {
        await AppProcess.WaitUntilAsync(
            () => app.QueryAsync(d => d.OutboundMessages.AnyAsync(m => m.To == Caller && m.Kind == OutboundKind.TextBack && m.ProviderSid != null)),
            "the restarted app settled the text-back");
        await Task.Delay(Settle);
        return await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
    }
}
