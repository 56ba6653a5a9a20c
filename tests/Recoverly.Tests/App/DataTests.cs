using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

public class DataTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static async Task SeedConversationAsync(TestApp app)
    {
        var sid = TestApp.NewSid("CA");
        await app.MissedCallAsync(Caller, callSid: sid);
        await app.PostSignedAsync("/twilio/voice/recording", new()
        {
            ["AccountSid"] = TestApp.AccountSid, ["CallSid"] = sid, ["RecordingUrl"] = "https://api.twilio.com/rec/RE1", ["TranscriptionText"] = "Leaking boiler",
        });
        await app.InboundSmsAsync(Caller, Number, "Can you come Monday?");
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.DispatchAsync();
    }

    [Fact]
    public async Task Export_holds_the_business_its_calls_contacts_messages_and_consent_events()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await SeedConversationAsync(app);

        var response = await owner.GetAsync("/app/data?handler=Export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Acme Plumbing", json.GetProperty("business").GetProperty("name").GetString());
        Assert.Equal(business.Id, json.GetProperty("business").GetProperty("id").GetInt64());
        Assert.Equal(Number, json.GetProperty("numbers")[0].GetProperty("e164").GetString());
        var call = json.GetProperty("calls")[0];
        Assert.Equal((Caller, "Texted", "Leaking boiler"),
            (call.GetProperty("from").GetString(), call.GetProperty("outcome").GetString(), call.GetProperty("transcription").GetString()));
        Assert.Equal(Caller, json.GetProperty("contacts")[0].GetProperty("phone").GetString());
        Assert.Contains(json.GetProperty("messagesIn").EnumerateArray(), m => m.GetProperty("body").GetString() == "Can you come Monday?");
        Assert.Contains(json.GetProperty("messagesOut").EnumerateArray(), m => m.GetProperty("kind").GetString() == "TextBack");
        Assert.Contains(json.GetProperty("consentEvents").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "OptOut" && e.GetProperty("phone").GetString() == Caller);
    }

    [Theory]
    [BothDatabases]
    public async Task Deleting_the_account_removes_content_and_the_login_but_keeps_consent_events(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await SeedConversationAsync(app);
        await app.MissedCallAsync("+15125550143"); // a text-back still queued
        var consentBefore = await app.QueryAsync(d => d.ConsentEvents.OrderBy(e => e.Id).Select(e => e.Id + e.Kind.ToString() + e.EvidenceText).ToListAsync());
        // What there is to remove: the caller's words, the texts, and a voicemail.
        var inboundBefore = await app.QueryAsync(d => d.InboundMessages.OrderBy(m => m.Id).Select(m => m.Id).ToListAsync());
        var outboundBefore = await app.QueryAsync(d => d.OutboundMessages.OrderBy(m => m.Id).Select(m => m.Id).ToListAsync());
        var callsBefore = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync());
        Assert.Contains("Can you come Monday?", await app.QueryAsync(d => d.InboundMessages.Select(m => m.Body).ToListAsync()));
        Assert.True(outboundBefore.Count >= 3, $"{outboundBefore.Count} outbound rows"); // text-back, STOP confirmation, the queued text-back
        Assert.Equal(2, callsBefore.Count);
        Assert.Contains("Leaking boiler", await app.QueryAsync(d => d.MissedCalls.Select(c => c.Transcription).ToListAsync()));

        var page = await owner.TextAsync("/app/data");
        Assert.Contains("the consent records are kept", page);
        var wrongName = await owner.PostAsync("/app/data?handler=Delete", new() { ["confirmName"] = "Acme", ["password"] = OwnerClient.Password }, tokenFrom: "/app/data");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongName.StatusCode);
        var wrongPassword = await owner.PostAsync("/app/data?handler=Delete", new() { ["confirmName"] = "acme plumbing", ["password"] = "not my password" }, tokenFrom: "/app/data");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongPassword.StatusCode);
        Assert.Null((await app.QueryAsync(d => d.Businesses.SingleAsync())).DeletedAt);

        var deleted = await owner.PostAsync("/app/data?handler=Delete", new() { ["confirmName"] = "acme plumbing ", ["password"] = OwnerClient.Password }, tokenFrom: "/app/data");
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);

        await app.QueryAsync(async d =>
        {
            Assert.NotNull((await d.Businesses.SingleAsync()).DeletedAt);
            // The rows stay (the record of what happened), emptied of what was said.
            var inbound = await d.InboundMessages.OrderBy(m => m.Id).ToListAsync();
            var outbound = await d.OutboundMessages.OrderBy(m => m.Id).ToListAsync();
            var calls = await d.MissedCalls.OrderBy(c => c.Id).ToListAsync();
            Assert.Equal(inboundBefore, inbound.Select(m => m.Id));
            Assert.Equal(outboundBefore, outbound.Select(m => m.Id));
            Assert.Equal(callsBefore, calls.Select(c => c.Id));
            Assert.All(inbound, m => Assert.Equal("", m.Body));
            Assert.All(outbound, m => Assert.Equal("", m.Body));
            Assert.All(calls, c => Assert.True(c.Transcription is null && c.RecordingUrl is null));
            Assert.Empty(await d.OwnerAccounts.ToListAsync());
            Assert.Empty(await d.Numbers.ToListAsync());
            Assert.Equal(OutboundStatus.Cancelled, (await d.OutboundMessages.SingleAsync(m => m.To == "+15125550143")).Status);
            Assert.Equal(consentBefore, await d.ConsentEvents.OrderBy(e => e.Id).Select(e => e.Id + e.Kind.ToString() + e.EvidenceText).ToListAsync());
            return 0;
        });
        await app.DispatchAsync();
        Assert.Empty(app.Twilio.SentTo("+15125550143"));
        // The session is gone, the login is gone, and the number no longer answers for the business.
        Assert.Equal(HttpStatusCode.Redirect, (await owner.GetAsync("/app")).StatusCode);
        Assert.Contains("<Reject", await HttpAssert.OkXmlAsync(await app.MissedCallAsync("+15125550144")));
        Assert.Equal(business.Id, (await app.QueryAsync(d => d.ConsentEvents.Select(e => e.BusinessId).Distinct().SingleAsync())));
    }
}
