using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// A voice webhook's answer is what the caller hears: whatever breaks inside one, the caller gets polite words and a
/// hang-up, never Twilio's "application error" (docs/webhooks.md). Forged requests are still refused.
/// </summary>
public class VoiceWebhookFailureTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static async Task AssertApologyAsync(HttpResponseMessage response)
    {
        var twiml = await HttpAssert.OkXmlAsync(response);
        Assert.Contains("<Response>", twiml);
        Assert.Contains($"<Say>{WebhookEndpoints.SorryWords}</Say>", twiml);
        Assert.Contains("<Hangup", twiml);
        System.Xml.Linq.XDocument.Parse(twiml); // well-formed
    }

    private static Task BreakOutboxAsync(TestApp app) => app.QueryAsync(d => d.Database.ExecuteSqlRawAsync(app.Db == Db.Sqlite
        ? """CREATE TRIGGER "break_outbox" BEFORE INSERT ON "OutboundMessages" BEGIN SELECT RAISE(ABORT, 'database down'); END;"""
        : """
          CREATE FUNCTION break_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'database down'; END $$;
          CREATE TRIGGER "break_outbox" BEFORE INSERT ON "OutboundMessages" FOR EACH ROW EXECUTE FUNCTION break_outbox();
          """));

    private static Task RepairOutboxAsync(TestApp app) => app.QueryAsync(d => d.Database.ExecuteSqlRawAsync(app.Db == Db.Sqlite
        ? """DROP TRIGGER "break_outbox";"""
        : """DROP TRIGGER "break_outbox" ON "OutboundMessages"; DROP FUNCTION break_outbox();"""));

    [Theory]
    [BothDatabases]
    public async Task A_database_failure_while_recording_a_call_still_answers_the_caller_with_twiml_and_the_retry_records_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await BreakOutboxAsync(app);
        var sid = TestApp.NewSid("CA");

        await AssertApologyAsync(await app.MissedCallAsync(Caller, Number, sid));

        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync())); // the transaction left nothing behind
        Assert.Contains(app.Logs.Lines, l => l.Contains("/twilio/voice failed", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(Caller, StringComparison.Ordinal));

        await RepairOutboxAsync(app);
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number, sid));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number, sid));
        await app.DispatchAsync();
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task On_Telnyx_a_broken_database_still_answers_the_caller_with_texml_and_forged_requests_are_still_refused(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "Numbers" RENAME TO "NumbersGone";"""));

        await AssertApologyAsync(await app.MissedCallAsync(Caller, Number));
        Assert.Contains(app.Logs.Lines, l => l.Contains("/telnyx/voice failed", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(Caller, StringComparison.Ordinal));
        // The apology comes only after the signature: an unsigned request is refused as before.
        using var unsigned = await app.Http.PostAsync("/telnyx/voice", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["CallSid"] = TestApp.NewTelnyxCallSid(), ["From"] = Caller, ["To"] = Number, ["Direction"] = "inbound",
        }));
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);

        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "NumbersGone" RENAME TO "Numbers";"""));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_database_that_cannot_even_find_the_business_still_answers_the_caller_with_twiml(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "Numbers" RENAME TO "NumbersGone";"""));

        await AssertApologyAsync(await app.MissedCallAsync(Caller, Number));
        // The end of a call-through dial and the voicemail's recording are answered the same way.
        await AssertApologyAsync(await app.PostSignedAsync("/twilio/voice/dial-complete", new Dictionary<string, string>
        {
            ["CallSid"] = TestApp.NewSid("CA"), ["From"] = Caller, ["To"] = Number, ["DialCallStatus"] = "no-answer", ["Direction"] = "inbound",
        }));

        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "NumbersGone" RENAME TO "Numbers";"""));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number));
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_call_to_a_number_that_is_no_business_of_ours_is_rejected_with_twiml(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();

        var twiml = await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, "+15125550177"));

        Assert.Contains("<Reject", twiml);
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
    }

    [Fact]
    public async Task Any_other_failure_inside_a_voice_webhook_answers_200_with_the_apology()
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Request.Path = "/twilio/voice";
        http.Response.Body = new MemoryStream();
        var filter = new VoiceFailureFilter(NullLogger<VoiceFailureFilter>.Instance);

        var result = await filter.InvokeAsync(new DefaultEndpointFilterInvocationContext(http),
            _ => throw new InvalidOperationException("a bug"));
        await Assert.IsAssignableFrom<IResult>(result).ExecuteAsync(http);

        Assert.Equal(StatusCodes.Status200OK, http.Response.StatusCode);
        Assert.Equal("text/xml", http.Response.ContentType);
        http.Response.Body.Position = 0;
        Assert.Equal(WebhookEndpoints.SorryTwiml(), await new StreamReader(http.Response.Body).ReadToEndAsync());
    }

    [Theory]
    [BothDatabases]
    public async Task The_fallback_urls_answer_twiml_without_the_database_and_refuse_forged_requests(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        var callSid = TestApp.NewSid("CA");
        var call = new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["CallSid"] = callSid, ["From"] = Caller, ["To"] = Number, ["Direction"] = "inbound",
            ["ErrorCode"] = "11200", ["ErrorUrl"] = "http://localhost/twilio/voice",
        };
        var smsSid = TestApp.NewSid("SM");
        var sms = new Dictionary<string, string>
        {
            ["AccountSid"] = TestApp.AccountSid, ["MessageSid"] = smsSid, ["From"] = Caller, ["To"] = Number, ["Body"] = "hello",
            ["ErrorCode"] = "11200", ["ErrorUrl"] = "http://localhost/twilio/sms",
        };
        // Even with the database gone: the fallbacks must not need it.
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""ALTER TABLE "Numbers" RENAME TO "NumbersGone";"""));

        await AssertApologyAsync(await app.PostSignedAsync(WebhookEndpoints.VoiceFallbackPath, call));
        var empty = await HttpAssert.OkXmlAsync(await app.PostSignedAsync(WebhookEndpoints.SmsFallbackPath, sms));
        var root = System.Xml.Linq.XDocument.Parse(empty).Root!;
        Assert.Equal("Response", root.Name.LocalName);
        Assert.False(root.HasElements); // acknowledged, no reply to the caller
        Assert.Contains(app.Logs.Lines, l => l.Contains(callSid, StringComparison.Ordinal) && l.Contains("11200", StringComparison.Ordinal));
        Assert.Contains(app.Logs.Lines, l => l.Contains(smsSid, StringComparison.Ordinal) && l.Contains("not recorded", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(Caller, StringComparison.Ordinal) || l.Contains("hello", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, (await app.PostSignedAsync(WebhookEndpoints.VoiceFallbackPath, call, "forged")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.PostSignedAsync(WebhookEndpoints.SmsFallbackPath, sms, "forged")).StatusCode);
    }
}
