using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>The built-in simulator runs the real Twilio adapter end to end: signed webhooks in, Messages.json out.</summary>
public class SimulatorTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    /// <summary>Simulator mode seeds the demo business (Demo Plumbing on +1 512-555-0100) into the empty database.</summary>
    private static Task<TestApp> StartAsync() =>
        TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Telephony:Provider"] = "Simulator" });

    private static async Task<List<string>> PhoneAsync(TestApp app, string number)
    {
        var messages = await app.Http.GetFromJsonAsync<JsonElement[]>($"/simulator/api/phone?number={Uri.EscapeDataString(number)}");
        return messages!.Select(m => $"{(m.GetProperty("from").GetString() == number ? "me" : "them")}: {m.GetProperty("body").GetString()}").ToList();
    }

    [Fact]
    public async Task A_call_that_rings_out_in_the_simulator_puts_the_text_back_on_the_callers_phone()
    {
        await using var app = await StartAsync();

        var call = await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = "(512) 555-0142", to = Number });
        call.EnsureSuccessStatusCode();
        var heard = (await call.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("twiml").GetString();
        await app.DispatchAsync();

        Assert.Contains("Sorry we missed your call at Demo Plumbing", heard);
        var phone = await PhoneAsync(app, Caller);
        Assert.Equal(["them: Hi, this is Demo Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out."], phone);
    }

    [Theory]
    [BothDatabases]
    public async Task A_landline_caller_in_the_simulator_is_looked_up_on_the_lookup_wire_format_and_not_texted(Db db)
    {
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Telephony:Provider"] = "Simulator" });

        (await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = Number, lineType = "landline" })).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Empty(await PhoneAsync(app, Caller));
        Assert.Equal(Recoverly.Calls.CallOutcome.Landline, (await app.QueryAsync(d => d.MissedCalls.SingleAsync())).Outcome);
        var cached = await app.QueryAsync(d => d.LineTypeLookups.SingleAsync());
        Assert.Equal(("landline", false, "Simulator Telephone Co."), (cached.LineType, cached.Textable, cached.CarrierName));

        // The stand-in itself: Twilio's path, Basic auth and JSON.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/simulator/twilio-lookups/v2/PhoneNumbers/{Uri.EscapeDataString(Caller)}?Fields=line_type_intelligence");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await app.Http.SendAsync(request)).StatusCode);
        using var signed = new HttpRequestMessage(HttpMethod.Get, request.RequestUri);
        signed.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{TestApp.AccountSid}:{TestApp.AuthToken}")));
        var json = await (await app.Http.SendAsync(signed)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Caller, json.GetProperty("phone_number").GetString());
        Assert.Equal("landline", json.GetProperty("line_type_intelligence").GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("line_type_intelligence").GetProperty("error_code").ValueKind);

        var bad = await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = Number, lineType = "satellite" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Stop_from_the_simulated_phone_gives_one_confirmation_and_no_further_texts_and_help_answers()
    {
        await using var app = await StartAsync();
        await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = Number });
        await app.DispatchAsync();

        (await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = Number, body = "STOP" })).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        (await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = Number, body = "STOP" })).EnsureSuccessStatusCode();
        app.Time.Advance(TimeSpan.FromDays(1));
        await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = Number });
        await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = Number, body = "HELP" });
        await app.DispatchAsync();

        var phone = await PhoneAsync(app, Caller);
        Assert.Equal(6, phone.Count);
        Assert.StartsWith("them: Hi, this is Demo Plumbing.", phone[0]);
        Assert.Equal("me: STOP", phone[1]);
        Assert.Equal("them: Demo Plumbing: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.", phone[2]);
        Assert.Equal("me: STOP", phone[3]);
        Assert.Equal("me: HELP", phone[4]);
        Assert.StartsWith("them: Demo Plumbing: we text back callers we missed.", phone[5]);
    }

    [Fact]
    public async Task In_provider_mode_the_simulator_answers_the_exact_keywords_itself_and_refuses_texts_after_stop()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite,
            new Dictionary<string, string?> { ["Telephony:Provider"] = "Simulator", ["Twilio:KeywordReplies"] = "Provider" });
        await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = Number });
        await app.DispatchAsync();

        (await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = Number, body = "STOP" })).EnsureSuccessStatusCode();
        (await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = Number, body = "help" })).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        var phone = await PhoneAsync(app, Caller);
        Assert.Equal(5, phone.Count);
        Assert.Equal("them: " + Recoverly.Telephony.Simulator.SimulatorCarrier.ProviderStopReply, phone[2]);
        Assert.Equal("them: " + Recoverly.Telephony.Simulator.SimulatorCarrier.ProviderHelpReply, phone[4]);
        // Recoverly recorded both keywords and queued no answer of its own to the caller.
        Assert.Empty(await app.QueryAsync(d => d.OutboundMessages.Where(m => m.To == Caller && m.Kind != Recoverly.Texts.OutboundKind.TextBack).ToListAsync()));
        Assert.Equal(2, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Caller)));
    }

    [Fact]
    public async Task The_simulator_refuses_bad_input_with_a_clear_error()
    {
        await using var app = await StartAsync();

        var noBody = await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = Number, body = " " });
        var badPhone = await app.Http.PostAsJsonAsync("/simulator/api/sms", new { from = "hello", to = Number, body = "hi" });

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, noBody.StatusCode);
        Assert.Contains("Type a message", await noBody.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, badPhone.StatusCode);
        Assert.Equal(0, await app.QueryAsync(d => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(d.InboundMessages)));
    }

    [Fact]
    public async Task The_simulators_Twilio_api_refuses_wrong_credentials_like_Twilio()
    {
        await using var app = await StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/simulator/twilio/2010-04-01/Accounts/{TestApp.AccountSid}/Messages.json")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["To"] = Caller, ["From"] = Number, ["Body"] = "hi" }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("AC1:wrong"u8.ToArray()));

        var response = await app.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(20003, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Health_check_answers_ok_when_the_database_is_usable()
    {
        await using var app = await StartAsync();
        var response = await app.Http.GetAsync("/healthz");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_simulator_page_is_served()
    {
        await using var app = await StartAsync();
        var html = await app.Http.GetStringAsync("/simulator");
        Assert.Contains("Recoverly simulator", html);
        Assert.Contains("Call and let it ring out", html);
    }

    [Fact]
    public async Task The_demo_owner_printed_on_the_console_can_log_in_and_sees_the_demo_inbox()
    {
        await using var app = await StartAsync();
        await app.Http.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = Number });

        using var owner = await OwnerClient.LogInAsync(app, Recoverly.Hosting.DemoSeed.DemoOwnerEmail, Recoverly.Hosting.DemoSeed.DemoOwnerPassword);
        var inbox = await owner.PageAsync("/app");

        Assert.Contains("Demo Plumbing", inbox);
        Assert.Contains("(512) 555-0142", inbox);
        Assert.DoesNotContain("Confirm your email address", inbox); // seeded confirmed: the demo owner has no mailbox
    }

    [Theory]
    [InlineData("http://attacker.example/collect")]
    [InlineData("http://localhost:9999/twilio/sms/status")] // same host, another port: another service
    [InlineData("https://localhost/twilio/sms/status")] // another scheme
    public async Task The_simulator_sends_status_callbacks_only_to_its_own_base_url(string callback)
    {
        await using var app = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/simulator/twilio/2010-04-01/Accounts/{TestApp.AccountSid}/Messages.json")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["To"] = "+15125550177", ["From"] = Number, ["Body"] = "hello", ["StatusCallback"] = callback,
            }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{TestApp.AccountSid}:{TestApp.AuthToken}")));

        var response = await app.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(21609, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
        Assert.Empty(await PhoneAsync(app, "+15125550177")); // nothing was "sent", so nothing will be reported anywhere
    }
}
