using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using Recoverly.Telephony;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// Telnyx mode of the test host: the app talks to <see cref="FakeTelnyxApi"/>, and the intent methods post
/// Telnyx's own webhooks (TeXML form posts, JSON message events) signed with this app's Ed25519 key pair,
/// as Telnyx signs them with the account's key.
/// </summary>
public sealed partial class TestApp
{
    public const string TelnyxApiKey = "KEY0186F0E4C1A54D2B8C1A3B5F7D9E1F2A_test";
    public const string TelnyxApiBase = "http://telnyx.test";
    public const string TelnyxAccountSid = "f5586561-8ff0-4291-a51b-c7dfe4139ff9";

    /// <summary>Stands in for the Telnyx account's signing key; the app is given only its public half.</summary>
    public Key TelnyxKey { get; } = Key.Create(SignatureAlgorithm.Ed25519);

    public FakeTelnyxApi Telnyx { get; } = new(TelnyxApiKey);

    /// <summary>The active provider's messaging API stand-in.</summary>
    public IFakeSmsApi SmsApi => Provider == Provider.Telnyx ? Telnyx : Twilio;

    /// <summary>Where the app asks the provider to post the status of the texts it sends.</summary>
    public string StatusCallbackUrl => BaseUrl + (Provider == Provider.Telnyx ? TelnyxWebhooks.MessagingPath : "/twilio/sms/status");

    public string NewCallSid() => Provider == Provider.Telnyx ? NewTelnyxCallSid() : NewSid("CA");

    public string NewMessageSid() => Provider == Provider.Telnyx ? Guid.NewGuid().ToString() : NewSid("SM");

    /// <summary>Shaped like Telnyx's TeXML CallSids (<c>v3:</c> and 54 URL-safe characters).</summary>
    public static string NewTelnyxCallSid() =>
        "v3:" + Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).Concat(Guid.NewGuid().ToByteArray()).ToArray())
            .Replace('+', '-').Replace('/', '_').TrimEnd('=')[..54];

    private Dictionary<string, string?> TelnyxSettings() => new()
    {
        ["Telephony:Provider"] = "Telnyx",
        ["Telnyx:ApiKey"] = TelnyxApiKey,
        ["Telnyx:PublicKey"] = Convert.ToBase64String(TelnyxKey.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
        ["Telnyx:ApiBaseUrl"] = TelnyxApiBase,
        ["Telnyx:MessagingProfileId"] = FakeTelnyxApi.MessagingProfileId,
        ["Telnyx:TexmlApplicationId"] = FakeTelnyxApi.TexmlApplicationId,
    };

    /// <summary>A TeXML application's voice request for a call reaching the Recoverly number.</summary>
    private Task<HttpResponseMessage> TelnyxCallAsync(string from, string to, string? callSid, IDictionary<string, string>? extra)
    {
        var sid = callSid ?? NewTelnyxCallSid();
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = TelnyxAccountSid, ["CallSid"] = sid, ["CallSidLegacy"] = sid, ["CallStatus"] = "ringing",
            ["ConnectionId"] = "1494404757140276705", ["Direction"] = "inbound", ["From"] = from, ["To"] = to,
        };
        if (extra is not null) foreach (var (k, v) in extra) fields[k] = v;
        return PostTelnyxFormAsync("/telnyx/voice", fields);
    }

    /// <summary>
    /// The voicemail's recording status callback as Telnyx documents it (TeXML "recording completed"): the recording's id, and a
    /// file link that expires ten minutes after the call.
    /// </summary>
    public Task<HttpResponseMessage> TelnyxVoicemailRecordedAsync(string callSid, string recordingId) =>
        PostTelnyxFormAsync("/telnyx/voice/recording", new()
        {
            ["AccountSid"] = TelnyxAccountSid, ["CallSid"] = callSid, ["CallSidLegacy"] = callSid, ["ConnectionId"] = "1494404757140276705",
            ["RecordingChannels"] = "1", ["RecordingDuration"] = "14", ["RecordingSid"] = recordingId, ["RecordingSource"] = "RecordVerb",
            ["RecordingStatus"] = "completed",
            ["RecordingUrl"] = $"https://s3.amazonaws.com/telephony-recorder-prod/{TelnyxAccountSid}/{recordingId}.mp3?X-Amz-Expires=600&X-Amz-Signature=abc",
        });

    public async Task<HttpResponseMessage> PostTelnyxFormAsync(string path, Dictionary<string, string> fields) =>
        await PostTelnyxAsync(path, await new FormUrlEncodedContent(fields).ReadAsByteArrayAsync(), "application/x-www-form-urlencoded");

    /// <summary>A text from a phone: Telnyx applies its keyword rules, then posts <c>message.received</c>.</summary>
    private Task<HttpResponseMessage> TelnyxInboundAsync(string from, string to, string body, string? messageId, IDictionary<string, string>? extra)
    {
        Telnyx.Receive(from, to, body);
        var payload = new JsonObject
        {
            ["record_type"] = "message", ["direction"] = "inbound", ["id"] = messageId ?? Guid.NewGuid().ToString(), ["type"] = "SMS",
            ["messaging_profile_id"] = FakeTelnyxApi.MessagingProfileId,
            ["from"] = new JsonObject { ["phone_number"] = from, ["carrier"] = "T-MOBILE USA, INC.", ["line_type"] = "Wireless" },
            ["to"] = new JsonArray(new JsonObject { ["phone_number"] = to, ["status"] = "delivered", ["carrier"] = "TELNYX LLC", ["line_type"] = "VoIP" }),
            ["cc"] = new JsonArray(), ["text"] = body, ["media"] = new JsonArray(), ["encoding"] = "GSM-7", ["parts"] = 1,
            ["received_at"] = Iso(Time.GetUtcNow()), ["errors"] = new JsonArray(),
        };
        if (extra is not null) foreach (var (k, v) in extra) payload[k] = v;
        return PostTelnyxEventAsync("message.received", payload);
    }

    /// <summary><c>message.sent</c> or (for a final status) <c>message.finalized</c> for a text we sent.</summary>
    private Task<HttpResponseMessage> TelnyxStatusAsync(string messageId, string status, int? errorCode)
    {
        var sent = Telnyx.Sent.FirstOrDefault(s => s.Sid == messageId);
        var final = status is "delivered" or "delivery_failed" or "sending_failed" or "delivery_unconfirmed" or "expired";
        var errors = new JsonArray();
        if (errorCode is { } code)
            errors.Add(new JsonObject { ["code"] = code.ToString(CultureInfo.InvariantCulture), ["title"] = "Delivery failed", ["detail"] = "Scripted" });
        var payload = new JsonObject
        {
            ["record_type"] = "message", ["direction"] = "outbound", ["id"] = messageId, ["type"] = "SMS",
            ["from"] = new JsonObject { ["phone_number"] = sent?.From, ["carrier"] = "TELNYX LLC", ["line_type"] = "VoIP" },
            ["to"] = new JsonArray(new JsonObject { ["phone_number"] = sent?.To, ["status"] = status, ["carrier"] = "T-MOBILE USA, INC.", ["line_type"] = "Wireless" }),
            ["text"] = sent?.Body, ["encoding"] = "GSM-7", ["parts"] = 1, ["errors"] = errors,
            ["completed_at"] = final ? Iso(Time.GetUtcNow()) : null,
        };
        return PostTelnyxEventAsync(final ? "message.finalized" : "message.sent", payload);
    }

    public Task<HttpResponseMessage> PostTelnyxEventAsync(string eventType, JsonObject payload)
    {
        var json = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["record_type"] = "event", ["id"] = Guid.NewGuid().ToString(), ["event_type"] = eventType,
                ["occurred_at"] = Iso(Time.GetUtcNow()), ["payload"] = payload,
            },
            ["meta"] = new JsonObject { ["attempt"] = 1, ["delivered_to"] = BaseUrl + TelnyxWebhooks.MessagingPath },
        };
        return PostTelnyxAsync(TelnyxWebhooks.MessagingPath, Encoding.UTF8.GetBytes(json.ToJsonString()), "application/json");
    }

    /// <summary>Posts <paramref name="body"/> as Telnyx does: signed now, over <c>{timestamp}|{body}</c>, with this app's account key.</summary>
    public Task<HttpResponseMessage> PostTelnyxAsync(string path, byte[] body, string contentType)
    {
        var timestamp = Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return SendTelnyxAsync(path, body, contentType, timestamp, SignTelnyx(TelnyxKey, timestamp, body));
    }

    public static string SignTelnyx(Key key, string timestamp, byte[] body) =>
        Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, TelnyxSignature.SignedBytes(timestamp, body)));

    /// <summary>Any request to a Telnyx webhook, with exactly these headers (null leaves one out): what a forger can send.</summary>
    public Task<HttpResponseMessage> SendTelnyxAsync(string path, byte[] body, string contentType, string? timestamp, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (timestamp is not null) request.Headers.TryAddWithoutValidation(TelnyxSignature.TimestampHeader, timestamp);
        if (signature is not null) request.Headers.TryAddWithoutValidation(TelnyxSignature.SignatureHeader, signature);
        return Http.SendAsync(request);
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
