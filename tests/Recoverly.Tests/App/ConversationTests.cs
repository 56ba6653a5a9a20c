using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

public class ConversationTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static async Task<long> ContactIdAsync(TestApp app) => (await app.QueryAsync(d => d.Contacts.SingleAsync(c => c.Phone == Caller))).Id;

    [Theory]
    [BothDatabases]
    public async Task Owner_reply_goes_through_the_outbox_to_the_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, Number, "Need my water heater looked at");
        await app.DispatchAsync();
        var id = await ContactIdAsync(app);
        var page = $"/app/contacts/{id}";

        var thread = await owner.TextAsync(page);
        Assert.Contains("Need my water heater looked at", thread);
        Assert.Contains("Text-back", thread);

        var response = await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = "We can come at 10 tomorrow", ["replyKey"] = new string('a', 32) }, tokenFrom: page);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        // The same form submitted twice queues one text.
        await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = "We can come at 10 tomorrow", ["replyKey"] = new string('a', 32) }, tokenFrom: page);
        await app.DispatchAsync();

        var reply = Assert.Single(app.Twilio.SentTo(Caller), t => t.Body == "We can come at 10 tomorrow");
        Assert.Equal(Number, reply.From);
        var after = await owner.TextAsync(page);
        Assert.Contains("Your reply", after);
        Assert.Contains("We can come at 10 tomorrow", after);
    }

    [Theory]
    [BothDatabases]
    public async Task Reply_to_an_opted_out_caller_is_refused_with_a_clear_message(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.DispatchAsync();
        var page = $"/app/contacts/{await ContactIdAsync(app)}";

        var html = await owner.TextAsync(page);
        Assert.Contains("They opted out — you can't text them. Call them instead.", html);
        Assert.DoesNotContain("handler=Reply", html);

        var response = await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = "Are you sure?" }, tokenFrom: page);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("They opted out — you can't text them. Call them instead.", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        await app.DispatchAsync();
        Assert.Empty(await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.OwnerReply).ToListAsync()));
        Assert.DoesNotContain(app.Twilio.SentTo(Caller), t => t.Body == "Are you sure?");
    }

    [Fact]
    public async Task A_reply_queued_before_a_STOP_is_cancelled_by_the_dispatcher_check()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var page = $"/app/contacts/{await ContactIdAsync(app)}";

        await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = "See you at 3" }, tokenFrom: page);
        await app.InboundSmsAsync(Caller, Number, "stop texting me");
        await app.DispatchAsync();

        Assert.DoesNotContain(app.Twilio.SentTo(Caller), t => t.Body == "See you at 3");
        var reply = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerReply));
        Assert.Equal(OutboundStatus.Cancelled, reply.Status);
    }

    [Theory]
    [BothDatabases]
    public async Task Recording_an_opt_out_heard_by_phone_cancels_the_queued_text_back(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller); // text-back queued, not sent yet
        var page = $"/app/contacts/{await ContactIdAsync(app)}";

        var response = await owner.PostAsync($"{page}?handler=OptOut", new() { ["how"] = "phone call", ["note"] = "Said not to text, call only" }, tokenFrom: page);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        var textBack = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Cancelled, textBack.Status);
        var e = await app.QueryAsync(d => d.ConsentEvents.SingleAsync(c => c.Phone == Caller));
        Assert.Equal((ConsentKind.OptOut, ConsentSource.OwnerRecorded, business.Id), (e.Kind, e.Source, e.BusinessId));
        Assert.Contains("phone call", e.EvidenceText);
        Assert.Contains("Said not to text, call only", e.EvidenceText);
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));

        var html = await owner.TextAsync(page);
        Assert.Contains("Recorded by you", html);
        Assert.Contains("They opted out — you can't text them.", html);
        Assert.Contains("Opted out", await owner.TextAsync("/app"));
    }

    [Fact]
    public async Task Consent_history_lists_every_event_with_source_and_evidence()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        var stopSid = TestApp.NewSid("SM");
        await app.InboundSmsAsync(Caller, Number, "STOP", messageSid: stopSid);
        await app.InboundSmsAsync(Caller, Number, "START");
        await app.InboundSmsAsync(Caller, Number, "HELP");

        var html = await owner.TextAsync($"/app/contacts/{await ContactIdAsync(app)}");

        Assert.Contains("Opted out", html);
        Assert.Contains("Opted back in", html);
        Assert.Contains("Asked for help", html);
        Assert.Contains("Keyword text", html);
        Assert.Contains(stopSid, html);
    }

    [Fact]
    public async Task Consent_csv_holds_this_business_events()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, Number, "STOP");

        var response = await owner.GetAsync("/app/consent.csv");
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("id,business_id,phone,kind,source,at_utc,evidence_ref,evidence_text\n", csv);
        Assert.Contains($",{business.Id},{Caller},opt_out,keyword,", csv);
    }
}
