using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Telephony;
using Recoverly.Telephony.Simulator;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// A forged webhook must change nothing: the signature is checked against
/// PublicBaseUrl + path + query before anything is read into the database, and malformed requests
/// are refused with 400.
/// </summary>
public class WebhookSecurityTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private enum Forgery { WrongToken, SimulatorToken, NoSignature, EmptySignature, SignedForOtherPath, SignedForOtherHost, TamperedField }

    public static TheoryData<Db, string> DatabasesAndPaths => new()
    {
        { Db.Sqlite, "/twilio/voice" }, { Db.Sqlite, "/twilio/sms" }, { Db.Sqlite, "/twilio/sms/status" },
        { Db.Postgres, "/twilio/voice" }, { Db.Postgres, "/twilio/sms" }, { Db.Postgres, "/twilio/sms/status" },
    };

    [Theory]
    [MemberData(nameof(DatabasesAndPaths))]
    public async Task Forged_webhooks_get_403_and_change_nothing(Db db, string path)
    {
        await using var app = await TestApp.StartAsync(db);
        var textSid = await TextedCallerAsync(app);
        var before = await SnapshotAsync(app);
        // Each forgery carries something that would change the record: a new call, a STOP, an opt-out error code.
        var fields = path switch
        {
            "/twilio/voice" => CallFields("+15125550143", TestApp.NewSid("CA")),
            "/twilio/sms" => SmsFields(Caller, "STOP", TestApp.NewSid("SM")),
            _ => StatusFields(textSid, "undelivered", "21610"),
        };

        foreach (var forgery in Enum.GetValues<Forgery>())
        {
            var response = await SendForgedAsync(app, path, fields, forgery);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{forgery} on {path}: HTTP {(int)response.StatusCode}");
        }

        Assert.Equal(before, await SnapshotAsync(app));
        if (path == "/twilio/voice") Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.InboundMessages.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.ConsentEvents.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.MessageStatusEvents.CountAsync()));
        // The genuine webhook still works afterwards: the 403s were the signature, not the request.
        (await app.PostSignedAsync(path, fields)).EnsureSuccessStatusCode();
    }

    [Theory]
    [InlineData("/twilio/voice")]
    [InlineData("/twilio/sms")]
    [InlineData("/twilio/sms/status")]
    public async Task A_body_that_is_not_a_form_is_refused_with_400(string path)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        var json = $$"""{"CallSid":"{{TestApp.NewSid("CA")}}","MessageSid":"{{TestApp.NewSid("SM")}}","From":"{{Caller}}","To":"{{Number}}","Body":"STOP"}""";
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Twilio-Signature", SimulatorCarrier.Sign(TestApp.AuthToken, TestApp.BaseUrl + path, new Dictionary<string, string>()));

        var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Nothing, await SnapshotAsync(app));
    }

    [Theory]
    [BothDatabases]
    public async Task A_signed_body_over_64_KiB_is_refused_with_400_and_nothing_is_stored(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        var body = "Please call me back. " + new string('x', TwilioSignatureFilter.MaxBodyBytes);

        var response = await app.InboundSmsAsync(Caller, Number, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Nothing, await SnapshotAsync(app));
    }

    [Fact]
    public async Task A_chunked_signed_body_over_64_KiB_is_refused_with_400_by_the_real_server()
    {
        // Without a Content-Length only the server's body-size limit stops it (Kestrel has one; the in-process TestServer has not).
        await using var app = await AppProcess.CreateAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        await app.StartServerAsync();
        var fields = SmsFields(Caller, "Please call me back about the leak", TestApp.NewSid("SM"));
        for (var i = 0; i < 80; i++) fields[$"Pad{i:D2}"] = new string('x', 1024); // each value under the per-value limit
        var form = new FormUrlEncodedContent(fields);
        var request = new HttpRequestMessage(HttpMethod.Post, app.BaseUrl + "/twilio/sms") { Content = new StreamContent(await form.ReadAsStreamAsync()) };
        request.Content.Headers.ContentType = form.Headers.ContentType;
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-Twilio-Signature", SimulatorCarrier.Sign(TestApp.AuthToken, app.BaseUrl + "/twilio/sms", fields));

        var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Nothing, await app.QueryAsync(SnapshotAsync));
    }

    public static TheoryData<string, string> MissingSids => new()
    {
        { "/twilio/voice", "CallSid" },
        { "/twilio/sms", "MessageSid" },
        { "/twilio/sms/status", "MessageSid" },
    };

    [Theory]
    [MemberData(nameof(MissingSids))]
    public async Task A_signed_webhook_without_its_sid_is_refused_with_400(string path, string missing)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var textSid = await TextedCallerAsync(app);
        var before = await SnapshotAsync(app);
        var fields = path switch
        {
            "/twilio/voice" => CallFields("+15125550143", TestApp.NewSid("CA")),
            "/twilio/sms" => SmsFields(Caller, "STOP", TestApp.NewSid("SM")),
            _ => StatusFields(textSid, "delivered", null),
        };
        fields.Remove(missing);
        fields.Remove("SmsSid");
        fields.Remove("SmsMessageSid");

        var response = await app.PostSignedAsync(path, fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await SnapshotAsync(app));
    }

    [Theory]
    [BothDatabases]
    public async Task A_signature_over_the_public_url_with_its_query_string_is_accepted(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        var signedWithQuery = CallFields(Caller, TestApp.NewSid("CA"));
        var signedWithoutQuery = CallFields("+15125550143", TestApp.NewSid("CA"));

        var accepted = await SendAsync(app, "/twilio/voice?x=1", signedWithQuery,
            SimulatorCarrier.Sign(TestApp.AuthToken, TestApp.BaseUrl + "/twilio/voice?x=1", signedWithQuery));
        var refused = await SendAsync(app, "/twilio/voice?x=1", signedWithoutQuery,
            SimulatorCarrier.Sign(TestApp.AuthToken, TestApp.BaseUrl + "/twilio/voice", signedWithoutQuery));

        Assert.Contains("<Say>", await HttpAssert.OkXmlAsync(accepted));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var call = await app.QueryAsync(d => d.MissedCalls.SingleAsync());
        Assert.Equal(signedWithQuery["CallSid"], call.CallSid);
    }

    [Fact]
    public async Task An_sms_to_a_number_that_is_not_ours_gets_an_empty_response_and_nothing_is_stored()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();

        var response = await app.InboundSmsAsync(Caller, "+15125559999", "STOP");

        Assert.Contains("<Response", await HttpAssert.OkXmlAsync(response));
        Assert.Equal(Nothing, await SnapshotAsync(app));
    }

    /// <summary>A business, a missed call and its dispatched text-back; returns the text's provider SID.</summary>
    private static async Task<string> TextedCallerAsync(TestApp app)
    {
        await app.AddBusinessAsync();
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        return Assert.Single(app.Twilio.SentTo(Caller)).Sid;
    }

    private static Task<HttpResponseMessage> SendForgedAsync(TestApp app, string path, Dictionary<string, string> fields, Forgery forgery)
    {
        var url = TestApp.BaseUrl + path;
        return forgery switch
        {
            Forgery.WrongToken => SendAsync(app, path, fields, SimulatorCarrier.Sign("not-the-auth-token", url, fields)),
            // The simulator's token is published in the source; it must mean nothing in Twilio mode.
            Forgery.SimulatorToken => SendAsync(app, path, fields, SimulatorCarrier.Sign(TwilioOptions.SimulatorAuthToken, url, fields)),
            Forgery.NoSignature => SendAsync(app, path, fields, null),
            Forgery.EmptySignature => SendAsync(app, path, fields, ""),
            Forgery.SignedForOtherPath => SendAsync(app, path, fields,
                SimulatorCarrier.Sign(TestApp.AuthToken, TestApp.BaseUrl + (path == "/twilio/voice" ? "/twilio/voice/status" : "/twilio/voice"), fields)),
            Forgery.SignedForOtherHost => SendAsync(app, path, fields, SimulatorCarrier.Sign(TestApp.AuthToken, "https://attacker.example" + path, fields)),
            Forgery.TamperedField => SendAsync(app, path, Tampered(fields), SimulatorCarrier.Sign(TestApp.AuthToken, url, fields)),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
    }

    /// <summary>The signed fields with one value changed after signing.</summary>
    private static Dictionary<string, string> Tampered(Dictionary<string, string> fields)
    {
        var copy = new Dictionary<string, string>(fields);
        if (copy.ContainsKey("Body")) copy["Body"] = "STOP ALL";
        else if (copy.ContainsKey("ErrorCode")) copy["ErrorCode"] = "21611";
        else copy["From"] = "+15125550144";
        return copy;
    }

    private static Task<HttpResponseMessage> SendAsync(TestApp app, string pathAndQuery, Dictionary<string, string> fields, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(fields) };
        if (signature is not null) request.Headers.Add("X-Twilio-Signature", signature);
        return app.Http.SendAsync(request);
    }

    private static Dictionary<string, string> CallFields(string from, string callSid) => new()
    {
        ["AccountSid"] = TestApp.AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid, ["CallStatus"] = "ringing",
        ["Direction"] = "inbound", ["From"] = from, ["To"] = Number, ["Caller"] = from, ["Called"] = Number,
    };

    private static Dictionary<string, string> SmsFields(string from, string body, string sid) => new()
    {
        ["AccountSid"] = TestApp.AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = sid, ["SmsSid"] = sid, ["SmsMessageSid"] = sid,
        ["SmsStatus"] = "received", ["From"] = from, ["To"] = Number, ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1",
    };

    private static Dictionary<string, string> StatusFields(string sid, string status, string? errorCode)
    {
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["ApiVersion"] = "2010-04-01", ["MessageSid"] = sid, ["SmsSid"] = sid,
            ["MessageStatus"] = status, ["SmsStatus"] = status, ["To"] = Caller, ["From"] = Number,
        };
        if (errorCode is not null) fields["ErrorCode"] = errorCode;
        return fields;
    }

    private const string Nothing = "calls 0, inbound 0, consent 0, status 0, contacts 0, outbound 0";

    private static Task<string> SnapshotAsync(TestApp app) => app.QueryAsync(SnapshotAsync);

    /// <summary>Row counts plus every outbox row's state: equal snapshots mean nothing was written.</summary>
    private static async Task<string> SnapshotAsync(RecoverlyDb d)
    {
        var counts = $"calls {await d.MissedCalls.CountAsync()}, inbound {await d.InboundMessages.CountAsync()}, " +
                     $"consent {await d.ConsentEvents.CountAsync()}, status {await d.MessageStatusEvents.CountAsync()}, " +
                     $"contacts {await d.Contacts.CountAsync()}, outbound {await d.OutboundMessages.CountAsync()}";
        var rows = await d.OutboundMessages.OrderBy(m => m.Id)
            .Select(m => new { m.Id, m.Status, m.ErrorCode, m.Reason, m.ProviderStatus }).ToListAsync();
        return counts + string.Concat(rows.Select(r => $"; #{r.Id} {r.Status} {r.ProviderStatus} {r.ErrorCode} {r.Reason}"));
    }
}
