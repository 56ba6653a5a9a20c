using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

/// <summary>
/// Call-through on Telnyx (docs/product/call-through.md, docs/decisions/0005-telnyx-voice-texml.md): the same rules as on
/// Twilio — only a verified line is dialled, only a press of 1 at the screen makes a call answered — through TeXML's
/// <c>&lt;Dial action&gt;</c>, <c>&lt;Number url&gt;</c> and <c>&lt;Gather&gt;</c>, and the verification call through the TeXML Calls API.
/// </summary>
public class TelnyxCallThroughTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string Line = "+15125550101";
    private const string Settings = "/app/settings";
    private const string FormType = "application/x-www-form-urlencoded";

    private static Task<Business> BusinessAsync(TestApp app) => app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync());

    private static async Task CallThroughBusinessAsync(TestApp app, string name = "Acme Plumbing")
    {
        await app.AddBusinessAsync(name: name);
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Mode, CallMode.CallThrough).SetProperty(b => b.VerifiedLine, Line)));
    }

    /// <summary>The dial's action request for the caller's call, TwiML-style as TeXML sends it.</summary>
    private static Dictionary<string, string> DialEnded(string callSid, string dialStatus) => new()
    {
        ["AccountSid"] = TestApp.TelnyxAccountSid, ["CallSid"] = callSid, ["CallSidLegacy"] = callSid, ["From"] = Caller, ["To"] = Number,
        ["Direction"] = "inbound", ["CallStatus"] = "in-progress", ["DialCallStatus"] = dialStatus,
        ["DialCallSid"] = TestApp.NewTelnyxCallSid(), ["DialCallDuration"] = dialStatus == "completed" ? "21" : "0",
    };

    /// <summary>The business line's leg, as Telnyx requests the whisper's URLs for it.</summary>
    private static Dictionary<string, string> LineLeg(string parentSid, string? digits = null)
    {
        var sid = TestApp.NewTelnyxCallSid();
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.TelnyxAccountSid, ["CallSid"] = sid, ["CallSidLegacy"] = sid, ["ParentCallSid"] = parentSid,
            ["From"] = Caller, ["To"] = Line, ["Direction"] = "outbound-dial", ["CallStatus"] = "in-progress",
        };
        if (digits is not null) fields["Digits"] = digits;
        return fields;
    }

    private static string PathOf(string url) => new Uri(url).PathAndQuery;

    /// <summary>A call reaches the Recoverly number; returns the screen URL the dial's <c>&lt;Number url&gt;</c> names.</summary>
    private static async Task<string> DialledAsync(TestApp app, string sid)
    {
        var texml = XDocument.Parse(await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: sid)));
        var dial = texml.Root!.Element("Dial")!;
        Assert.Equal("http://localhost/telnyx/voice/dial", dial.Attribute("action")!.Value);
        Assert.Equal("18", dial.Attribute("timeout")!.Value);
        var number = dial.Element("Number")!;
        Assert.Equal(Line, number.Value);
        Assert.StartsWith("http://localhost/telnyx/voice/screen?s=", number.Attribute("url")!.Value);
        return PathOf(number.Attribute("url")!.Value);
    }

    /// <summary>The whisper for the line; returns the Gather's action (where the press goes).</summary>
    private static async Task<string> WhisperAsync(TestApp app, string screenPath, string sid)
    {
        var screen = XDocument.Parse(await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(screenPath, LineLeg(sid)))).Root!;
        var gather = screen.Element("Gather")!;
        Assert.Equal("1", gather.Attribute("numDigits")!.Value);
        Assert.StartsWith("http://localhost/telnyx/voice/screen/answer?s=", gather.Attribute("action")!.Value);
        Assert.Equal("Hangup", ((XElement)gather.NextNode!).Name.LocalName);
        return PathOf(gather.Attribute("action")!.Value);
    }

    [Theory]
    [BothDatabases("no-answer")]
    [BothDatabases("busy")]
    [BothDatabases("failed")]
    [BothDatabases("canceled")]
    public async Task A_Telnyx_dial_nobody_took_is_a_missed_call_and_the_caller_is_texted_back(Db db, string dialStatus)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewTelnyxCallSid();
        await DialledAsync(app, sid);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync())); // ringing the line is not a missed call yet

        var after = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, DialEnded(sid, dialStatus)));
        await app.DispatchAsync();

        Assert.Contains("Sorry we missed your call at Acme Plumbing", after);
        var missed = await app.QueryAsync(d => d.MissedCalls.SingleAsync());
        Assert.Equal((sid, CallOutcome.Texted), (missed.CallSid, missed.Outcome));
        Assert.Single(app.Telnyx.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task Pressing_1_on_Telnyx_makes_the_call_answered_and_no_text_goes(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewTelnyxCallSid();
        var answer = await WhisperAsync(app, await DialledAsync(app, sid), sid);

        var pressed = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(answer, LineLeg(sid, digits: "1")));
        // A repeated request for the same press changes nothing.
        await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(answer, LineLeg(sid, digits: "1")));
        var after = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, DialEnded(sid, "completed")));
        await app.DispatchAsync();

        Assert.DoesNotContain("<Hangup", pressed); // the empty answer ends the whisper and connects the caller
        Assert.Contains("<Hangup", after);
        Assert.Equal(sid, await app.QueryAsync(d => d.ScreenedCalls.Select(c => c.CallSid).SingleAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Empty(app.Telnyx.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task A_completed_Telnyx_dial_without_a_press_is_the_owners_voicemail_so_a_missed_call_texted_back(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await CallThroughBusinessAsync(app, name: "Smith & Sons <Plumbing>");
        var sid = TestApp.NewTelnyxCallSid();
        var screenPath = await DialledAsync(app, sid);

        // The owner's cell voicemail picks up and hears the whisper (the name escaped); it presses nothing, another key hangs up.
        var whisper = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(screenPath, LineLeg(sid)));
        Assert.Contains("Call for Smith &amp; Sons &lt;Plumbing&gt;: press 1 to take it.", whisper);
        var answer = await WhisperAsync(app, screenPath, sid);
        Assert.Contains("<Hangup", await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(answer, LineLeg(sid, digits: "2"))));

        var after = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, DialEnded(sid, "completed")));
        await app.DispatchAsync();

        Assert.Contains("Sorry we missed your call at Smith &amp; Sons &lt;Plumbing&gt;", after);
        Assert.Equal(0, await app.QueryAsync(d => d.ScreenedCalls.CountAsync()));
        Assert.Equal(CallOutcome.Texted, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        Assert.Single(app.Telnyx.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task A_replayed_Telnyx_dial_action_request_sends_one_text(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewTelnyxCallSid();
        await DialledAsync(app, sid);

        var first = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, DialEnded(sid, "no-answer")));
        await app.DispatchAsync();
        var replay = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, DialEnded(sid, "no-answer")));
        await app.DispatchAsync();

        Assert.Equal(first, replay); // the same greeting, built again from the stored outcome
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Single(app.Telnyx.SentTo(Caller));
    }

    [Theory]
    [BothDatabases(true)]
    [BothDatabases(false)]
    public async Task A_Telnyx_dial_action_request_without_a_dial_status_is_decided_by_the_press_alone(Db db, bool pressed)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewTelnyxCallSid();
        var answer = await WhisperAsync(app, await DialledAsync(app, sid), sid);
        if (pressed) await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(answer, LineLeg(sid, digits: "1")));
        var ended = DialEnded(sid, "completed");
        ended.Remove("DialCallStatus");

        var after = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, ended));
        await app.DispatchAsync();

        Assert.Equal(pressed ? 0 : 1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(pressed ? 0 : 1, app.Telnyx.SentTo(Caller).Count);
        Assert.Equal(!pressed, after.Contains("Sorry we missed your call", StringComparison.Ordinal));
    }

    [Theory]
    [BothDatabases]
    public async Task On_Telnyx_the_verification_call_says_the_code_and_only_the_right_code_turns_call_through_on(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);

        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync($"{Settings}?handler=CallMe", new(), tokenFrom: Settings)).StatusCode);

        // Placed through the TeXML application, from the Recoverly number to the line, the code said twice in inline TeXML.
        var call = Assert.Single(app.Telnyx.Calls);
        Assert.Equal((Line, Number, (string?)null), (call.To, call.From, call.Url));
        Assert.Matches("^[0-9]{6}$", call.Code);
        var says = XDocument.Parse(call.Twiml!).Root!.Elements("Say").Select(s => s.Value).ToList();
        Assert.Equal(2, says.Count);
        Assert.All(says, s => Assert.Equal(LineVerification.Words("Acme Plumbing", call.Code!), s));
        Assert.Equal(call.Sid, await app.QueryAsync(d => d.LineVerificationCalls.Select(c => c.CallSid).SingleAsync()));
        Assert.Contains("Code sent", await owner.TextAsync(Settings));

        // Until the code is typed the line is never dialled: the call is missed and texted back.
        Assert.DoesNotContain("<Dial", await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller)));
        await app.DispatchAsync();
        Assert.Single(app.Telnyx.SentTo(Caller));

        var wrong = call.Code == "000000" ? "111111" : "000000";
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await owner.PostAsync($"{Settings}?handler=LineCode", new() { ["code"] = wrong }, tokenFrom: Settings)).StatusCode);
        Assert.Equal(CallMode.Forwarding, (await BusinessAsync(app)).Mode);

        Assert.Equal(HttpStatusCode.Redirect,
            (await owner.PostAsync($"{Settings}?handler=LineCode", new() { ["code"] = call.Code! }, tokenFrom: Settings)).StatusCode);
        var verified = await BusinessAsync(app);
        Assert.Equal((CallMode.CallThrough, Line), (verified.Mode, verified.VerifiedLine));
        await DialledAsync(app, TestApp.NewTelnyxCallSid());
    }

    [Fact]
    public async Task Without_a_TeXML_application_Telnyx_refuses_the_verification_call_clearly_and_places_none()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx, new Dictionary<string, string?> { ["Telnyx:TexmlApplicationId"] = "" });
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);

        Assert.Contains("isn't set up to place the verification call", await owner.TextAsync(Settings));
        var refused = await owner.PostAsync($"{Settings}?handler=CallMe", new(), tokenFrom: Settings);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("isn't set up to place the verification call", WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Empty(app.Telnyx.Calls);
        Assert.Null((await BusinessAsync(app)).LineCodeHash);
    }

    [Fact]
    public async Task A_verification_call_Telnyx_refuses_tells_the_owner_and_leaves_no_code()
    {
        // A TeXML application id Telnyx doesn't know: the create is answered 404.
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx, new Dictionary<string, string?> { ["Telnyx:TexmlApplicationId"] = "999" });
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);

        var refused = await owner.PostAsync($"{Settings}?handler=CallMe", new(), tokenFrom: Settings);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains(VerificationCallResult.TryLater, WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Empty(app.Telnyx.Calls);
        Assert.Null((await BusinessAsync(app)).LineCodeHash);
        // It still counts towards the limits, so failing calls can't dodge them.
        Assert.Equal(1, await app.QueryAsync(d => d.LineVerificationCalls.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Unsigned_or_forged_requests_to_the_Telnyx_call_through_webhooks_are_refused_and_change_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewTelnyxCallSid();
        var screenPath = await DialledAsync(app, sid);
        var answer = await WhisperAsync(app, screenPath, sid);
        var timestamp = app.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var otherKey = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519);

        foreach (var (path, fields) in new[] { (answer, LineLeg(sid, digits: "1")), (TelnyxWebhooks.DialPath, DialEnded(sid, "no-answer")),
                     (screenPath, LineLeg(sid)) })
        {
            var body = await new FormUrlEncodedContent(fields).ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.Forbidden, (await app.SendTelnyxAsync(path, body, FormType, null, null)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await app.SendTelnyxAsync(path, body, FormType, timestamp, "forged")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden,
                (await app.SendTelnyxAsync(path, body, FormType, timestamp, TestApp.SignTelnyx(otherKey, timestamp, body))).StatusCode);
        }

        // Signed, but the screen's key is missing, altered, or made up: a clear 400, no press recorded.
        var token = answer[(answer.IndexOf("?s=", StringComparison.Ordinal) + 3)..];
        var altered = token[..^2] + (token[^2] == 'A' ? "BB" : "AA");
        foreach (var path in new[] { TelnyxWebhooks.ScreenAnswerPath, $"{TelnyxWebhooks.ScreenAnswerPath}?s={altered}",
                     $"{TelnyxWebhooks.ScreenAnswerPath}?s={Convert.ToBase64String(Encoding.UTF8.GetBytes($"1|{sid}"))}" })
        {
            var response = await app.PostTelnyxFormAsync(path, LineLeg(sid, digits: "1"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("screen's key", await response.Content.ReadAsStringAsync());
        }
        // A dial action request without the caller's CallSid is refused too.
        var noSid = DialEnded(sid, "no-answer");
        noSid.Remove("CallSid");
        Assert.Equal(HttpStatusCode.BadRequest, (await app.PostTelnyxFormAsync(TelnyxWebhooks.DialPath, noSid)).StatusCode);

        await app.DispatchAsync();
        Assert.Equal(0, await app.QueryAsync(d => d.ScreenedCalls.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Empty(app.Telnyx.SentTo(Caller));
    }
}
