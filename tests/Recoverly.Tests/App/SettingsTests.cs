using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Owners;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

public class SettingsTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string OwnerPhone = "+15125550199";
    private const string Settings = "/app/settings";

    private const string OptInRequest =
        "Recoverly: reply YES to get missed-call alerts for Acme Plumbing. Msg & data rates may apply. Reply STOP to cancel, HELP for help.";

    private static Task<Business> BusinessAsync(TestApp app) => app.QueryAsync(d => d.Businesses.SingleAsync());

    private static Task<HttpResponseMessage> SaveTemplatesAsync(OwnerClient owner, string textBack, string? afterHours = null, string? smartQuotes = null)
    {
        var form = new Dictionary<string, string> { ["textBack"] = textBack };
        if (afterHours is not null) (form["useAfterHours"], form["afterHours"]) = ("true", afterHours);
        if (smartQuotes is not null) form["smartQuotes"] = smartQuotes;
        return owner.PostAsync($"{Settings}?handler=Templates", form, tokenFrom: Settings);
    }

    [Fact]
    public async Task Template_without_the_business_name_or_the_STOP_line_is_refused()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        var noName = await SaveTemplatesAsync(owner, "Sorry we missed you! Reply STOP to opt out.");
        var noStop = await SaveTemplatesAsync(owner, "Hi, {Business} here. Sorry we missed you!");
        var badAfterHours = await SaveTemplatesAsync(owner, "{Business}: sorry we missed you. Reply STOP to opt out.", "We're closed, call tomorrow.");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, noName.StatusCode);
        Assert.Contains("Keep {Business} in the text", WebUtility.HtmlDecode(await noName.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noStop.StatusCode);
        Assert.Contains("Keep the opt-out line", WebUtility.HtmlDecode(await noStop.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badAfterHours.StatusCode);
        Assert.Contains("After hours: Keep {Business}", WebUtility.HtmlDecode(await badAfterHours.Content.ReadAsStringAsync()));
        var business = await BusinessAsync(app);
        Assert.Null(business.TextBackTemplate);
        Assert.Null(business.AfterHoursTemplate);
    }

    [Fact]
    public async Task Promotional_words_warn_but_save_and_a_lower_case_stop_counts()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        const string template = "{Business}: sorry we missed you! Free estimates this week. Reply stop to opt out.";

        var response = await SaveTemplatesAsync(owner, template);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Text-back saved", html);
        Assert.Contains("Carriers filter promotional texts", html);
        Assert.Contains("\"free\"", html);
        Assert.Equal(template, (await BusinessAsync(app)).TextBackTemplate);
    }

    [Fact]
    public async Task Smart_quotes_forcing_UCS2_are_offered_a_fix_before_saving()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        const string curly = "Hi, it’s {Business}. We’ll call you back. Reply STOP to opt out.";

        var offered = await SaveTemplatesAsync(owner, curly);
        Assert.Equal(HttpStatusCode.OK, offered.StatusCode);
        Assert.Contains("Replace them and save", await offered.Content.ReadAsStringAsync());
        Assert.Null((await BusinessAsync(app)).TextBackTemplate);

        var replaced = await SaveTemplatesAsync(owner, curly, smartQuotes: "replace");
        Assert.Equal(HttpStatusCode.Redirect, replaced.StatusCode);
        Assert.Equal("Hi, it's {Business}. We'll call you back. Reply STOP to opt out.", (await BusinessAsync(app)).TextBackTemplate);

        await SaveTemplatesAsync(owner, curly, smartQuotes: "keep");
        Assert.Equal(curly, (await BusinessAsync(app)).TextBackTemplate);
    }

    [Fact]
    public async Task Preview_returns_the_rendered_text_encoding_and_segments_from_the_server_calculator()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        async Task<JsonElement> PreviewAsync(string template)
        {
            var response = await owner.PostAsync($"{Settings}?handler=Preview", new() { ["template"] = template }, tokenFrom: Settings);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        }

        var plain = await PreviewAsync("Hi, this is {Business}. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.");
        Assert.Equal("Hi, this is Acme Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.",
            plain.GetProperty("text").GetString());
        Assert.Equal("GSM-7", plain.GetProperty("encoding").GetString());
        Assert.Equal(1, plain.GetProperty("segments").GetInt32());
        Assert.Equal(160, plain.GetProperty("perSegment").GetInt32());
        Assert.True(plain.GetProperty("canSave").GetBoolean());

        var curly = await PreviewAsync("It’s {Business}. " + new string('x', 60) + " Reply STOP to opt out.");
        Assert.Equal("UCS-2", curly.GetProperty("encoding").GetString());
        Assert.Equal(2, curly.GetProperty("segments").GetInt32());
        Assert.Equal("’", curly.GetProperty("nonGsm")[0].GetString());
        Assert.StartsWith("It's {Business}.", curly.GetProperty("smartFixed").GetString());

        var broken = await PreviewAsync("Call us back 50% off");
        Assert.False(broken.GetProperty("canSave").GetBoolean());
        Assert.Equal(2, broken.GetProperty("errors").GetArrayLength());
        Assert.Contains("% off", broken.GetProperty("warnings")[0].GetString());
    }

    [Fact]
    public async Task After_hours_template_goes_to_callers_outside_business_hours()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        var form = new Dictionary<string, string> { ["opensAt"] = "08:00", ["closesAt"] = "17:00", ["timeZone"] = "America/Chicago" };
        var days = new FormUrlEncodedContent(form.Append(new("__RequestVerificationToken", OwnerClient.Token(await owner.PageAsync(Settings))))
            .Concat(new[] { "Mon", "Tue", "Wed", "Thu", "Fri" }.Select(d => new KeyValuePair<string, string>("OpenDays", d))));
        var hours = await owner.Http.PostAsync($"{Settings}?handler=Hours", days);
        Assert.Equal(HttpStatusCode.Redirect, hours.StatusCode);
        var business = await BusinessAsync(app);
        Assert.Equal((new TimeOnly(8, 0), new TimeOnly(17, 0), "Mon,Tue,Wed,Thu,Fri"), (business.OpensAt, business.ClosesAt, business.OpenDays));
        await SaveTemplatesAsync(owner, "{Business}: sorry we missed you. Reply STOP to opt out.",
            "{Business}: we're closed now and will call you first thing. Reply STOP to opt out.");

        // Chicago is six hours behind UTC: each call falls on one side of 8:00–17:00 in local time and on the other in UTC.
        app.Time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 17, 30, 0, TimeSpan.Zero)); // Friday 11:30 AM in Chicago; 17:30 UTC is after closing
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        app.Time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 13, 30, 0, TimeSpan.Zero)); // Monday 7:30 AM in Chicago; 13:30 UTC is within hours
        await app.MissedCallAsync("+15125550143");
        await app.DispatchAsync();

        Assert.Equal("Acme Plumbing: sorry we missed you. Reply STOP to opt out.", app.Twilio.SentTo(Caller).Single().Body);
        Assert.Equal("Acme Plumbing: we're closed now and will call you first thing. Reply STOP to opt out.",
            app.Twilio.SentTo("+15125550143").Single().Body);
    }

    [Fact]
    public async Task Call_settings_keep_the_episode_window_between_1_and_72_hours()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        var tooLong = await owner.PostAsync($"{Settings}?handler=Calls", new() { ["episodeHours"] = "73", ["mode"] = "Forwarding", ["greeting"] = "Spoken" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        var ok = await owner.PostAsync($"{Settings}?handler=Calls", new() { ["episodeHours"] = "24", ["mode"] = "Forwarding", ["greeting"] = "Voicemail" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);

        var business = await BusinessAsync(app);
        Assert.Equal((24 * 60, CallMode.Forwarding, GreetingKind.Voicemail), (business.EpisodeWindowMinutes, business.Mode, business.Greeting));
    }

    [Fact]
    public async Task Pausing_texting_records_calls_without_texting_them()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        await owner.PostAsync($"{Settings}?handler=Texting", new() { ["paused"] = "true" }, tokenFrom: Settings);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal(CallOutcome.Paused, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        var inbox = await owner.TextAsync("/app");
        Assert.Contains("Not texted — texting paused", inbox);
        Assert.Contains("Texting is paused", inbox);
    }

    [Theory]
    [BothDatabases]
    public async Task Turning_text_alerts_on_asks_for_YES_and_alerts_wait_for_it(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);

        var unticked = await owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "true", ["ownerPhone"] = "(512) 555-0199" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unticked.StatusCode);
        Assert.Empty(await app.QueryAsync(d => d.ConsentEvents.ToListAsync()));

        var on = await owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "true", ["ownerPhone"] = "(512) 555-0199", ["agree"] = "true" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
        var optIn = await app.QueryAsync(d => d.ConsentEvents.SingleAsync());
        Assert.Equal((ConsentKind.OwnerOptIn, ConsentSource.WebForm, OwnerPhone), (optIn.Kind, optIn.Source, optIn.Phone));
        Assert.Equal(OwnerAlertSubscription.DisclosureVersion, optIn.EvidenceRef);
        Assert.Contains(OwnerAlertSubscription.Disclosure, optIn.EvidenceText);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Equal([TextTemplates.OwnerOptInRequest(Number)], app.Twilio.SentTo(OwnerPhone).Select(t => t.Body));
        Assert.Contains("Waiting for your YES", await owner.TextAsync(Settings));

        await app.InboundSmsAsync(OwnerPhone, Number, "YES");
        await app.MissedCallAsync("+15125550143");
        await app.DispatchAsync();
        Assert.Contains(app.Twilio.SentTo(OwnerPhone), t => t.Body.StartsWith("Recoverly: missed call from (512) 555-0143", StringComparison.Ordinal));

        var off = await owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "false" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
        var last = await app.QueryAsync(d => d.ConsentEvents.OrderBy(e => e.Id).LastAsync());
        Assert.Equal((ConsentKind.OwnerOptOut, ConsentSource.WebForm), (last.Kind, last.Source));
        var sent = app.Twilio.SentTo(OwnerPhone).Count;
        await app.MissedCallAsync("+15125550144");
        await app.DispatchAsync();
        Assert.Equal(sent, app.Twilio.SentTo(OwnerPhone).Count);
    }

    [Fact]
    public async Task Changing_the_alert_phone_turns_the_old_one_off_and_asks_the_new_one()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app, ownerPhone: OwnerPhone);
        await app.DispatchAsync();
        await app.InboundSmsAsync(OwnerPhone, Number, "YES");

        await owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "true", ["ownerPhone"] = "+15125550188", ["agree"] = "true" }, tokenFrom: Settings);
        await app.DispatchAsync();

        Assert.Equal(OwnerAlertConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.OwnerStateAsync(d, business.Id, OwnerPhone, default)));
        Assert.Equal(OwnerAlertConsent.Requested, await app.QueryAsync(d => ConsentLedger.OwnerStateAsync(d, business.Id, "+15125550188", default)));
        Assert.Equal(TextTemplates.OwnerOptInRequest(Number), app.Twilio.SentTo("+15125550188").Single().Body);
        // A second request within ten minutes is refused: the form can't be used to text a number over and over.
        var again = await owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "true", ["ownerPhone"] = "+15125550188", ["agree"] = "true" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
    }

    [Fact]
    public async Task Email_alerts_go_through_the_outbox_to_the_mailer_instead_of_SMS()
    {
        var mail = Directory.CreateTempSubdirectory("recoverly-mail-");
        try
        {
            await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Email:PickupFolder"] = mail.FullName });
            var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, ownerPhone: OwnerPhone);
            await app.DispatchAsync();
            await app.InboundSmsAsync(OwnerPhone, Number, "YES");
            await app.DispatchAsync();
            var ownerTexts = app.Twilio.SentTo(OwnerPhone).Count;

            var on = await owner.PostAsync($"{Settings}?handler=EmailAlerts", new() { ["on"] = "true", ["ownerEmail"] = "alerts@acme.example" }, tokenFrom: Settings);
            Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
            await app.MissedCallAsync(Caller);
            var queued = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerEmail));
            Assert.Equal(OutboundStatus.Pending, queued.Status);
            await app.DispatchAsync();

            Assert.Equal(ownerTexts, app.Twilio.SentTo(OwnerPhone).Count);
            var contactId = await app.QueryAsync(d => d.Contacts.Where(c => c.Phone == Caller).Select(c => c.Id).SingleAsync());
            var email = await ReadEmailAsync(Assert.Single(mail.GetFiles("*.eml")));
            Assert.Equal(("alerts@acme.example", "Recoverly: missed call from (512) 555-0142 at 9:00 AM — we're texting them back."), (email.To, email.Subject));
            Assert.Equal($"Recoverly: missed call from (512) 555-0142 at 9:00 AM — we're texting them back.\n\nOpen http://localhost/app/contacts/{contactId}", email.Body);
            Assert.Equal(OutboundStatus.Sent, (await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Id == queued.Id))).Status);

            // Turned off before it went: the queued email is cancelled, not sent.
            await app.MissedCallAsync("+15125550143");
            var off = await owner.PostAsync($"{Settings}?handler=EmailAlerts", new() { ["ownerEmail"] = "alerts@acme.example" }, tokenFrom: Settings);
            Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
            await app.DispatchAsync();
            var second = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerEmail && m.Id != queued.Id));
            Assert.Equal((OutboundStatus.Cancelled, OutboxReason.EmailAlertsOff), (second.Status, second.Reason));
            Assert.Equal(email, await ReadEmailAsync(Assert.Single(mail.GetFiles("*.eml")))); // still only the first one
            Assert.Equal(ownerTexts, app.Twilio.SentTo(OwnerPhone).Count); // and no SMS instead
        }
        finally
        {
            mail.Delete(recursive: true);
        }
    }

    [Theory]
    [BothDatabases]
    public async Task Alerts_during_quiet_hours_arrive_as_one_digest_when_they_end(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, ownerPhone: OwnerPhone);
        await app.DispatchAsync();
        await app.InboundSmsAsync(OwnerPhone, Number, "YES");
        await app.DispatchAsync();
        var quiet = await owner.PostAsync($"{Settings}?handler=QuietHours", new() { ["on"] = "true", ["start"] = "21:00", ["end"] = "07:00" }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.Redirect, quiet.StatusCode);
        var alertsBefore = app.Twilio.SentTo(OwnerPhone).Count;

        app.Time.Advance(TimeSpan.FromHours(13)); // 10:00 PM in Chicago
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, Number, "Water heater is making a noise");
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromHours(2));
        await app.MissedCallAsync("+15125550143");
        await app.MissedCallAsync("anonymous");
        await app.DispatchAsync();

        Assert.Equal(alertsBefore, app.Twilio.SentTo(OwnerPhone).Count);
        Assert.Single(app.Twilio.SentTo(Caller)); // callers are still texted back at night

        app.Time.Advance(TimeSpan.FromHours(7)); // 7:00 AM
        await app.DispatchAsync();

        var digest = Assert.Single(app.Twilio.SentTo(OwnerPhone).Skip(alertsBefore));
        Assert.StartsWith("Recoverly: while your alerts were quiet, Acme Plumbing had 3 missed calls and 1 caller reply.", digest.Body);
        Assert.Contains("(512) 555-0142 called at 10:00 PM — we're texting them back.", digest.Body);
        Assert.Contains("(512) 555-0143 called at 12:00 AM", digest.Body);
        Assert.Contains("A withheld number called", digest.Body);
        Assert.Contains("(512) 555-0142 replied: \"Water heater is making a noise\"", digest.Body);
        Assert.EndsWith("Open http://localhost/app", digest.Body);

        await app.MissedCallAsync("+15125550144");
        await app.DispatchAsync();
        Assert.StartsWith("Recoverly: missed call from (512) 555-0144", app.Twilio.SentTo(OwnerPhone).Last().Body);
    }

    [Fact]
    public async Task Email_alerts_during_quiet_hours_arrive_as_one_digest_email_when_they_end()
    {
        var mail = Directory.CreateTempSubdirectory("recoverly-mail-");
        try
        {
            await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Email:PickupFolder"] = mail.FullName });
            var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
            var on = await owner.PostAsync($"{Settings}?handler=EmailAlerts", new() { ["on"] = "true", ["ownerEmail"] = "alerts@acme.example" }, tokenFrom: Settings);
            Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
            var quiet = await owner.PostAsync($"{Settings}?handler=QuietHours", new() { ["on"] = "true", ["start"] = "21:00", ["end"] = "07:00" }, tokenFrom: Settings);
            Assert.Equal(HttpStatusCode.Redirect, quiet.StatusCode);

            app.Time.Advance(TimeSpan.FromHours(13)); // 10:00 PM in Chicago
            await app.MissedCallAsync(Caller);
            await app.InboundSmsAsync(Caller, Number, "Water heater is making a noise");
            await app.DispatchAsync();
            app.Time.Advance(TimeSpan.FromHours(2)); // midnight
            await app.MissedCallAsync("+15125550143");
            await app.DispatchAsync();
            Assert.Empty(mail.GetFiles("*.eml")); // nothing while the owner sleeps
            Assert.Equal(2, app.Twilio.Sent.Count(t => t.Body.StartsWith("Hi, this is", StringComparison.Ordinal))); // callers are still texted back

            app.Time.Advance(TimeSpan.FromHours(7)); // 7:00 AM
            await app.DispatchAsync();

            var digest = await ReadEmailAsync(Assert.Single(mail.GetFiles("*.eml")));
            Assert.Equal(("alerts@acme.example", "Recoverly: while your alerts were quiet, Acme Plumbing had 2 missed calls and 1 caller reply."),
                (digest.To, digest.Subject));
            Assert.Equal("""
                Recoverly: while your alerts were quiet, Acme Plumbing had 2 missed calls and 1 caller reply.
                (512) 555-0142 called at 10:00 PM — we're texting them back.
                (512) 555-0143 called at 12:00 AM — we're texting them back.
                (512) 555-0142 replied: "Water heater is making a noise"
                Open http://localhost/app
                """, digest.Body);
            Assert.Empty(app.Twilio.SentTo(OwnerPhone));
        }
        finally
        {
            mail.Delete(recursive: true);
        }
    }

    /// <summary>An email the pickup-folder mailer wrote, as the owner's mail program shows it.</summary>
    private static async Task<(string To, string Subject, string Body)> ReadEmailAsync(FileInfo file)
    {
        using var message = await MimeKit.MimeMessage.LoadAsync(file.FullName);
        return (Assert.Single(message.To.Mailboxes).Address, message.Subject ?? "", (message.TextBody ?? "").ReplaceLineEndings("\n").TrimEnd('\n'));
    }
}
