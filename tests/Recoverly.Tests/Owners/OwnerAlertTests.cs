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
        "Recoverly: reply YES to get missed-call alerts for Acme Plumbing. Msg & data rates may apply. Reply STOP to cancel, HELP for help.";

    // The fake clock starts at 15:00 UTC on 2026-11-27: 9:00 AM in Chicago (CST).
    private const string AlertForCaller = "Recoverly: missed call from (512) 555-0142 at 9:00 AM — we're texting them back.";

    private static bool IsAlert(SentText t) => t.Body.StartsWith("Recoverly: missed call from", StringComparison.Ordinal);

    private static bool IsReplyAlert(SentText t) => t.Body.StartsWith("Recoverly: (512)", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
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
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
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

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "STOP"));
        await app.DispatchAsync();
        var off = app.Twilio.SentTo(Owner)[^1];
        Assert.StartsWith("Recoverly: missed-call alerts for Acme Plumbing are off.", off.Body);
        Assert.Equal(4, app.Twilio.SentTo(Owner).Count);

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
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Owner_reply_by_SMS_is_relayed_to_the_most_recently_alerted_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(OtherCaller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(2));
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
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task An_owner_reply_to_an_opted_out_caller_is_not_sent(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count); // text-back and the one STOP confirmation

        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "Sorry we missed you, when can I call?"));
        await app.DispatchAsync();

        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
        var relay = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerReply));
        Assert.Equal(Caller, relay.To);
        Assert.Equal(OutboundStatus.Cancelled, relay.Status);
        Assert.Equal("Cancelled — the caller opted out", Recoverly.Owners.OwnerWords.Reason(relay.Reason, relay.Kind, relay.ErrorCode));
        Assert.Null(relay.ProviderSid);
    }

    [Fact]
    public async Task Daily_alert_cap_limits_owner_alerts()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner);
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.DailyOwnerAlertCap, 2)));

        foreach (var n in new[] { "+15125550142", "+15125550143", "+15125550144", "+15125550145" }) await app.MissedCallAsync(n);
        await app.DispatchAsync();

        Assert.Equal(4, app.Twilio.Sent.Count(t => t.Body.StartsWith("Hi, this is", StringComparison.Ordinal))); // callers are not capped
        var alerts = app.Twilio.SentTo(Owner).Where(IsAlert).ToList();
        Assert.Equal(2, alerts.Count);
        Assert.Contains(alerts, a => a.Body.Contains("(512) 555-0142", StringComparison.Ordinal)); // the first two calls of the day
        Assert.Contains(alerts, a => a.Body.Contains("(512) 555-0143", StringComparison.Ordinal));

        // A new local day resets the cap.
        app.Time.Advance(TimeSpan.FromDays(1));
        await app.MissedCallAsync("+15125550146");
        await app.DispatchAsync();
        Assert.Equal(3, app.Twilio.SentTo(Owner).Count(IsAlert));
    }
}
