using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Telephony;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// What is particular to Telnyx (the shared consent and exactly-once scenarios run against it in their own
/// classes): TeXML greetings and voicemail, Telnyx's status words and error codes, Telnyx answering its own
/// keywords, and how an in-doubt send is settled.
/// </summary>
public class TelnyxScenarioTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static Task<OutboundMessage> TextBackAsync(TestApp app, string to = Caller) =>
        app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack && m.To == to));

    private static Task SetGreetingAsync(TestApp app, GreetingKind greeting) =>
        app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.Greeting, greeting)));

    [Theory]
    [BothDatabases]
    public async Task Voicemail_greeting_records_the_message_and_keeps_its_transcription_and_the_calls_status(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await app.AddBusinessAsync();
        await SetGreetingAsync(app, GreetingKind.Voicemail);
        var callSid = TestApp.NewTelnyxCallSid();

        var texml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, callSid: callSid));
        var recordingId = app.Telnyx.AddRecording();
        var recording = await HttpAssert.OkXmlAsync(await app.TelnyxVoicemailRecordedAsync(callSid, recordingId));
        await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync("/telnyx/voice/recording", new()
        {
            ["CallSid"] = callSid, ["TranscriptionStatus"] = "completed", ["TranscriptionText"] = "Water heater is leaking, please call back",
        }));
        await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync("/telnyx/voice/status", new()
        {
            ["CallSid"] = callSid, ["CallStatus"] = "completed", ["CallDuration"] = "31",
        }));
        await app.DispatchAsync();

        Assert.Contains("<Say>Sorry we missed your call at Acme Plumbing. We'll text you right away. You can also leave a message after the tone.</Say>", texml);
        Assert.Contains("""<Record action="http://localhost/telnyx/voice/recording" maxLength="120" playBeep="true" recordingStatusCallback="http://localhost/telnyx/voice/recording" transcription="true" transcriptionCallback="http://localhost/telnyx/voice/recording" />""", texml);
        Assert.Contains("<Hangup />", recording);
        var call = await app.QueryAsync(d => d.MissedCalls.SingleAsync());
        // Only the recording's id is kept, never Telnyx's expiring file link.
        Assert.Equal($"https://api.telnyx.com/v2/recordings/{recordingId}", call.RecordingUrl);
        Assert.Equal("Water heater is leaking, please call back", call.Transcription);
        Assert.Equal("completed", call.CallStatus);
        Assert.Equal(31, call.DurationSeconds);
        Assert.Single(app.Telnyx.SentTo(Caller));
    }

    [Fact]
    public async Task No_greeting_rejects_the_call_as_busy_and_still_texts_back()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();
        await SetGreetingAsync(app, GreetingKind.RejectBusy);

        var texml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));
        await app.DispatchAsync();

        Assert.Contains("""<Reject reason="busy" />""", texml);
        Assert.DoesNotContain("<Say>", texml);
        Assert.Equal(CallOutcome.Texted, await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).SingleAsync()));
        Assert.Single(app.Telnyx.SentTo(Caller));
    }

    [Fact]
    public async Task Calls_to_numbers_that_are_not_ours_and_legs_we_placed_are_not_missed_calls()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();

        var stranger = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, to: "+15125550177"));
        var outbound = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, extra: new Dictionary<string, string> { ["Direction"] = "outbound" }));
        await app.DispatchAsync();

        Assert.Contains("<Reject />", stranger);
        Assert.DoesNotContain("<Say>", outbound);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Empty(app.Telnyx.Sent);
    }

    [Fact]
    public async Task An_unverified_call_through_business_on_Telnyx_never_dials_its_line_and_the_call_is_missed()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.Mode, CallMode.CallThrough)));

        var texml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller));

        Assert.DoesNotContain("<Dial", texml);
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Telnyx_status_events_move_a_text_forward_only_and_teach_landlines(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await app.AddBusinessAsync();
        const string Filtered = "+15125550143";
        const string Landline = "+15125550144";
        foreach (var n in new[] { Caller, Filtered, Landline }) await app.MissedCallAsync(n);
        await app.DispatchAsync();
        var id = app.Telnyx.SentTo(Caller).Single().Sid;

        await HttpAssert.OkAsync(await app.MessageStatusAsync(id, "sent"));
        Assert.Equal(OutboundStatus.Sent, (await TextBackAsync(app)).Status);
        await HttpAssert.OkAsync(await app.MessageStatusAsync(id, "delivered"));
        var delivered = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Delivered, delivered.Status);
        Assert.Equal("delivered", delivered.ProviderStatus);

        // Late and replayed events change nothing.
        await HttpAssert.OkAsync(await app.MessageStatusAsync(id, "sent"));
        await HttpAssert.OkAsync(await app.MessageStatusAsync(id, "queued"));
        await HttpAssert.OkAsync(await app.MessageStatusAsync(id, "delivered"));
        await HttpAssert.OkAsync(await app.MessageStatusAsync(id, "delivery_failed", 40008));
        var still = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Delivered, still.Status);
        Assert.Null(still.ErrorCode);

        await HttpAssert.OkAsync(await app.MessageStatusAsync(app.Telnyx.SentTo(Filtered).Single().Sid, "delivery_failed", 40002));
        var filtered = await TextBackAsync(app, Filtered);
        Assert.Equal(OutboundStatus.Undelivered, filtered.Status);
        Assert.Equal(40002, filtered.ErrorCode);
        Assert.Equal("Not delivered — filtered by the carrier as spam", Recoverly.Owners.OwnerWords.Reason(filtered.Reason, filtered.Kind, filtered.ErrorCode));

        await HttpAssert.OkAsync(await app.MessageStatusAsync(app.Telnyx.SentTo(Landline).Single().Sid, "delivery_failed", 40001));
        Assert.Equal(OutboundStatus.Undelivered, (await TextBackAsync(app, Landline)).Status);
        app.Time.Advance(TimeSpan.FromHours(13)); // past the episode window
        await app.MissedCallAsync(Landline);
        await app.DispatchAsync();
        var outcomes = await app.QueryAsync(d => d.MissedCalls.Where(c => c.FromE164 == Landline).OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.Landline], outcomes);
        Assert.Single(app.Telnyx.SentTo(Landline));
    }

    [Fact]
    public async Task After_a_STOP_Telnyx_blocks_even_the_HELP_answer_and_the_40300_changes_no_consent()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.InboundSmsAsync(Caller, Number, "help");
        await app.DispatchAsync();

        // HELP is owed even to an opted-out caller, but Telnyx's block rule refuses it; the refusal is shown, not hidden.
        var help = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.HelpReply));
        Assert.Equal(OutboundStatus.Failed, help.Status);
        Assert.Equal(40300, help.ErrorCode);
        Assert.Empty(app.Telnyx.SentTo(Caller));
        var kinds = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == Caller).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync());
        Assert.Equal([ConsentKind.OptOut, ConsentKind.Help], kinds); // already opted out: the 40300 is not a second opt-out
    }

    [Fact]
    public async Task With_Advanced_Opt_In_Out_Telnyx_names_the_keyword_it_answered_and_Recoverly_only_records_it()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();

        await HttpAssert.OkAsync(await app.InboundSmsAsync(Caller, Number, "INFO", extra: new Dictionary<string, string> { ["autoresponse_type"] = "help" }));
        await HttpAssert.OkAsync(await app.InboundSmsAsync("+15125550143", Number, "Stop please", extra: new Dictionary<string, string> { ["autoresponse_type"] = "stop" }));
        await app.DispatchAsync();

        Assert.Empty(app.Telnyx.Sent);
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync()));
        var kinds = await app.QueryAsync(d => d.ConsentEvents.OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync());
        Assert.Equal([ConsentKind.Help, ConsentKind.OptOut], kinds);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_in_doubt_Telnyx_send_is_not_judged_before_Telnyx_can_list_it(bool telnyxTookIt)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();
        app.Telnyx.Script(new Scripted(503, 10007, Record: telnyxTookIt));
        var calledAt = app.Time.GetUtcNow();

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        // A running dispatcher comes back after each backoff; until Telnyx's search can show the attempt, nothing is resent.
        while (app.Time.GetUtcNow() + TimeSpan.FromSeconds(20) < calledAt + TelnyxGateway.ListingDelay)
        {
            app.Time.Advance(TimeSpan.FromSeconds(20));
            await app.DispatchAsync();
            Assert.Equal(1, app.Telnyx.Requests);
            Assert.Equal(OutboundStatus.InDoubt, (await TextBackAsync(app)).Status);
        }

        app.Time.Advance(TimeSpan.FromSeconds(40));
        await app.DispatchAsync();

        var text = Assert.Single(app.Telnyx.SentTo(Caller));
        Assert.Equal(telnyxTookIt ? 1 : 2, app.Telnyx.Requests);
        var settled = await TextBackAsync(app);
        Assert.Equal(text.Sid, settled.ProviderSid);
        Assert.True(DeliveryStatus.Rank(settled.Status) >= 1, $"status {settled.Status}");
        Assert.True(settled.SentAt <= calledAt.UtcDateTime + TimeSpan.FromMinutes(3)); // a late text-back, never a second one
    }

    [Fact]
    public async Task A_refused_API_key_fails_the_text_as_an_operator_problem()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx, new Dictionary<string, string?> { ["Telnyx:ApiKey"] = "KEY-revoked" });
        await app.AddBusinessAsync();

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var failed = await TextBackAsync(app);
        Assert.Equal(OutboundStatus.Failed, failed.Status);
        Assert.Equal(10009, failed.ErrorCode);
        Assert.Equal("Not sent — provider credentials were refused; the operator must fix them",
            Recoverly.Owners.OwnerWords.Reason(failed.Reason, failed.Kind, failed.ErrorCode));
        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("needs operator action", StringComparison.Ordinal));
        Assert.DoesNotContain("KEY-revoked", app.Logs.All);
    }

    [Fact]
    public async Task Sends_carry_the_messaging_profile_and_ask_for_status_events_at_the_Telnyx_webhook()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var text = Assert.Single(app.Telnyx.Sent);
        Assert.Equal(FakeTelnyxApi.MessagingProfileId, text.MessagingServiceSid);
        Assert.Equal("http://localhost/telnyx/messaging", text.StatusCallback);
        Assert.Equal("queued", (await TextBackAsync(app)).ProviderStatus);
    }

    [Fact]
    public async Task Only_pool_numbers_are_offered_and_the_chosen_one_is_put_on_the_TeXML_application_and_messaging_profile()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx,
            new Dictionary<string, string?> { ["Telnyx:TexmlApplicationId"] = "1494404757140276705" });
        await app.AddBusinessAsync(); // holds +15125550100
        app.Telnyx.OwnNumber("+15125550100");
        var pooledId = app.Telnyx.OwnNumber("+15125550188");
        app.Telnyx.OwnNumber("+15125550189"); // in the account, never put in the pool

        // `numbers add` asks Telnyx about the one number, then pools it.
        var (checkedId, checkProblem) = await app.WithScopeAsync(sp => sp.GetRequiredService<TelnyxNumberPool>().CheckOwnedAsync("+15125550188", CancellationToken.None));
        var (_, notOurs) = await app.WithScopeAsync(sp => sp.GetRequiredService<TelnyxNumberPool>().CheckOwnedAsync("+15125550170", CancellationToken.None));
        Assert.Null(checkProblem);
        Assert.Equal(pooledId, checkedId);
        Assert.Contains("not a number of this Telnyx account", notOurs);
        foreach (var (number, id) in new[] { ("+15125550100", (string?)null), ("+15125550188", checkedId) })
            Assert.Null(await app.WithScopeAsync(sp => NumberPool.AddAsync(sp.GetRequiredService<RecoverlyDb>(), sp.GetRequiredService<IWriteGate>(),
                number, id, null, app.Time.GetUtcNow().UtcDateTime, CancellationToken.None)));

        var free = await app.WithScopeAsync(sp => sp.GetRequiredService<INumberProvisioning>().FreeNumbersAsync(CancellationToken.None));
        var refused = await app.WithScopeAsync(sp => sp.GetRequiredService<INumberProvisioning>().PrepareAsync("+15125550189", CancellationToken.None));
        var problem = await app.WithScopeAsync(sp => sp.GetRequiredService<INumberProvisioning>().PrepareAsync("+15125550188", CancellationToken.None));

        Assert.Equal(["+15125550188"], free.Numbers.Select(n => n.E164));
        Assert.NotNull(refused);
        Assert.Null(problem);
        var updates = app.Telnyx.NumberUpdates.ToList();
        Assert.All(updates, u => Assert.StartsWith($"/v2/phone_numbers/{pooledId}", u.Path, StringComparison.Ordinal));
        Assert.Contains(updates, u => !u.Path.EndsWith("/messaging", StringComparison.Ordinal) && u.Json.Contains("\"connection_id\":\"1494404757140276705\"", StringComparison.Ordinal));
        Assert.Contains(updates, u => u.Path.EndsWith("/messaging", StringComparison.Ordinal) && u.Json.Contains(FakeTelnyxApi.MessagingProfileId, StringComparison.Ordinal));
        Assert.Equal(0, app.Telnyx.Listings); // the account itself was never listed
    }

    [Theory]
    [BothDatabases]
    public async Task Provisioning_points_the_TeXML_applications_and_messaging_profiles_fallbacks_here_once(Db db)
    {
        const string application = "1494404757140276705";
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx,
            new Dictionary<string, string?> { ["Telnyx:TexmlApplicationId"] = application });
        foreach (var number in new[] { "+15125550188", "+15125550189" })
        {
            var id = app.Telnyx.OwnNumber(number);
            Assert.Null(await app.WithScopeAsync(sp => NumberPool.AddAsync(sp.GetRequiredService<RecoverlyDb>(), sp.GetRequiredService<IWriteGate>(),
                number, id, null, app.Time.GetUtcNow().UtcDateTime, CancellationToken.None)));
        }

        Assert.Null(await app.WithScopeAsync(sp => sp.GetRequiredService<INumberProvisioning>().PrepareAsync("+15125550188", CancellationToken.None)));

        var updates = app.Telnyx.SettingUpdates.ToList();
        Assert.Equal(2, updates.Count);
        var voice = Assert.Single(updates, u => u.Path == $"/v2/texml_applications/{application}");
        Assert.Contains("\"voice_fallback_url\":\"http://localhost/telnyx/voice/fallback\"", voice.Json, StringComparison.Ordinal);
        // The operator's name and voice URL go back unchanged (Telnyx requires them on every update).
        Assert.Contains("\"friendly_name\":\"Recoverly voice\"", voice.Json, StringComparison.Ordinal);
        Assert.Contains("\"voice_url\":\"https://recoverly.example.com/telnyx/voice\"", voice.Json, StringComparison.Ordinal);
        var messaging = Assert.Single(updates, u => u.Path == $"/v2/messaging_profiles/{FakeTelnyxApi.MessagingProfileId}");
        Assert.Equal("{\"webhook_failover_url\":\"http://localhost/telnyx/messaging/failover\"}", messaging.Json);

        // Already pointed here: the next number changes nothing more on either.
        Assert.Null(await app.WithScopeAsync(sp => sp.GetRequiredService<INumberProvisioning>().PrepareAsync("+15125550189", CancellationToken.None)));
        Assert.Equal(2, app.Telnyx.SettingUpdates.Count);
    }

    [Theory]
    [BothDatabases]
    public async Task The_fallbacks_apologise_in_TeXML_and_record_a_text_the_main_URL_missed(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await app.AddBusinessAsync();

        var texml = await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync(TelnyxWebhooks.VoiceFallbackPath, new()
        {
            ["AccountSid"] = TestApp.TelnyxAccountSid, ["CallSid"] = TestApp.NewTelnyxCallSid(), ["From"] = Caller, ["To"] = "+15125550100",
        }));
        Assert.Equal($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>{WebhookEndpoints.SorryWords}</Say><Hangup /></Response>", texml);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));

        var forged = await app.SendTelnyxAsync(TelnyxWebhooks.VoiceFallbackPath, "CallSid=x"u8.ToArray(), "application/x-www-form-urlencoded", null, null);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, forged.StatusCode);

        var payload = new System.Text.Json.Nodes.JsonObject
        {
            ["record_type"] = "message", ["direction"] = "inbound", ["id"] = Guid.NewGuid().ToString(), ["type"] = "SMS",
            ["from"] = new System.Text.Json.Nodes.JsonObject { ["phone_number"] = Caller },
            ["to"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["phone_number"] = "+15125550100" }),
            ["text"] = "Are you open today?",
        };
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["data"] = new System.Text.Json.Nodes.JsonObject { ["event_type"] = "message.received", ["id"] = Guid.NewGuid().ToString(), ["payload"] = payload },
        };
        var failover = await app.PostTelnyxAsync(TelnyxWebhooks.MessagingFailoverPath, System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json");
        Assert.Equal(System.Net.HttpStatusCode.OK, failover.StatusCode);
        Assert.Equal("Are you open today?", await app.QueryAsync(d => d.InboundMessages.Select(m => m.Body).SingleAsync()));
    }
}
