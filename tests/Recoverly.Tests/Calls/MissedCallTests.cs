using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

public class MissedCallTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Missed_call_from_a_mobile_caller_gets_one_text_back_from_the_dispatcher(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync("Acme Plumbing");

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));

        Assert.Contains("<Say>Sorry we missed your call at Acme Plumbing. We'll text you right away.</Say>", twiml);
        Assert.Empty(app.SmsApi.Sent); // the webhook only records; it never calls the send API
        await app.DispatchAsync();
        var text = Assert.Single(app.SmsApi.Sent);
        Assert.Equal(Caller, text.To);
        Assert.Equal(Number, text.From);
        Assert.Equal("Hi, this is Acme Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.", text.Body);
        Assert.Equal(app.StatusCallbackUrl, text.StatusCallback);
        var call = await app.QueryAsync(d => d.MissedCalls.SingleAsync());
        Assert.Equal(CallOutcome.Texted, call.Outcome);
        var outbound = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Queued, outbound.Status);
        Assert.Equal(text.Sid, outbound.ProviderSid);
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Replayed_call_webhook_changes_nothing_the_second_time(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        var sid = app.NewCallSid();

        var first = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: sid));
        var replays = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.MissedCallAsync(Caller, callSid: sid)));
        await app.DispatchAsync();

        foreach (var r in replays) Assert.Equal(first, await HttpAssert.OkXmlAsync(r));
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Single(app.SmsApi.Sent);
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Two_hundred_concurrent_calls_from_one_caller_get_one_text_back(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => app.MissedCallAsync(Caller)));
        await app.DispatchAsync();

        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        var outcomes = await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).ToListAsync());
        Assert.Equal(200, outcomes.Count);
        Assert.Equal("Repeat: 199, Texted: 1", string.Join(", ", outcomes.GroupBy(o => o).OrderBy(g => g.Key.ToString()).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.Single(app.SmsApi.SentTo(Caller));
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());
        Assert.Equal(200, contact.EpisodeCallCount);
    }

    [Fact]
    public async Task A_call_after_the_episode_window_starts_a_new_episode_with_a_new_text()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromHours(11));
        await app.MissedCallAsync(Caller);
        app.Time.Advance(TimeSpan.FromHours(2));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.Repeat, CallOutcome.Texted], outcomes);
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count(t => t.Body.StartsWith("Hi, this is")));
    }

    public static TheoryData<string> WithheldCallerIds => new()
    {
        "anonymous", "Anonymous", "RESTRICTED", "unknown", "unavailable", "private", "blocked", "",
        "+266696687", "+7378742833", "+86282452253", "+2562533", "+8656696", "client:alice", "sip:alice@example.com", "5125550142",
    };

    [Theory]
    [MemberData(nameof(WithheldCallerIds))]
    public async Task Withheld_caller_ids_are_recorded_and_never_texted(string from)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(from));
        await app.DispatchAsync();

        Assert.Contains("We'll get back to you as soon as we can.", twiml);
        Assert.Equal(CallOutcome.Withheld, await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).SingleAsync()));
        Assert.Empty(app.Twilio.Sent);
    }

    [Theory]
    [InlineData("+15125550101", CallOutcome.Internal)] // the business line itself (forwarding loop)
    [InlineData("+15125550199", CallOutcome.Internal)] // the owner's phone
    [InlineData("+15125550100", CallOutcome.Internal)] // a Recoverly number
    [InlineData("+123456", CallOutcome.ShortCode)]
    [InlineData("+447911123456", CallOutcome.International)]
    [InlineData("+18765551234", CallOutcome.International)] // Jamaica shares +1 but is international
    [InlineData("+14165550142", CallOutcome.Texted)] // Toronto: Canada is allowed by default
    public async Task Each_missed_call_gets_the_outcome_of_the_first_failing_check(string from, CallOutcome expected)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync(ownerPhone: "+15125550199");

        await app.MissedCallAsync(from);
        await app.DispatchAsync();

        Assert.Equal(expected, await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).SingleAsync()));
        Assert.Equal(expected == CallOutcome.Texted ? 1 : 0, app.Twilio.SentTo(from).Count(t => t.Body.StartsWith("Hi, this is")));
    }

    [Fact]
    public async Task A_caller_id_that_failed_stir_shaken_verification_is_not_texted()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();

        await app.MissedCallAsync(Caller, extra: new Dictionary<string, string> { ["StirVerstat"] = "TN-Validation-Failed-A" });
        await app.MissedCallAsync("+15125550143", extra: new Dictionary<string, string> { ["StirVerstat"] = "TN-Validation-Passed-A-Diverted" });
        await app.DispatchAsync();

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.UnverifiedCaller, CallOutcome.Texted], outcomes);
    }

    [Theory]
    [BothDatabases]
    public async Task A_landline_learned_from_error_21614_is_not_texted_again(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        app.Twilio.Script(new Scripted(400, 21614));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromHours(13));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var failed = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Failed, failed.Status);
        Assert.Equal(21614, failed.ErrorCode);
        Assert.Contains("landline", Recoverly.Owners.OwnerWords.Reason(failed.Reason, failed.Kind, failed.ErrorCode));
        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.Landline], outcomes);
        Assert.Equal(1, app.Twilio.Requests);
    }

    [Theory]
    [BothDatabases]
    public async Task A_learned_landline_belongs_to_one_business_and_expires_after_90_days(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.AddBusinessAsync("Other Plumbing", "+15125550200", "+15125550201");
        app.Twilio.Script(new Scripted(400, 21614));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        // Another business still texts the number back: one tenant's error does not block it for everyone.
        await app.MissedCallAsync(Caller, "+15125550200");
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromHours(13));
        await app.MissedCallAsync(Caller);
        app.Time.Advance(Recoverly.Calls.LearnedLineType.Lifetime);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => new { c.To, c.Outcome }).ToListAsync());
        Assert.Equal([("+15125550100", CallOutcome.Texted), ("+15125550200", CallOutcome.Texted), ("+15125550100", CallOutcome.Landline),
            ("+15125550100", CallOutcome.Texted)], outcomes.Select(o => (o.To, o.Outcome)));
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
    }

    [Fact]
    public async Task The_daily_cap_stops_text_backs_but_keeps_recording_calls()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.DailyTextBackCap, 2)));

        foreach (var n in new[] { "+15125550142", "+15125550143", "+15125550144" }) await app.MissedCallAsync(n);
        await app.DispatchAsync();

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.Texted, CallOutcome.DailyLimit], outcomes);
        Assert.Equal(2, app.Twilio.Sent.Count);
        Assert.NotNull(business);
    }

    [Fact]
    public async Task Paused_texting_and_an_expired_trial_record_the_call_without_texting()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Billing:Provider"] = "Stripe", ["Stripe:SecretKey"] = "sk_test_x", ["Stripe:WebhookSecret"] = "whsec_x", ["Stripe:PriceId"] = "price_x" });
        await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.TextingPaused, true)));
        await app.MissedCallAsync("+15125550142");
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.TextingPaused, false)));
        app.Time.Advance(TimeSpan.FromDays(15));
        await app.MissedCallAsync("+15125550143");
        await app.DispatchAsync();

        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Paused, CallOutcome.Inactive], outcomes);
        Assert.Empty(app.Twilio.Sent);
    }

    [Fact]
    public async Task A_call_to_a_number_that_is_not_ours_is_rejected_and_nothing_is_stored()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, to: "+15125559999"));

        Assert.Contains("<Reject", twiml);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
    }

    [Fact]
    public async Task The_reject_busy_greeting_answers_with_a_busy_reject()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.Greeting, Recoverly.Businesses.GreetingKind.RejectBusy)));

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));
        await app.DispatchAsync();

        Assert.Contains("<Reject reason=\"busy\"", twiml);
        Assert.Single(app.Twilio.Sent);
    }

    [Theory]
    [InlineData("no-answer", true)]
    [InlineData("busy", true)]
    [InlineData("failed", true)]
    [InlineData("canceled", true)]
    [InlineData("completed", true)] // nobody pressed 1 at the screen: a voicemail took it (Calls/CallThroughTests.cs has the press)
    public async Task Call_through_mode_rings_the_business_line_and_an_unscreened_dial_is_missed(string dialStatus, bool missed)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Mode, Recoverly.Businesses.CallMode.CallThrough).SetProperty(b => b.VerifiedLine, "+15125550101")));
        var sid = TestApp.NewSid("CA");

        var dial = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: sid));
        Assert.Contains("<Dial action=\"http://localhost/twilio/voice/dial-complete\" timeout=\"18\">", dial);
        Assert.Contains(">+15125550101</Number>", dial);
        Assert.Contains("<Number url=\"http://localhost/twilio/voice/screen?business=", dial);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));

        var after = await HttpAssert.OkXmlAsync(await app.PostSignedAsync("/twilio/voice/dial-complete", new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["CallSid"] = sid, ["From"] = Caller, ["To"] = Number, ["Direction"] = "inbound",
            ["CallStatus"] = "in-progress", ["DialCallStatus"] = dialStatus, ["DialCallSid"] = TestApp.NewSid("CA"),
        }));
        await app.DispatchAsync();

        Assert.Equal(missed ? 1 : 0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(missed ? 1 : 0, app.Twilio.SentTo(Caller).Count);
        Assert.Contains(missed ? "<Say>" : "<Hangup", after);
    }
}
