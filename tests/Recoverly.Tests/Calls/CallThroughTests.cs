using System.Net;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Calls;

/// <summary>
/// Call-through (docs/product/call-through.md): Recoverly rings only a business line the owner proved with a verification
/// call, and the line must press 1 at the screen for a call to count as answered.
/// </summary>
public class CallThroughTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string Line = "+15125550101";
    private const string Settings = "/app/settings";

    private static Task<Business> BusinessAsync(TestApp app) => app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync());

    private static Task<HttpResponseMessage> CallMeAsync(OwnerClient owner) =>
        owner.PostAsync($"{Settings}?handler=CallMe", new(), tokenFrom: Settings);

    private static Task<HttpResponseMessage> EnterCodeAsync(OwnerClient owner, string code) =>
        owner.PostAsync($"{Settings}?handler=LineCode", new() { ["code"] = code }, tokenFrom: Settings);

    private static async Task<string> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    /// <summary>A business whose line is verified and in call-through mode (what a correct code leaves behind).</summary>
    private static async Task<Business> CallThroughBusinessAsync(TestApp app, string name = "Acme Plumbing")
    {
        var business = await app.AddBusinessAsync(name: name);
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Mode, CallMode.CallThrough).SetProperty(b => b.VerifiedLine, Line)));
        return business;
    }

    private static Dictionary<string, string> DialComplete(string callSid, string dialStatus, string? bridged = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["CallSid"] = callSid, ["From"] = Caller, ["To"] = Number, ["Direction"] = "inbound",
            ["CallStatus"] = "in-progress", ["DialCallStatus"] = dialStatus, ["DialCallSid"] = TestApp.NewSid("CA"), ["DialCallDuration"] = "21",
        };
        if (bridged is not null) fields["DialBridged"] = bridged;
        return fields;
    }

    /// <summary>The business line's leg as Twilio would request a URL for it: the child CallSid, the parent's as ParentCallSid.</summary>
    private static Dictionary<string, string> LineLeg(string parentSid, string? digits = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["CallSid"] = TestApp.NewSid("CA"), ["ParentCallSid"] = parentSid, ["From"] = Caller, ["To"] = Line,
            ["Direction"] = "outbound-dial", ["CallStatus"] = "in-progress",
        };
        if (digits is not null) fields["Digits"] = digits;
        return fields;
    }

    /// <summary>Path and query of a URL in our TwiML (signed as Twilio would request it).</summary>
    private static string PathOf(string url) => new Uri(url).PathAndQuery;

    [Theory]
    [BothDatabases("+44 20 7946 0958", "countries it serves")]
    [BothDatabases("+1 876 555 0142", "countries it serves")]
    [BothDatabases("(900) 555-0123", "premium-rate")]
    public async Task A_business_line_outside_the_allowed_countries_or_premium_is_refused_and_nothing_is_saved(Db db, string typed, string problem)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);

        var page = await ProblemAsync(await owner.PostAsync($"{Settings}?handler=BusinessLine", new() { ["businessLine"] = typed }, tokenFrom: Settings));

        Assert.Contains(problem, page);
        Assert.Equal(Line, (await BusinessAsync(app)).BusinessPhone);
        Assert.Empty(app.Twilio.Calls);
    }

    [Theory]
    [BothDatabases]
    public async Task A_call_through_line_in_a_disallowed_country_is_never_dialled_even_if_marked_verified(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync(businessPhone: "+442079460958");
        // As an old row might be: call-through on a foreign line, "verified".
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Mode, CallMode.CallThrough).SetProperty(b => b.VerifiedLine, "+442079460958")));

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));
        await app.DispatchAsync();

        Assert.DoesNotContain("<Dial", twiml);
        Assert.Equal(CallOutcome.Texted, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task Call_through_is_not_active_until_the_owner_types_the_code_the_verification_call_said(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);

        // Choosing call-through without a verified line is refused and changes nothing.
        var refused = await ProblemAsync(await owner.PostAsync($"{Settings}?handler=Calls",
            new() { ["episodeHours"] = "24", ["mode"] = "CallThrough", ["greeting"] = "Voicemail" }, tokenFrom: Settings));
        Assert.Contains("verify that line first", refused);
        var before = await BusinessAsync(app);
        Assert.Equal((CallMode.Forwarding, 12 * 60), (before.Mode, before.EpisodeWindowMinutes));

        // The verification call rings the business line from the Recoverly number, with a code.
        Assert.Equal(HttpStatusCode.Redirect, (await CallMeAsync(owner)).StatusCode);
        var call = Assert.Single(app.Twilio.Calls);
        Assert.Equal((Line, Number), (call.To, call.From));
        Assert.Matches("^[0-9]{6}$", call.Code);
        Assert.Contains("Code sent", await owner.TextAsync(Settings));

        // Code sent but not entered: a call is still a missed call, texted back, the line is not dialled.
        var pending = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));
        Assert.DoesNotContain("<Dial", pending);
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Caller));

        Assert.Equal("/app/settings?saved=line-verified#calls", (await EnterCodeAsync(owner, call.Code!)).Headers.Location?.OriginalString);
        var verified = await BusinessAsync(app);
        Assert.Equal((CallMode.CallThrough, Line), (verified.Mode, verified.VerifiedLine));
        var dial = await HttpAssert.OkXmlAsync(await app.MissedCallAsync("+15125550143"));
        Assert.Contains("<Dial action=\"http://localhost/twilio/voice/dial-complete\" timeout=\"18\">", dial);
        Assert.Contains($">{Line}</Number>", dial);

        // A new business line starts unverified: call-through goes off at once.
        Assert.Equal(HttpStatusCode.Redirect,
            (await owner.PostAsync($"{Settings}?handler=BusinessLine", new() { ["businessLine"] = "(512) 555-0177" }, tokenFrom: Settings)).StatusCode);
        var changed = await BusinessAsync(app);
        Assert.Equal(("+15125550177", CallMode.Forwarding, (string?)null), (changed.BusinessPhone, changed.Mode, changed.VerifiedLine));
        Assert.DoesNotContain("<Dial", await HttpAssert.OkXmlAsync(await app.MissedCallAsync("+15125550144")));
        Assert.Contains("Not verified", await owner.TextAsync(Settings));
    }

    [Theory]
    [BothDatabases]
    public async Task Five_wrong_codes_lock_the_code_and_a_malformed_entry_changes_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);
        await CallMeAsync(owner);
        var code = app.Twilio.CodeSaidTo(Line);
        var wrong = code == "000000" ? "111111" : "000000";

        Assert.Contains("Enter the 6-digit code", await ProblemAsync(await EnterCodeAsync(owner, "12ab")));
        Assert.Equal(0, (await BusinessAsync(app)).LineCodeAttempts);
        for (var i = 1; i <= LineVerification.MaxWrongCodes; i++)
            Assert.Contains(i < LineVerification.MaxWrongCodes ? "That's not the code" : "entered wrong 5 times", await ProblemAsync(await EnterCodeAsync(owner, wrong)));

        Assert.Contains("entered wrong 5 times", await ProblemAsync(await EnterCodeAsync(owner, code)));
        var business = await BusinessAsync(app);
        Assert.Equal((CallMode.Forwarding, (string?)null), (business.Mode, business.VerifiedLine));
        Assert.Contains("Not verified", await owner.TextAsync(Settings));
    }

    [Theory]
    [BothDatabases]
    public async Task An_expired_code_is_refused(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);
        await CallMeAsync(owner);
        var code = app.Twilio.CodeSaidTo(Line);

        app.Time.Advance(LineVerification.CodeLifetime + TimeSpan.FromSeconds(1));

        Assert.Contains("expired", await ProblemAsync(await EnterCodeAsync(owner, code)));
        Assert.Null((await BusinessAsync(app)).VerifiedLine);
    }

    [Theory]
    [BothDatabases]
    public async Task Verification_calls_are_rate_limited_per_account(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, businessPhone: Line);

        for (var i = 0; i < LineVerification.CallsPerHour; i++) Assert.Equal(HttpStatusCode.Redirect, (await CallMeAsync(owner)).StatusCode);
        Assert.Contains("3 times in the last hour", await ProblemAsync(await CallMeAsync(owner)));
        Assert.Equal(LineVerification.CallsPerHour, app.Twilio.Calls.Count);

        // Only the newest code works: the earlier calls' codes were replaced.
        app.Time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(HttpStatusCode.Redirect, (await CallMeAsync(owner)).StatusCode);
        Assert.Equal(LineVerification.CallsPerHour + 1, app.Twilio.Calls.Count);
    }

    [Theory]
    [BothDatabases]
    public async Task The_business_line_hears_the_escaped_business_name_and_is_hung_up_on_without_a_press(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await CallThroughBusinessAsync(app, name: "Smith & Sons <Plumbing>");
        var sid = TestApp.NewSid("CA");

        var dial = XDocument.Parse(await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: sid)));
        var screenUrl = dial.Descendants("Number").Single().Attribute("url")!.Value;
        Assert.StartsWith("http://localhost/twilio/voice/screen?", screenUrl);

        var forged = await app.PostSignedAsync(PathOf(screenUrl), LineLeg(sid), signature: "forged");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);

        var screenXml = await HttpAssert.OkXmlAsync(await app.PostSignedAsync(PathOf(screenUrl), LineLeg(sid)));
        Assert.Contains("Call for Smith &amp; Sons &lt;Plumbing&gt;: press 1 to take it.", screenXml);
        var screen = XDocument.Parse(screenXml).Root!;
        var gather = screen.Element("Gather")!;
        Assert.Equal("1", gather.Attribute("numDigits")!.Value);
        Assert.StartsWith("http://localhost/twilio/voice/screen/answer?", gather.Attribute("action")!.Value);
        Assert.Equal("Hangup", ((XElement)gather.NextNode!).Name.LocalName);

        // Any key but 1 hangs up too.
        var other = await HttpAssert.OkXmlAsync(await app.PostSignedAsync(PathOf(gather.Attribute("action")!.Value), LineLeg(sid, digits: "2")));
        Assert.Contains("<Hangup", other);
        Assert.Equal(0, await app.QueryAsync(d => d.ScreenedCalls.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_completed_dial_without_a_press_is_a_missed_call_and_the_caller_is_texted_back(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewSid("CA");
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: sid));

        // The owner's cell voicemail answered: the dial "completed", nobody pressed 1.
        var after = await HttpAssert.OkXmlAsync(await app.PostSignedAsync("/twilio/voice/dial-complete", DialComplete(sid, "completed", bridged: "true")));
        await app.DispatchAsync();

        Assert.Contains("Sorry we missed your call at Acme Plumbing", after);
        Assert.Equal(CallOutcome.Texted, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task Pressing_1_makes_the_call_answered_and_no_text_goes(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await CallThroughBusinessAsync(app);
        var sid = TestApp.NewSid("CA");
        var dial = XDocument.Parse(await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: sid)));
        var screen = XDocument.Parse(await HttpAssert.OkXmlAsync(
            await app.PostSignedAsync(PathOf(dial.Descendants("Number").Single().Attribute("url")!.Value), LineLeg(sid))));
        var action = PathOf(screen.Root!.Element("Gather")!.Attribute("action")!.Value);

        var pressed = await HttpAssert.OkXmlAsync(await app.PostSignedAsync(action, LineLeg(sid, digits: "1")));
        // Twilio retries a webhook it didn't hear back from: the second press changes nothing.
        await HttpAssert.OkXmlAsync(await app.PostSignedAsync(action, LineLeg(sid, digits: "1")));
        var after = await HttpAssert.OkXmlAsync(await app.PostSignedAsync("/twilio/voice/dial-complete", DialComplete(sid, "completed")));
        await app.DispatchAsync();

        Assert.DoesNotContain("<Hangup", pressed); // an empty answer ends the whisper and connects the caller
        Assert.Contains("<Hangup", after);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Empty(app.Twilio.SentTo(Caller));

        // A press is kept only while the dial's end (and the provider's retries of it) can still come: the next press a day later sweeps it.
        app.Time.Advance(Recoverly.Calls.CallScreening.Kept + TimeSpan.FromMinutes(1));
        var business = await app.QueryAsync(d => d.ScreenedCalls.Select(c => c.BusinessId).SingleAsync());
        await app.QueryAsync(async d =>
        {
            await Recoverly.Calls.CallScreening.AcceptAsync(d, TestApp.NewSid("CA"), business, app.Time.GetUtcNow().UtcDateTime, CancellationToken.None);
            return 0;
        });
        Assert.False(await app.QueryAsync(d => d.ScreenedCalls.AnyAsync(c => c.CallSid == sid)));
    }

    [Fact]
    public async Task The_simulator_records_the_verification_call_and_shows_the_code()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Telephony:Provider"] = "Simulator" });
        var owner = await OwnerClient.LogInAsync(app, Recoverly.Hosting.DemoSeed.DemoOwnerEmail, Recoverly.Hosting.DemoSeed.DemoOwnerPassword);

        Assert.Equal(HttpStatusCode.Redirect, (await CallMeAsync(owner)).StatusCode);

        var calls = await app.Http.GetStringAsync("/simulator/api/calls");
        var code = System.Text.RegularExpressions.Regex.Match(calls, @"code is ([\d, ]+)").Groups[1].Value.Replace(", ", "", StringComparison.Ordinal);
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Equal(HttpStatusCode.Redirect, (await EnterCodeAsync(owner, code)).StatusCode);
        Assert.Equal(CallMode.CallThrough, (await app.QueryAsync(d => d.Businesses.AsNoTracking().FirstAsync())).Mode);
    }
}
