using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

/// <summary>
/// The owner's overnight option (docs/product/overnight-hold.md): a call missed between 9 pm and 8 am in the caller's
/// time gets its text-back at 8 am; off by default; a STOP or the owner answering first means nothing goes.
/// </summary>
public class OvernightHoldTests
{
    private const string Caller = "+15125550142"; // Austin: America/Chicago, like the business
    private const string NewYorkCaller = "+12125550143"; // America/New_York
    private const string Number = "+15125550100";
    private const string Settings = "/app/settings";

    /// <summary>The test clock starts 2026-11-27 15:00 UTC; moves it to <paramref name="utc"/>.</summary>
    private static void SetClock(TestApp app, DateTime utc) => app.Time.Advance(utc - app.Time.GetUtcNow().UtcDateTime);

    /// <summary>Chicago in late November is UTC-6.</summary>
    private static DateTime Chicago(int day, int hour, int minute = 0) => new DateTime(2026, 11, day, hour, minute, 0, DateTimeKind.Utc).AddHours(6);

    private static async Task<OwnerClient> OwnerWithHoldAsync(TestApp app)
    {
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        var saved = await owner.PostAsync($"{Settings}?handler=Overnight", new() { ["on"] = "true" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Contains("get their text-back at 8 am", await owner.TextAsync(saved.Headers.Location!.OriginalString));
        Assert.True(await app.QueryAsync(d => d.Businesses.Select(b => b.HoldTextBacksOvernight).SingleAsync()));
        return owner;
    }

    private static Task<OutboundMessage> TextBackAsync(TestApp app, string to) =>
        app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack && m.To == to));

    private static Task<long> ContactIdAsync(TestApp app, string phone) => app.QueryAsync(d => d.Contacts.Where(c => c.Phone == phone).Select(c => c.Id).SingleAsync());

    [Theory]
    [BothDatabases]
    public async Task A_call_missed_at_11_pm_is_texted_back_at_8_am_and_not_before(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        SetClock(app, Chicago(27, 23));
        using var owner = await OwnerWithHoldAsync(app);

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));
        await app.DispatchAsync();

        Assert.Contains("text you in the morning", twiml);
        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Contains("Text-back planned for 8:00 am", await owner.TextAsync("/app"));
        Assert.Contains("Text-back planned for 8:00 am", await owner.TextAsync($"/app/contacts/{await ContactIdAsync(app, Caller)}"));

        SetClock(app, Chicago(28, 7, 59));
        await app.DispatchAsync();
        Assert.Empty(app.Twilio.SentTo(Caller));

        SetClock(app, Chicago(28, 8));
        await app.DispatchAsync();
        var sent = Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Equal(Chicago(28, 8), sent.At);
        Assert.Equal(OutboundStatus.Queued, (await TextBackAsync(app, Caller)).Status);
    }

    [Theory]
    [BothDatabases]
    public async Task The_callers_own_time_zone_decides_not_the_business_one(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        SetClock(app, Chicago(27, 20, 30)); // 8:30 pm at the business and in Austin, 9:30 pm in New York
        using var owner = await OwnerWithHoldAsync(app);

        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(NewYorkCaller, Number));
        await app.DispatchAsync();

        Assert.Single(app.Twilio.SentTo(Caller)); // still evening for this caller: at once
        Assert.Empty(app.Twilio.SentTo(NewYorkCaller));
        var held = await TextBackAsync(app, NewYorkCaller);
        Assert.Equal(new DateTime(2026, 11, 28, 13, 0, 0, DateTimeKind.Utc), held.NextAttemptAt); // 8 am in New York
        Assert.Contains("Text-back planned for 7:00 am (8:00 am their time)", await owner.TextAsync("/app"));

        SetClock(app, new DateTime(2026, 11, 28, 13, 0, 0, DateTimeKind.Utc));
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(NewYorkCaller));
    }

    [Theory]
    [BothDatabases]
    public async Task With_the_option_off_a_call_at_11_pm_is_texted_at_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        SetClock(app, Chicago(27, 23));
        await app.AddBusinessAsync();

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));
        await app.DispatchAsync();

        Assert.Contains("text you right away", twiml);
        Assert.Equal(Chicago(27, 23), Assert.Single(app.Twilio.SentTo(Caller)).At);
        Assert.Equal(OutboxReason.None, (await TextBackAsync(app, Caller)).Reason);
    }

    [Theory]
    [BothDatabases]
    public async Task A_STOP_before_8_am_means_the_held_text_back_never_goes(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        SetClock(app, Chicago(27, 23));
        using var owner = await OwnerWithHoldAsync(app);
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));

        SetClock(app, Chicago(28, 1));
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Caller, Number, "STOP"));
        SetClock(app, Chicago(28, 8));
        await app.DispatchAsync();

        var textBack = await TextBackAsync(app, Caller);
        Assert.Equal(OutboundStatus.Cancelled, textBack.Status);
        Assert.DoesNotContain(app.Twilio.SentTo(Caller), s => s.Body == textBack.Body);
    }

    [Theory]
    [BothDatabases]
    public async Task The_owner_replying_or_calling_back_before_8_am_cancels_the_held_text_back(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        SetClock(app, Chicago(27, 23));
        using var owner = await OwnerWithHoldAsync(app);
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(NewYorkCaller, Number));

        var replied = $"/app/contacts/{await ContactIdAsync(app, Caller)}";
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync($"{replied}?handler=Reply",
            new() { ["body"] = "Hi, saw your call, I'll ring you at 7.", ["replyKey"] = Guid.NewGuid().ToString("N") }, tokenFrom: replied)).StatusCode);
        var calledBack = $"/app/contacts/{await ContactIdAsync(app, NewYorkCaller)}";
        var episode = await app.QueryAsync(d => d.MissedCalls.Where(c => c.FromE164 == NewYorkCaller).Select(c => c.Id).SingleAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync($"{calledBack}?handler=CalledBack",
            new() { ["episode"] = episode.ToString(System.Globalization.CultureInfo.InvariantCulture), ["on"] = "true" }, tokenFrom: calledBack)).StatusCode);
        await app.DispatchAsync(); // the owner's reply goes now

        Assert.Contains("Not texted — you answered first", await owner.TextAsync("/app"));
        SetClock(app, Chicago(28, 8));
        await app.DispatchAsync();

        Assert.Equal(["Hi, saw your call, I'll ring you at 7."], app.Twilio.SentTo(Caller).Select(s => s.Body));
        Assert.Empty(app.Twilio.SentTo(NewYorkCaller));
        Assert.Equal(OutboxReason.OwnerAnsweredFirst, (await TextBackAsync(app, Caller)).Reason);
        Assert.Equal(OutboxReason.OwnerAnsweredFirst, (await TextBackAsync(app, NewYorkCaller)).Reason);
    }
}
