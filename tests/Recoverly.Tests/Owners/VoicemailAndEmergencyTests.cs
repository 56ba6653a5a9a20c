using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Owners;

/// <summary>Voicemail in the owner's alerts and the recording player; emergency words (docs/product/owner-alerts.md).</summary>
public partial class VoicemailAndEmergencyTests
{
    private const string Caller = "+15125550142";
    private const string OtherCaller = "+15125550143";
    private const string Owner = "+15125550199";
    private const string Number = "+15125550100";
    private const string RecordingSid = "RE0123456789abcdef0123456789abcdef";

    private static async Task<(TestApp App, OwnerClient Owner, Business Business)> StartAsync(Db db)
    {
        var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app, ownerPhone: Owner);
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.Greeting, GreetingKind.Voicemail)));
        await app.DispatchAsync();
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Owner, Number, "YES"));
        await app.DispatchAsync();
        return (app, owner, business);
    }

    private static Task<long> ContactIdAsync(TestApp app, string phone) =>
        app.QueryAsync(d => d.Contacts.Where(c => c.Phone == phone).Select(c => c.Id).SingleAsync());

    [Theory]
    [BothDatabases]
    public async Task A_transcription_that_arrives_before_the_alert_goes_out_is_in_the_alert(Db db)
    {
        var (app, _, _) = await StartAsync(db);
        await using var _app = app;
        var before = app.Twilio.SentTo(Owner).Count;
        var callSid = TestApp.NewSid("CA");

        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: callSid));
        await HttpAssert.OkXmlAsync(await app.VoicemailRecordedAsync(callSid, RecordingSid));
        await HttpAssert.OkXmlAsync(await app.VoicemailTranscribedAsync(callSid, RecordingSid, "Hi, this is Dana, the water heater is making a noise. Call me back please."));
        await app.DispatchAsync();

        var alert = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.Equal("Recoverly: missed call from (512) 555-0142 at 9:00 AM — we're texting them back. "
                     + "Voicemail: \"Hi, this is Dana, the water heater is making a noise. Call me back please.\"", alert.Body);
    }

    [Theory]
    [BothDatabases]
    public async Task A_transcription_after_the_alert_went_out_follows_it_once(Db db)
    {
        var (app, _, _) = await StartAsync(db);
        await using var _app = app;
        var callSid = TestApp.NewSid("CA");
        await app.MissedCallAsync(Caller, callSid: callSid);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;
        var said = "Hello, I'd like a quote for replacing the kitchen faucet and the garbage disposal, ideally next week some time in the "
                   + "afternoon, thanks so much.";

        await HttpAssert.OkXmlAsync(await app.VoicemailTranscribedAsync(callSid, RecordingSid, said));
        await HttpAssert.OkXmlAsync(await app.VoicemailTranscribedAsync(callSid, RecordingSid, said)); // Twilio retries
        await app.DispatchAsync();

        var contactId = await ContactIdAsync(app, Caller);
        var followUp = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.Equal($"Recoverly: voicemail from (512) 555-0142: \"{said[..117].TrimEnd()}...\" http://localhost/app/contacts/{contactId}", followUp.Body);
        Assert.Equal(Number, followUp.From);
        Assert.DoesNotContain("garbage disposal", app.Logs.All, StringComparison.Ordinal);
    }

    [Theory]
    [BothDatabases]
    public async Task A_failed_transcription_tells_the_owner_to_listen_in_the_app(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        var callSid = TestApp.NewSid("CA");
        await app.MissedCallAsync(Caller, callSid: callSid);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        await HttpAssert.OkXmlAsync(await app.VoicemailRecordedAsync(callSid, RecordingSid));
        await HttpAssert.OkXmlAsync(await app.VoicemailTranscribedAsync(callSid, RecordingSid, null, status: "failed"));
        await app.DispatchAsync();

        var contactId = await ContactIdAsync(app, Caller);
        var followUp = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.Equal($"Recoverly: voicemail left by (512) 555-0142 — listen in the app: http://localhost/app/contacts/{contactId}", followUp.Body);
        var page = await owner.TextAsync($"/app/contacts/{contactId}");
        Assert.Contains("Voicemail left (it could not be transcribed)", page);
        Assert.Contains($"src=\"/app/contacts/{contactId}/recording/", page);
    }

    [Theory]
    [BothDatabases]
    public async Task The_recording_plays_through_the_app_for_its_owner_only(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        var callSid = TestApp.NewSid("CA");
        await app.MissedCallAsync(Caller, callSid: callSid);
        await app.VoicemailRecordedAsync(callSid, RecordingSid);
        var contactId = await ContactIdAsync(app, Caller);
        var callId = await app.QueryAsync(d => d.MissedCalls.Where(c => c.CallSid == callSid).Select(c => c.Id).SingleAsync());
        var path = $"/app/contacts/{contactId}/recording/{callId}";

        var page = await owner.PageAsync($"/app/contacts/{contactId}");
        Assert.Contains($"src=\"{path}\"", page);
        Assert.DoesNotContain("api.twilio.com", page, StringComparison.Ordinal);
        Assert.DoesNotContain(RecordingSid, page, StringComparison.Ordinal);

        using var audio = await owner.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        Assert.Equal("audio/mpeg", audio.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Recoverly.Telephony.RecordingMedia.SilentMp3(), await audio.Content.ReadAsByteArrayAsync());
        Assert.Contains("no-store", audio.Headers.CacheControl?.ToString());
        Assert.Equal($"/2010-04-01/Accounts/{TestApp.AccountSid}/Recordings/{RecordingSid}.mp3", Assert.Single(app.Twilio.RecordingFetches));

        var (other, _) = await OwnerClient.SignUpWithBusinessAsync(app, email: "other@example.com", name: "Other Co", number: "+15125550300",
            businessPhone: "+15125550301");
        using (other)
            Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(path)).StatusCode);
        using var anonymous = OwnerClient.Anonymous(app);
        using var signedOut = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.StartsWith("/login", signedOut.Headers.Location?.PathAndQuery);
        Assert.Single(app.Twilio.RecordingFetches); // neither reached the provider
    }

    [Theory]
    [BothDatabases]
    public async Task An_emergency_word_in_a_reply_during_quiet_hours_alerts_the_owner_at_once(Db db)
    {
        var (app, _, _) = await StartAsync(db);
        await using var _app = app;
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s
            .SetProperty(b => b.QuietHoursStart, new TimeOnly(21, 0)).SetProperty(b => b.QuietHoursEnd, new TimeOnly(7, 0))));
        app.Time.Advance(TimeSpan.FromHours(13)); // 10:00 PM in Chicago
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, Number, "Can you come tomorrow?");
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        await app.InboundSmsAsync(Caller, Number, "Water everywhere, the basement is FLOODING!!");
        await app.DispatchAsync();

        var contactId = await ContactIdAsync(app, Caller);
        var urgent = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.Equal("Recoverly URGENT (\"flooding\"): (512) 555-0142 wrote: \"Water everywhere, the basement is FLOODING!!\" — reply to this text "
                     + $"to answer, or open http://localhost/app/contacts/{contactId}", urgent.Body);
        // The ordinary reply still waits for the morning digest; the caller's texts are untouched.
        Assert.Equal(1, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerDigest && m.Status == OutboundStatus.Pending)));
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task Gasoline_is_not_gas_and_such_a_reply_is_coalesced_as_usual(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        var saved = await owner.PostAsync("/app/settings?handler=EmergencyWords", new() { ["words"] = "gas\nno heat" }, tokenFrom: "/app/settings");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        await app.InboundSmsAsync(Caller, Number, "I smell gasoline in the garage");
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.InboundSmsAsync(Caller, Number, "Also the mower won't start");
        await app.DispatchAsync();

        // The first reply alerts at once; the second waits out the 5 minutes like any reply.
        var first = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.StartsWith("Recoverly: (512) 555-0142 replied: \"I smell gasoline in the garage\"", first.Body);
        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Owner).Skip(before).Count());
        Assert.StartsWith("Recoverly: (512) 555-0142 replied: \"Also the mower won't start\"", app.Twilio.SentTo(Owner)[^1].Body);
        Assert.Null(await app.QueryAsync(d => d.Contacts.Where(c => c.Phone == Caller).Select(c => c.UrgentAt).SingleAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Owner_edited_words_take_effect(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        var saved = await owner.PostAsync("/app/settings?handler=EmergencyWords", new() { ["words"] = "Gas, no heat , water in the wall" },
            tokenFrom: "/app/settings");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal("Gas\nno heat\nwater in the wall", await app.QueryAsync(d => d.Businesses.Select(b => b.EmergencyWords).SingleAsync()));
        await app.MissedCallAsync(Caller);
        await app.MissedCallAsync(OtherCaller);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        await app.InboundSmsAsync(OtherCaller, Number, "The basement is flooding"); // a default word, no longer on the list
        await app.InboundSmsAsync(Caller, Number, "there's WATER in the wall... and a gas smell?");
        await app.DispatchAsync();

        var sent = app.Twilio.SentTo(Owner).Skip(before).Select(t => t.Body).ToList();
        Assert.Equal(2, sent.Count);
        Assert.StartsWith("Recoverly: (512) 555-0143 replied:", sent[0]);
        Assert.StartsWith("Recoverly URGENT (\"water in the wall\"): (512) 555-0142 wrote:", sent[1]);
        Assert.Contains("emergency words", await owner.TextAsync("/app/settings"));
    }

    [Theory]
    [BothDatabases]
    public async Task Bad_emergency_words_get_a_clear_error_and_nothing_is_saved(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        var cases = new Dictionary<string, string>
        {
            [""] = "Enter at least one emergency word",
            [" \n , \n"] = "Enter at least one emergency word",
            [string.Join('\n', Enumerable.Range(1, 31).Select(i => $"word{i}"))] = "That's 31 entries; keep it to 30 or fewer.",
            ["flood\n" + new string('x', 41)] = "is longer than 40 characters",
            ["flood\n!!!"] = "\"!!!\" has no letters or digits to match.",
            ["water coming through the ceiling fast"] = "has more than 4 words",
        };
        foreach (var (words, error) in cases)
        {
            using var response = await owner.PostAsync("/app/settings?handler=EmergencyWords", new() { ["words"] = words }, tokenFrom: "/app/settings");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains(error, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
            Assert.Null(await app.QueryAsync(d => d.Businesses.Select(b => b.EmergencyWords).SingleAsync()));
        }
    }

    [Theory]
    [BothDatabases]
    public async Task An_urgent_conversation_sorts_first_in_the_inbox_until_the_owner_handles_it(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        await app.MissedCallAsync(Caller);
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.InboundSmsAsync(Caller, Number, "Burst pipe in the kitchen!");
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.MissedCallAsync(OtherCaller);
        await app.DispatchAsync();

        var inbox = await owner.TextAsync("/app?handler=Rows");
        Assert.Equal(["(512) 555-0142", "(512) 555-0143"], Who().Matches(inbox).Select(m => m.Groups[1].Value).ToList());
        Assert.Contains("Urgent · “burst pipe”", inbox);
        var contactId = await ContactIdAsync(app, Caller);
        var conversation = await owner.TextAsync($"/app/contacts/{contactId}");
        Assert.Contains("Urgent: they said “burst pipe”", Regex.Replace(conversation, "<[^>]+>", ""));

        var handled = await owner.PostAsync($"/app/contacts/{contactId}?handler=Handled", new(), tokenFrom: $"/app/contacts/{contactId}");
        Assert.Equal(HttpStatusCode.Redirect, handled.StatusCode);

        inbox = await owner.TextAsync("/app?handler=Rows");
        Assert.Equal(["(512) 555-0143", "(512) 555-0142"], Who().Matches(inbox).Select(m => m.Groups[1].Value).ToList());
        Assert.DoesNotContain("Urgent ·", inbox);
    }

    [Theory]
    [BothDatabases]
    public async Task An_emergency_word_in_a_voicemail_alerts_at_once_and_marks_the_conversation(Db db)
    {
        var (app, owner, _) = await StartAsync(db);
        await using var _app = app;
        using var _owner = owner;
        var callSid = TestApp.NewSid("CA");
        await app.MissedCallAsync(Caller, callSid: callSid);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        await app.VoicemailTranscribedAsync(callSid, RecordingSid, "There is no heat in the house and it's freezing.");
        await app.DispatchAsync();

        var urgent = Assert.Single(app.Twilio.SentTo(Owner).Skip(before));
        Assert.StartsWith("Recoverly URGENT (\"no heat\"): voicemail from (512) 555-0142: \"There is no heat in the house", urgent.Body);
        Assert.Equal("no heat", await app.QueryAsync(d => d.Contacts.Where(c => c.Phone == Caller).Select(c => c.UrgentWord).SingleAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Emergency_alerts_have_their_own_daily_cap(Db db)
    {
        var (app, _, _) = await StartAsync(db);
        await using var _app = app;
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var before = app.Twilio.SentTo(Owner).Count;

        for (var i = 0; i < OwnerAlerts.EmergencyDailyCap + 2; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(1));
            await app.InboundSmsAsync(Caller, Number, $"fire {i}");
            await app.DispatchAsync();
        }
        app.Time.Advance(OwnerAlerts.ReplyCoalesceWindow);
        await app.DispatchAsync();

        var sent = app.Twilio.SentTo(Owner).Skip(before).ToList();
        Assert.Equal(OwnerAlerts.EmergencyDailyCap, sent.Count(t => t.Body.StartsWith("Recoverly URGENT", StringComparison.Ordinal)));
        // Past the cap a reply takes the ordinary way: one reply alert, the rest coalesced behind it.
        Assert.StartsWith("Recoverly: (512) 555-0142 sent 2 replies, latest: \"fire 11\"",
            Assert.Single(sent, t => t.Body.StartsWith("Recoverly: (512) 555-0142", StringComparison.Ordinal)).Body);
    }

    [GeneratedRegex("""class="who"[^>]*>([^<]+)<""")]
    private static partial Regex Who();
}
