using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Owners;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

/// <summary>The line-type check before a first text-back (docs/product/texts.md, "Landlines").</summary>
public class LineTypeLookupTests
{
    private const string Caller = "+15125550142";

    [Theory]
    [BothDatabases]
    public async Task A_landline_caller_is_not_texted_and_the_inbox_says_landline(Db db)
    {
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        var business = await app.AddBusinessAsync();
        app.Lookups.LineTypes[Caller] = "landline";

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal([Caller], app.Lookups.Requests);
        var text = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Cancelled, text.Status);
        Assert.Equal(OutboxReason.NotTextableLine, text.Reason);
        Assert.Equal(CallOutcome.Landline, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        using var owner = await OwnerClient.SignInAsync(app, business.Id);
        Assert.Contains("Not texted — landline", await owner.TextAsync("/app"));

        // Calling again the next day: the cached answer decides at once — no lookup, nothing queued.
        app.Time.Advance(TimeSpan.FromDays(1));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Single(app.Lookups.Requests);
        Assert.Empty(app.Twilio.SentTo(Caller));
        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Landline, CallOutcome.Landline], outcomes);
        Assert.Equal(1, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.TextBack)));
    }

    [Theory]
    [BothDatabases]
    public async Task The_owners_alert_for_a_first_call_from_a_landline_says_to_call_them_back(Db db)
    {
        const string owner = "+15125550199";
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        await app.AddBusinessAsync(ownerPhone: owner);
        await app.DispatchAsync();
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(owner, "+15125550100", "YES"));
        await app.DispatchAsync();
        app.Lookups.LineTypes[Caller] = "landline";

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        // The fake clock starts at 9:00 AM in Chicago.
        var alert = Assert.Single(app.Twilio.SentTo(owner), t => t.Body.StartsWith("Recoverly: missed call from", StringComparison.Ordinal));
        Assert.Equal("Recoverly: missed call from (512) 555-0142 at 9:00 AM — it's a landline, so please call them back.", alert.Body);

        // A mobile caller's alert keeps its words.
        await app.MissedCallAsync("+15125550143");
        await app.DispatchAsync();
        Assert.Equal("Recoverly: missed call from (512) 555-0143 at 9:00 AM — we're texting them back.", app.Twilio.SentTo(owner)[^1].Body);
    }

    [Theory]
    [BothDatabases]
    public async Task A_mobile_caller_is_texted_and_looked_up_again_only_after_thirty_days(Db db)
    {
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        await app.AddBusinessAsync();

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Single(app.Lookups.Requests);

        // A new episode (past the 12-hour window) within 30 days: texted again from the cached answer.
        app.Time.Advance(TimeSpan.FromDays(29));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
        Assert.Single(app.Lookups.Requests);

        app.Time.Advance(TimeSpan.FromDays(2));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Equal(3, app.Twilio.SentTo(Caller).Count);
        Assert.Equal(2, app.Lookups.Requests.Count);
    }

    [Theory]
    [BothDatabases]
    public async Task A_fixed_voip_caller_is_texted(Db db)
    {
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        await app.AddBusinessAsync();
        app.Lookups.LineTypes[Caller] = "fixedVoip";

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Equal(CallOutcome.Texted, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
    }

    [Theory]
    [BothDatabases]
    public async Task A_lookup_that_never_answers_does_not_hold_the_text_back(Db db)
    {
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        await app.AddBusinessAsync();
        app.Lookups.Script(new Scripted(200, 0, Until: Scripted.Never));

        await app.MissedCallAsync(Caller);
        // The lookup's own deadline (600 ms) lets the text go; the test's deadline only turns a hang into a failure.
        var started = DateTime.UtcNow;
        await app.DispatchAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Single(app.Lookups.Requests);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the text waited far longer than the lookup deadline");
        Assert.Equal(0, await app.QueryAsync(d => d.LineTypeLookups.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_lookup_server_error_still_sends_and_the_next_call_asks_again(Db db)
    {
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        await app.AddBusinessAsync();
        app.Lookups.Script(new Scripted(500, 20500));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Caller));

        app.Time.Advance(TimeSpan.FromDays(1));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
        Assert.Equal(2, app.Lookups.Requests.Count);
    }

    [Theory]
    [BothDatabases]
    public async Task The_owner_can_turn_the_check_off_in_settings_and_then_nothing_is_looked_up(Db db)
    {
        await using var app = await TestApp.StartAsync(db, TestApp.WithLookups());
        var business = await app.AddBusinessAsync();
        app.Lookups.LineTypes[Caller] = "landline";
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        var page = await owner.TextAsync("/app/settings");
        Assert.Contains("about $0.008", page);
        var saved = await owner.PostAsync("/app/settings?handler=LineType", new Dictionary<string, string>(), tokenFrom: "/app/settings");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, saved.StatusCode);
        Assert.True(await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).Select(b => b.LineTypeLookupOff).SingleAsync()));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Empty(app.Lookups.Requests);
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task Without_a_lookup_url_the_setting_is_not_offered_and_nothing_is_looked_up(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        Assert.DoesNotContain("Landline check", await owner.TextAsync("/app/settings"));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Empty(app.Lookups.Requests);
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [InlineData("mobile", true)]
    [InlineData("landline", false)]
    [InlineData("fixedVoip", true)]
    [InlineData("nonFixedVoip", true)]
    [InlineData("personal", true)]
    [InlineData("unknown", true)]
    [InlineData("tollFree", false)]
    [InlineData("premium", false)]
    [InlineData("sharedCost", false)]
    [InlineData("uan", false)]
    [InlineData("voicemail", false)]
    [InlineData("pager", false)]
    [InlineData(null, true)]
    public void Only_lines_that_clearly_cannot_take_texts_are_refused(string? type, bool textable) =>
        Assert.Equal(textable, LineTypes.Textable(type));
}
