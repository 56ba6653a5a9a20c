using System.Text;
using Microsoft.EntityFrameworkCore;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// No secrets, full phone numbers or message bodies in logs. A whole day of traffic — a
/// missed call, replies both ways, HELP, STOP, owner alerts, a 21610, a forged webhook — then a search
/// of everything the app logged.
/// </summary>
[Collection(AppProcessCollection.Name)]
public class LogPrivacyTests
{
    private const string Number = "+15125550100";
    private const string Caller = "+15125550142";
    private const string SecondCaller = "+15125550143";
    private const string ThirdCaller = "+15125550144";
    private const string Owner = "+15125550199";
    private const string CallerReply = "Need my water heater looked at tomorrow, gate code 4471";
    private const string OwnerReply = "On my way at 3pm with the zebra van";

    [Theory]
    [BothDatabases]
    public async Task A_day_of_traffic_leaves_no_numbers_bodies_or_secrets_in_the_logs(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner, Number);

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, CallerReply);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Owner, Number, OwnerReply);
        await app.DispatchAsync();
        var textBack = app.Twilio.SentTo(Caller).First();
        await app.MessageStatusAsync(textBack.Sid, "delivered");
        await app.InboundSmsAsync(Caller, Number, "HELP");
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.DispatchAsync();
        // The text-back and the owner's alert go out together, and either may take the next answer: both get 21610.
        app.Twilio.Script(new Scripted(400, 21610), new Scripted(400, 21610));
        await app.MissedCallAsync(SecondCaller);
        await app.DispatchAsync();
        app.Twilio.Script(new Scripted(503, 0)); // an in-doubt send (owner alerts are off now), settled through the list API
        await app.MissedCallAsync(ThirdCaller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromSeconds(5));
        await app.DispatchAsync();
        await app.PostSignedAsync("/twilio/sms", new Dictionary<string, string>
        {
            ["MessageSid"] = TestApp.NewSid("SM"), ["From"] = Caller, ["To"] = Number, ["Body"] = CallerReply,
        }, signature: "forged");

        // The scenario really happened (so the search below is not over an empty log) ...
        Assert.Contains(app.Twilio.SentTo(Owner), t => t.Body.Contains("replied", StringComparison.Ordinal));
        Assert.Contains(app.Twilio.SentTo(Caller), t => t.Body == OwnerReply);
        Assert.Contains(app.Twilio.SentTo(Caller), t => t.Body.Contains("unsubscribed", StringComparison.Ordinal));
        Assert.Equal(2, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Kind == Recoverly.Consent.ConsentKind.OptOut)));
        Assert.Equal(1, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Kind == Recoverly.Consent.ConsentKind.OwnerOptOut)));
        Assert.Single(app.Twilio.SentTo(ThirdCaller)); // resent once, after the list showed the 503 had created nothing
        Assert.Contains("+1*******42", app.Logs.All); // masked numbers are how calls show up in logs
        // ... and nothing private reached the logs.
        AssertNothingPrivate(app.Logs.All, app.Twilio.Sent.Select(t => t.Body));
    }

    [Theory]
    [BothDatabases]
    public async Task A_day_of_Telnyx_traffic_leaves_no_numbers_bodies_or_secrets_in_the_logs(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await app.AddBusinessWithConfirmedOwnerAsync(Owner, Number);

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, CallerReply);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Owner, Number, OwnerReply);
        await app.DispatchAsync();
        await app.MessageStatusAsync(app.Telnyx.SentTo(Caller).First().Sid, "delivered");
        await app.InboundSmsAsync(Caller, Number, "HELP");
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, "Stop please");
        await app.DispatchAsync();
        app.Telnyx.Script(new Scripted(400, 40300), new Scripted(400, 40300));
        await app.MissedCallAsync(SecondCaller);
        await app.DispatchAsync();
        app.Telnyx.Script(new Scripted(503, 10007)); // in doubt: waits for Telnyx's search, then settles through it
        await app.MissedCallAsync(ThirdCaller);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromSeconds(30));
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(3));
        await app.DispatchAsync();
        var forged = Encoding.UTF8.GetBytes($$"""{"data":{"event_type":"message.received","payload":{"id":"{{Guid.NewGuid()}}","from":{"phone_number":"{{Caller}}"},"to":[{"phone_number":"{{Number}}"}],"text":"{{CallerReply}}"}""" + "}}");
        await app.SendTelnyxAsync("/telnyx/messaging", forged, "application/json", "1", "forged");

        Assert.Contains(app.Telnyx.SentTo(Owner), t => t.Body.Contains("replied", StringComparison.Ordinal));
        Assert.Contains(app.Telnyx.SentTo(Caller), t => t.Body == OwnerReply);
        Assert.Contains(app.Telnyx.SentTo(Caller), t => t.Body.Contains("unsubscribed", StringComparison.Ordinal));
        Assert.Equal(2, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Kind == Recoverly.Consent.ConsentKind.OptOut)));
        Assert.Single(app.Telnyx.SentTo(ThirdCaller));
        Assert.Contains("asking again later", app.Logs.All);
        Assert.Contains("+1*******42", app.Logs.All);
        AssertNothingPrivate(app.Logs.All, app.Telnyx.Sent.Select(t => t.Body));
    }

    [Fact]
    public async Task The_server_process_writes_no_numbers_bodies_or_secrets_to_its_console()
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, sink, new Dictionary<string, string?>
        {
            ["Logging__LogLevel__Default"] = "Debug", // what an operator chasing a problem would turn on
        });
        await app.AddBusinessAsync(ownerPhone: Owner);
        await app.StartServerAsync();

        await SmsAsync(app, Owner, "YES");
        await Eventually.TrueAsync(() => sink.Api.SentTo(Owner).Count == 2, "the owner got the opt-in request and the alerts-on confirmation", context: app.ConsoleTail);
        await CallAsync(app, Caller);
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 1 && sink.Api.SentTo(Owner).Count == 3, "the text-back and the owner's alert went out", context: app.ConsoleTail);
        await SmsAsync(app, Caller, CallerReply);
        await Eventually.TrueAsync(() => sink.Api.SentTo(Owner).Count == 4, "the owner was alerted to the reply", context: app.ConsoleTail);
        await SmsAsync(app, Owner, OwnerReply);
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 2, "the owner's reply was relayed", context: app.ConsoleTail);
        await SmsAsync(app, Caller, "HELP");
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 3, "the HELP answer went out", context: app.ConsoleTail);
        await SmsAsync(app, Caller, "STOP");
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 4, "the STOP confirmation went out", context: app.ConsoleTail);
        sink.ScriptEachSend((_, to) => to == SecondCaller ? new Scripted(400, 21610) : null);
        await CallAsync(app, SecondCaller);
        await Eventually.TrueAsync(() => app.QueryAsync(d => d.ConsentEvents.AnyAsync(e => e.Phone == SecondCaller)), "21610 was recorded as an opt-out", context: app.ConsoleTail);
        var forged = await app.Http.PostAsync(app.BaseUrl + "/twilio/sms", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["MessageSid"] = TestApp.NewSid("SM"), ["From"] = Caller, ["To"] = Number, ["Body"] = CallerReply,
        }));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, forged.StatusCode);
        await app.StopServerAsync(); // a graceful stop flushes the console logger

        var console = app.ServerStdout + "\n" + app.ServerStderr;
        Assert.Contains("+1*******42", console);
        AssertNothingPrivate(console, sink.Api.Sent.Select(t => t.Body));
    }

    private static async Task CallAsync(AppProcess app, string from) => (await app.MissedCallAsync(from)).EnsureSuccessStatusCode();

    private static async Task SmsAsync(AppProcess app, string from, string body) => (await app.InboundSmsAsync(from, body)).EnsureSuccessStatusCode();

    private static void AssertNothingPrivate(string logs, IEnumerable<string> sentBodies)
    {
        var basicAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestApp.AccountSid}:{TestApp.AuthToken}"));
        var forbidden = new List<(string What, string Text)>
        {
            ("auth token", TestApp.AuthToken),
            ("Basic auth header", basicAuth),
            ("Telnyx API key", TestApp.TelnyxApiKey),
            ("caller's reply", CallerReply),
            ("part of the caller's reply", "water heater"),
            ("owner's reply", OwnerReply),
        };
        foreach (var phone in new[] { Caller, SecondCaller, ThirdCaller, Owner })
        {
            forbidden.Add(("E.164 number", phone));
            forbidden.Add(("national digits", phone[2..]));
            forbidden.Add(("URL-encoded number", "%2B" + phone[1..]));
            forbidden.Add(("display number", $"({phone[2..5]}) {phone[5..8]}-{phone[8..]}"));
        }
        foreach (var body in sentBodies.Distinct())
            forbidden.Add(("outbound body", body.Length > 40 ? body[..40] : body));

        var leaks = forbidden.Where(f => logs.Contains(f.Text, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(leaks.Count == 0, "Logs contain " + string.Join("; ", leaks.Select(l =>
            $"{l.What} '{l.Text}' in: {LineWith(logs, l.Text)}")));
    }

    private static string LineWith(string logs, string text) =>
        logs.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.OrdinalIgnoreCase))?.Trim() ?? "";
}
