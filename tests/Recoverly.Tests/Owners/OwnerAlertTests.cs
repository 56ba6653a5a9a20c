using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

public class OwnerAlertTests
{
    private const string Caller = "+15125550142";
    private const string OtherCaller = "+15125550143";
    private const string Owner = "+15125550199";
    private const string Number = "+15125550100";

    private const string OptInRequest =
        "Recoverly: reply YES to get missed-call alerts for the business on Recoverly number (512) 555-0100. Not you? Ignore this or reply STOP. Msg & data rates may apply. HELP for help.";

    // The fake clock starts at 15:00 UTC on 2026-11-27: 9:00 AM in Chicago (CST).
    private const string AlertForCaller = "Recoverly: missed call from (512) 555-0142 at 9:00 AM — we're texting them back.";

    private static bool IsAlert(SentText t) => t.Body.StartsWith("Recoverly: missed call from", StringComparison.Ordinal);

    private static bool IsReplyAlert(SentText t) => t.Body.StartsWith("Recoverly: (512)", StringComparison.Ordinal);

    [Theory]
    [BothDatabases]
    public async Task No_owner_alert_without_a_confirmed_opt_in(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync(ownerPhone: Owner);
        await app.DispatchAsync();

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var toOwner = Assert.Single(app.Twilio.SentTo(Owner));
        Assert.Equal(OptInRequest, toOwner.Body);
        Assert.Equal(Number, toOwner.From);
        Assert.Single(app.Twilio.SentTo(Caller)); // the caller still gets the text-back
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerAlert)));
    }

    [Theory]
    [BothDatabases]
    public async Task Alerts_start_after_the_owner_replies_YES_and_stop_after_STOP(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync(ownerPhone: Owner);
        await app.DispatchAsync();

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "YES"));
        await app.DispatchAsync();
        var sent = app.Twilio.SentTo(Owner);
        Assert.Equal(2, sent.Count);
        Assert.Equal(OptInRequest, sent[0].Body);
        Assert.StartsWith("Recoverly: missed-call alerts for Acme Plumbing are on.", sent[1].Body);

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var alert = Assert.Single(app.Twilio.SentTo(Owner), IsAlert);
        Assert.Equal(AlertForCaller, alert.Body);
        Assert.Equal(Number, alert.From);

        // The owner answers within the relay window of that alert: STOP still goes to Recoverly, never to the caller.
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "STOP"));
        await app.DispatchAsync();
        var off = app.Twilio.SentTo(Owner)[^1];
        Assert.Equal("Recoverly: missed-call alerts for Acme Plumbing are off. You'll get no more alert texts. Reply START to turn them back on.", off.Body);
        Assert.Equal(4, app.Twilio.SentTo(Owner).Count);
        Assert.Single(app.Twilio.SentTo(Caller)); // only the text-back
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply || m.To == Caller && m.Body == "STOP")));

        await app.MissedCallAsync(OtherCaller);
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "STOP"));
        await app.DispatchAsync();

        Assert.Single(app.Twilio.SentTo(OtherCaller)); // the caller is still texted back
        Assert.Equal(4, app.Twilio.SentTo(Owner).Count); // no alert, no second "are off"
        Assert.Single(app.Twilio.SentTo(Owner), IsAlert);
        var kinds = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == Owner).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync());
        Assert.Equal([ConsentKind.OwnerOptIn, ConsentKind.OwnerConfirmed, ConsentKind.OwnerOptOut, ConsentKind.OwnerOptOut], kinds);
    }

    [Fact]
    public async Task YES_from_an_owner_who_was_never_asked_does_not_turn_alerts_on()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync(); // no owner phone: no opt-in request
        // The owner's phone is added later without the opt-in box ticked.
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.OwnerPhone, Owner)));

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "YES"));
        await app.DispatchAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Owner));
        Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Equal(0, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Owner)));
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerAlert)));
    }

    [Fact]
    public async Task Caller_replies_are_coalesced_per_conversation()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        await app.InboundSmsAsync(Caller, Number, "Need my water heater looked at tomorrow");
        await app.DispatchAsync();
        var first = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.StartsWith("Recoverly: (512) 555-0142 replied: \"Need my water heater looked at tomorrow\" — reply to this text to answer, or open http://localhost/app/contacts/", first.Body);

        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.InboundSmsAsync(Caller, Number, "It's leaking a bit");
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(2));
        await app.InboundSmsAsync(Caller, Number, "Mornings are best");
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Owner), IsReplyAlert); // nothing more yet

        app.Time.Advance(TimeSpan.FromMinutes(2));
        await app.DispatchAsync();

        var alerts = app.Twilio.SentTo(Owner).Where(IsReplyAlert).ToList();
        Assert.Equal(2, alerts.Count);
        Assert.StartsWith("Recoverly: (512) 555-0142 sent 2 replies, latest: \"Mornings are best\"", alerts[1].Body);

        // A reply after the gathered alert went out counts only itself, not the replies already alerted.
        app.Time.Advance(TimeSpan.FromMinutes(6));
        await app.InboundSmsAsync(Caller, Number, "Any update?");
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();

        alerts = app.Twilio.SentTo(Owner).Where(IsReplyAlert).ToList();
        Assert.Equal(3, alerts.Count);
        Assert.StartsWith("Recoverly: (512) 555-0142 replied: \"Any update?\"", alerts[2].Body);
        Assert.Empty(app.Twilio.SentTo(Caller).Skip(1)); // no automatic reply to the caller
    }

    [Theory]
    [BothDatabases]
    public async Task Owner_reply_by_SMS_goes_to_the_one_caller_alerted_in_the_last_30_minutes(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(OtherCaller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(40));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Owner).Count(IsAlert));

        app.Time.Advance(TimeSpan.FromMinutes(10));
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "Hi, this is Joe. I can come by at 3pm today."));
        Assert.Single(app.Twilio.SentTo(Caller)); // through the outbox: nothing sent from the webhook
        await app.DispatchAsync();

        var toCaller = app.Twilio.SentTo(Caller);
        Assert.Equal(2, toCaller.Count);
        Assert.Equal("Hi, this is Joe. I can come by at 3pm today.", toCaller[1].Body);
        Assert.Equal(Number, toCaller[1].From);
        Assert.Single(app.Twilio.SentTo(OtherCaller)); // only its text-back
        var relay = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerReply));
        Assert.Equal(toCaller[1].Sid, relay.ProviderSid);

        // 30 minutes after the last alert the owner is sent to the dashboard instead.
        app.Time.Advance(TimeSpan.FromMinutes(21));
        var ownerBefore = app.Twilio.SentTo(Owner).Count;
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "Also, bring the old part please"));
        await app.DispatchAsync();

        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
        Assert.Single(app.Twilio.SentTo(OtherCaller));
        var notice = Assert.Single(app.Twilio.SentTo(Owner).Skip(ownerBefore));
        Assert.Equal("Recoverly: we couldn't tell which caller you're answering (no alert in the last 30 minutes). Please reply from the dashboard: http://localhost/app", notice.Body);

        // The caller's last four digits still name them, hours later.
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "0143: sorry, we never called you back. Still need help?"));
        await app.DispatchAsync();
        Assert.Equal("sorry, we never called you back. Still need help?", app.Twilio.SentTo(OtherCaller)[^1].Body);
    }

    [Theory]
    [BothDatabases]
    public async Task A_reply_typed_while_a_second_alert_arrives_reaches_no_caller_until_it_names_one(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        // The owner starts typing an answer to the first caller; meanwhile a second caller's alert goes out.
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.MissedCallAsync(OtherCaller);
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Owner).Count(IsAlert));
        var ownerBefore = app.Twilio.SentTo(Owner).Count;

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "On my way, 20 minutes"));
        await app.DispatchAsync();

        Assert.Single(app.Twilio.SentTo(Caller)); // only its text-back
        Assert.Single(app.Twilio.SentTo(OtherCaller));
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));
        var ask = Assert.Single(app.Twilio.SentTo(Owner).Skip(ownerBefore)).Body;
        Assert.Equal("Recoverly: not sent — 2 callers were alerted in the last 30 minutes. Send it again starting with the caller's last 4 digits, " +
                     "e.g. \"0143 on my way\": 0143 = (512) 555-0143; 0142 = (512) 555-0142.", ask);

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "0142 On my way, 20 minutes"));
        await app.DispatchAsync();

        Assert.Equal("On my way, 20 minutes", app.Twilio.SentTo(Caller)[^1].Body);
        Assert.Single(app.Twilio.SentTo(OtherCaller));
        Assert.Equal(ownerBefore + 1, app.Twilio.SentTo(Owner).Count);
    }

    [Theory]
    [InlineData("On my way", new string[0], "none")]
    [InlineData("On my way", new[] { "+15125550142" }, "+15125550142:On my way")]
    [InlineData("On my way", new[] { "+15125550142", "+15125550143" }, "ask")]
    [InlineData("0142 on my way", new[] { "+15125550142", "+15125550143" }, "+15125550142:on my way")]
    [InlineData("#0143, on my way", new[] { "+15125550142", "+15125550143" }, "+15125550143:on my way")]
    [InlineData("0142", new[] { "+15125550142", "+15125550143" }, "unclear")]
    [InlineData("0142 hi", new[] { "+15125550142", "+15135550142" }, "unclear")]
    [InlineData("1530 works for me", new[] { "+15125550142" }, "+15125550142:1530 works for me")]
    [InlineData("1530 works for me", new[] { "+15125550142", "+15125550143" }, "ask")]
    public void The_relay_target_is_never_guessed(string body, string[] alerted, string expected)
    {
        var candidates = alerted.Select((p, i) => new Recoverly.Owners.RelayCandidate(i + 1, p)).ToList();
        var decision = Recoverly.Owners.OwnerReplyRelay.Decide(body, candidates, candidates);
        var actual = decision switch
        {
            Recoverly.Owners.RelayDecision.Send send => $"{send.To.Phone}:{send.Body}",
            Recoverly.Owners.RelayDecision.Ask => "ask",
            Recoverly.Owners.RelayDecision.Unclear => "unclear",
            _ => "none",
        };
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("START")]
    [InlineData("UNSTOP")]
    public async Task An_opt_in_keyword_from_an_owner_whose_alerts_are_on_is_not_relayed_to_a_caller(string keyword)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, keyword));
        await app.DispatchAsync();

        Assert.Single(app.Twilio.SentTo(Caller)); // only the text-back
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));
    }

    [Theory]
    [BothDatabases]
    public async Task An_owner_reply_to_an_opted_out_caller_is_not_sent_and_the_owner_hears_why_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count); // text-back and the one STOP confirmation
        var ownerBefore = app.Twilio.SentTo(Owner).Count;

        var sid = TestApp.NewSid("SM");
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "Sorry we missed you, when can I call?", sid));
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "Sorry we missed you, when can I call?", sid)); // Twilio retries
        await app.DispatchAsync();

        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));
        var notice = Assert.Single(app.Twilio.SentTo(Owner).Skip(ownerBefore));
        Assert.Equal("Recoverly: your reply to (512) 555-0142 was not sent. They opted out — you can't text them. Call them instead.", notice.Body);
        Assert.Equal(0, await app.QueryAsync(d => d.OwnerTextCounters.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Owner_HELP_is_answered_with_what_the_alerts_are_and_never_reaches_the_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var business = await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        // Within the relay window of the alert just sent: HELP is a keyword for Recoverly, not a reply to the caller.
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "HELP"));
        await app.DispatchAsync();

        var help = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.Equal("Recoverly alerts for Acme Plumbing: a text per missed call and caller reply. Reply to an alert to answer that caller. Msg & data rates may apply. Reply STOP to cancel.",
            help.Body);
        Assert.Equal(Number, help.From);
        Assert.Single(app.Twilio.SentTo(Caller)); // only the text-back
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));
        // HELP changes nothing: alerts keep coming.
        Assert.Equal(OwnerAlertConsent.Confirmed, await app.QueryAsync(d => ConsentLedger.OwnerStateAsync(d, business.Id, Owner, default)));
        await app.MissedCallAsync(OtherCaller);
        await app.DispatchAsync();
        Assert.Equal("Recoverly: missed call from (512) 555-0143 at 9:00 AM — we're texting them back.", app.Twilio.SentTo(Owner)[^1].Body);
    }

    [Theory]
    [BothDatabases]
    public async Task Daily_alert_cap_resets_at_the_businesss_local_midnight_not_at_utc_midnight_or_24_hours_later(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.DailyOwnerAlertCap, 2)));
        var day = new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.FromHours(-6)); // Friday in Chicago (CST)

        app.Time.SetUtcNow(day.AddHours(17.5)); // 5:30 PM in Chicago, 23:30 UTC
        foreach (var n in new[] { "+15125550142", "+15125550143", "+15125550144" }) await app.MissedCallAsync(n);
        await app.DispatchAsync();
        Assert.Equal(3, app.Twilio.Sent.Count(t => t.Body.StartsWith("Hi, this is", StringComparison.Ordinal))); // callers are not capped
        Assert.Equal(
            ["Recoverly: missed call from (512) 555-0142 at 5:30 PM — we're texting them back.", "Recoverly: missed call from (512) 555-0143 at 5:30 PM — we're texting them back."],
            app.Twilio.SentTo(Owner).Where(IsAlert).Select(t => t.Body));

        app.Time.SetUtcNow(day.AddHours(18.5)); // 6:30 PM in Chicago: a new day in UTC, the same day for the business
        await app.MissedCallAsync("+15125550145");
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Owner).Count(IsAlert));

        app.Time.SetUtcNow(day.AddHours(24).AddMinutes(5)); // 12:05 AM Saturday in Chicago, under seven hours after the cap was reached
        await app.MissedCallAsync("+15125550146");
        await app.DispatchAsync();
        Assert.Equal("Recoverly: missed call from (512) 555-0146 at 12:05 AM — we're texting them back.", app.Twilio.SentTo(Owner).Where(IsAlert).Last().Body);
        Assert.Equal(3, app.Twilio.SentTo(Owner).Count(IsAlert));
    }
}
