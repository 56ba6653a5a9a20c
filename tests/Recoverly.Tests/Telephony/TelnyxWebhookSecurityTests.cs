using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using NSec.Cryptography;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// Telnyx webhooks change nothing unless Telnyx signed them: every forgery gets 403, every malformed
/// request a clear 400 (never a 500), and in both cases nothing is recorded.
/// </summary>
public class TelnyxWebhookSecurityTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private enum Forgery { OtherKey, NoSignature, NoTimestamp, SixMinutesOld, SixMinutesAhead, TamperedBody, SignatureOfOtherBody, NotBase64 }

    public static TheoryData<Db, string> DatabasesAndWebhooks => new()
    {
        { Db.Sqlite, "call" }, { Db.Sqlite, "stop" }, { Db.Sqlite, "status" }, { Db.Sqlite, "recording" },
        { Db.Postgres, "call" }, { Db.Postgres, "stop" }, { Db.Postgres, "status" }, { Db.Postgres, "recording" },
    };

    [Theory]
    [MemberData(nameof(DatabasesAndWebhooks))]
    public async Task Forged_Telnyx_webhooks_get_403_and_change_nothing(Db db, string webhook)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        var (callSid, textId) = await TextedCallerAsync(app);
        var before = await SnapshotAsync(app);
        // Each forgery carries something that would change the record: a new call, a STOP, an opt-out error, a transcription.
        var (path, body, contentType) = webhook switch
        {
            "call" => ("/telnyx/voice", Form(("CallSid", TestApp.NewTelnyxCallSid()), ("From", "+15125550143"), ("To", Number), ("Direction", "inbound")), FormType),
            "stop" => (TelnyxPath, Event("message.received", $$"""{"id":"{{Guid.NewGuid()}}","from":{"phone_number":"{{Caller}}"},"to":[{"phone_number":"{{Number}}"}],"text":"STOP"}"""), JsonType),
            "status" => (TelnyxPath, Event("message.finalized", $$"""{"id":"{{textId}}","to":[{"phone_number":"{{Caller}}","status":"delivery_failed"}],"errors":[{"code":"40300"}]}"""), JsonType),
            _ => ("/telnyx/voice/recording", Form(("CallSid", callSid), ("RecordingUrl", "https://example.com/r.wav"), ("TranscriptionText", "forged words")), FormType),
        };

        foreach (var forgery in Enum.GetValues<Forgery>())
        {
            var response = await SendForgedAsync(app, path, body, contentType, forgery);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{forgery} on {webhook}: HTTP {(int)response.StatusCode}");
        }

        Assert.Equal(before, await SnapshotAsync(app));
        Assert.Empty(app.Telnyx.AutoRepliesTo(Caller));
        // The genuine webhook still works afterwards: the 403s were the signature, not the request.
        (await app.PostTelnyxAsync(path, body, contentType)).EnsureSuccessStatusCode();
        Assert.NotEqual(before, await SnapshotAsync(app));
    }

    private static async Task<HttpResponseMessage> SendForgedAsync(TestApp app, string path, byte[] body, string contentType, Forgery forgery)
    {
        var now = app.Time.GetUtcNow().ToUnixTimeSeconds();
        string Stamp(long seconds) => seconds.ToString(CultureInfo.InvariantCulture);
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var ts = Stamp(now);
        return forgery switch
        {
            Forgery.OtherKey => await app.SendTelnyxAsync(path, body, contentType, ts, TestApp.SignTelnyx(other, ts, body)),
            Forgery.NoSignature => await app.SendTelnyxAsync(path, body, contentType, ts, null),
            Forgery.NoTimestamp => await app.SendTelnyxAsync(path, body, contentType, null, TestApp.SignTelnyx(app.TelnyxKey, ts, body)),
            Forgery.SixMinutesOld => await app.SendTelnyxAsync(path, body, contentType, Stamp(now - 360), TestApp.SignTelnyx(app.TelnyxKey, Stamp(now - 360), body)),
            Forgery.SixMinutesAhead => await app.SendTelnyxAsync(path, body, contentType, Stamp(now + 360), TestApp.SignTelnyx(app.TelnyxKey, Stamp(now + 360), body)),
            Forgery.TamperedBody => await app.SendTelnyxAsync(path, [.. body, (byte)' '], contentType, ts, TestApp.SignTelnyx(app.TelnyxKey, ts, body)),
            Forgery.SignatureOfOtherBody => await app.SendTelnyxAsync(path, body, contentType, ts, TestApp.SignTelnyx(app.TelnyxKey, ts, Encoding.UTF8.GetBytes("{}"))),
            _ => await app.SendTelnyxAsync(path, body, contentType, ts, "this is not base64!"),
        };
    }

    public static TheoryData<string, string, string, string> Malformed => new()
    {
        { "not JSON", TelnyxPath, "application/json", "STOP" },
        { "a JSON array", TelnyxPath, "application/json", "[]" },
        { "no data", TelnyxPath, "application/json", """{"meta":{}}""" },
        { "data not an object", TelnyxPath, "application/json", """{"data":1}""" },
        { "no event type", TelnyxPath, "application/json", """{"data":{"payload":{}}}""" },
        { "no payload", TelnyxPath, "application/json", """{"data":{"event_type":"message.received"}}""" },
        { "inbound without id", TelnyxPath, "application/json", EventJson("message.received", $$"""{"from":{"phone_number":"{{Caller}}"},"to":[{"phone_number":"{{Number}}"}],"text":"STOP"}""") },
        { "inbound with a malformed id", TelnyxPath, "application/json", EventJson("message.received", $$"""{"id":"<script>","from":{"phone_number":"{{Caller}}"},"to":[{"phone_number":"{{Number}}"}],"text":"STOP"}""") },
        { "inbound without sender", TelnyxPath, "application/json", EventJson("message.received", $$"""{"id":"{{Guid.NewGuid()}}","to":[{"phone_number":"{{Number}}"}],"text":"STOP"}""") },
        { "inbound with to not a list", TelnyxPath, "application/json", EventJson("message.received", $$"""{"id":"{{Guid.NewGuid()}}","from":{"phone_number":"{{Caller}}"},"to":"{{Number}}","text":"STOP"}""") },
        { "inbound text over 1600 characters", TelnyxPath, "application/json", EventJson("message.received", $$"""{"id":"{{Guid.NewGuid()}}","from":{"phone_number":"{{Caller}}"},"to":[{"phone_number":"{{Number}}"}],"text":"{{new string('a', 1601)}}"}""") },
        { "status unknown", TelnyxPath, "application/json", EventJson("message.finalized", $$"""{"id":"{{Guid.NewGuid()}}","to":[{"phone_number":"{{Caller}}","status":"teleported"}]}""") },
        { "status without recipient", TelnyxPath, "application/json", EventJson("message.sent", $$"""{"id":"{{Guid.NewGuid()}}"}""") },
        { "a form sent to the messaging webhook", TelnyxPath, "application/x-www-form-urlencoded", "data=1" },
        { "JSON sent to the voice webhook", "/telnyx/voice", "application/json", """{"CallSid":"v3:abc"}""" },
        { "call without CallSid", "/telnyx/voice", "application/x-www-form-urlencoded", $"From=%2B15125550143&To=%2B15125550100" },
        { "call with a CallSid that is not one", "/telnyx/voice", "application/x-www-form-urlencoded", $"CallSid=%27%3B+drop+table&From=%2B15125550143&To=%2B15125550100" },
        { "call with a CallSid over 64 characters", "/telnyx/voice", "application/x-www-form-urlencoded", $"CallSid=v3%3A{new string('a', 70)}&From=%2B15125550143&To=%2B15125550100" },
        { "call without To", "/telnyx/voice", "application/x-www-form-urlencoded", $"CallSid=v3%3Aabcdefghij&From=%2B15125550143" },
        { "status without CallStatus", "/telnyx/voice/status", "application/x-www-form-urlencoded", $"CallSid=v3%3Aabcdefghij" },
        { "transcription over 4000 characters", "/telnyx/voice/recording", "application/x-www-form-urlencoded", $"CallSid=v3%3Aabcdefghij&TranscriptionText={new string('a', 4001)}" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_signed_but_malformed_request_gets_a_clear_400_and_changes_nothing(string what, string path, string contentType, string body)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await TextedCallerAsync(app);
        var before = await SnapshotAsync(app);

        var response = await app.PostTelnyxAsync(path, Encoding.UTF8.GetBytes(body), contentType);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: HTTP {(int)response.StatusCode}");
        Assert.False(string.IsNullOrWhiteSpace(await response.Content.ReadAsStringAsync()), $"{what}: the 400 should say what is wrong");
        Assert.Equal(before, await SnapshotAsync(app));
    }

    [Theory]
    [BothDatabases]
    public async Task A_body_over_64_KiB_is_refused_with_400_before_anything_is_read(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await TextedCallerAsync(app);
        var before = await SnapshotAsync(app);
        var huge = EventJson("message.received", $$"""{"id":"{{Guid.NewGuid()}}","from":{"phone_number":"{{Caller}}"},"to":[{"phone_number":"{{Number}}"}],"text":"STOP","pad":"{{new string('x', 70 * 1024)}}"}""");

        var response = await app.PostTelnyxAsync(TelnyxPath, Encoding.UTF8.GetBytes(huge), "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await SnapshotAsync(app));
    }

    [Fact]
    public async Task Events_that_are_not_ours_are_acknowledged_and_ignored()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await TextedCallerAsync(app);
        var before = await SnapshotAsync(app);

        var response = await app.PostTelnyxEventAsync("message.link_click", new System.Text.Json.Nodes.JsonObject { ["url"] = "https://example.com" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, await SnapshotAsync(app));
    }

    [Fact]
    public async Task The_Twilio_webhooks_are_not_served_in_Telnyx_mode()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();

        var response = await app.PostSignedAsync("/twilio/voice", new Dictionary<string, string>
        {
            ["CallSid"] = TestApp.NewSid("CA"), ["From"] = Caller, ["To"] = Number, ["Direction"] = "inbound",
        });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
    }

    private const string TelnyxPath = "/telnyx/messaging";

    private static string EventJson(string type, string payload) =>
        $$"""{"data":{"record_type":"event","id":"{{Guid.NewGuid()}}","event_type":"{{type}}","occurred_at":"2026-11-27T15:00:00Z","payload":""" + payload + "}}";

    private const string JsonType = "application/json";
    private const string FormType = "application/x-www-form-urlencoded";

    private static byte[] Event(string type, string payload) => Encoding.UTF8.GetBytes(EventJson(type, payload));

    private static byte[] Form(params (string Key, string Value)[] fields) =>
        Encoding.UTF8.GetBytes(string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}")));

    /// <summary>A business whose caller was texted back: a call, its text and the provider's message id exist to be forged against.</summary>
    private static async Task<(string CallSid, string TextId)> TextedCallerAsync(TestApp app)
    {
        await app.AddBusinessAsync();
        var callSid = TestApp.NewTelnyxCallSid();
        (await app.MissedCallAsync(Caller, callSid: callSid)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        return (callSid, app.Telnyx.SentTo(Caller).Single().Sid);
    }

    private static Task<string> SnapshotAsync(TestApp app) => app.QueryAsync(async d =>
    {
        var calls = await d.MissedCalls.OrderBy(c => c.Id).Select(c => $"{c.CallSid}/{c.Outcome}/{c.Transcription}/{c.RecordingUrl}").ToListAsync();
        var texts = await d.OutboundMessages.OrderBy(m => m.Id).Select(m => $"{m.Kind}/{m.Status}/{m.ErrorCode}").ToListAsync();
        return string.Join("|", calls) + " # " + string.Join("|", texts)
               + $" # in {await d.InboundMessages.CountAsync()} consent {await d.ConsentEvents.CountAsync()} status {await d.MessageStatusEvents.CountAsync()}";
    });
}
