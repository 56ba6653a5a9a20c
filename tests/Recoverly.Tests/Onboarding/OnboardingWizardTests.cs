using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Consent;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Onboarding;

/// <summary>The onboarding wizard (docs/product/owner-alerts.md) driven over HTTP like a browser, with antiforgery tokens and cookies.</summary>
public partial class OnboardingWizardTests
{
    private const string Line = "+15125550142";
    private const string OwnerMobile = "+15125550177";
    private const string FriendPhone = "+15125550188";

    private static Task<TestApp> StartSimulatorAsync(Db db = Db.Sqlite) =>
        TestApp.StartAsync(db, new Dictionary<string, string?> { ["Telephony:Provider"] = "Simulator" });

    private static List<KeyValuePair<string, string>> Details(string name = "Lone Star Plumbing", string line = "(512) 555-0142",
        string timeZone = "America/Chicago", string opens = "07:30", string closes = "18:00", string[]? days = null)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("Name", name), new("BusinessLine", line), new("TimeZone", timeZone), new("OpensAt", opens), new("ClosesAt", closes),
        };
        fields.AddRange((days ?? ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]).Select(d => KeyValuePair.Create("OpenDays", d)));
        return fields;
    }

    /// <summary>Steps 1 and 2: details, then the number the page offers. Returns the response to the number step.</summary>
    private static async Task<HttpResponseMessage> CreateBusinessAsync(OwnerClient owner, List<KeyValuePair<string, string>>? details = null,
        string? number = null)
    {
        details ??= Details();
        var start = await owner.PageAsync("/onboarding");
        var step2 = await owner.PostWithTokenAsync("/onboarding?handler=Details", details, OwnerClient.AntiforgeryToken(start));
        var html = await step2.Content.ReadAsStringAsync();
        Assert.True(step2.StatusCode == HttpStatusCode.OK, html);
        var offered = number ?? OfferedNumber().Match(Text(html)).Groups[1].Value;
        return await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. details, new("Number", offered)],
            OwnerClient.AntiforgeryToken(html));
    }

    private static Task<Business?> BusinessOfAsync(TestApp app, string email) =>
        app.QueryAsync(async db =>
        {
            var id = await db.OwnerAccounts.Where(a => a.Email == email).Select(a => a.BusinessId).FirstOrDefaultAsync();
            return id is null ? null : await db.Businesses.Include(b => b.Numbers).FirstAsync(b => b.Id == id);
        });

    /// <summary>Page text as a browser shows it (Razor encodes '+' and apostrophes).</summary>
    private static string Text(string html) => WebUtility.HtmlDecode(html);

    private static async Task<JsonElement> StatusAsync(OwnerClient owner, string since)
    {
        using var response = await owner.Http.GetAsync($"/onboarding/verify/status?since={since}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Theory]
    [BothDatabases]
    public async Task A_new_owner_walks_the_wizard_from_details_to_a_verified_forward(Db db)
    {
        await using var app = await StartSimulatorAsync(db);
        using var owner = await OwnerClient.SignUpAsync(app, "owner@lonestar.example");

        // 1–2: details, then a number from the simulator pool (the demo business holds 0100, 0101 and 0199).
        var start = await owner.PageAsync("/onboarding");
        Assert.Contains("aria-current=\"step\">1. Business", start);
        Assert.Contains("<option value=\"America/Chicago\" selected=\"selected\">", start);
        var step2 = await owner.PostWithTokenAsync("/onboarding?handler=Details", Details(), OwnerClient.AntiforgeryToken(start));
        var step2Html = await step2.Content.ReadAsStringAsync();
        Assert.Contains("(512) 555-0102", step2Html);
        Assert.Contains("aria-current=\"step\">2. Number", step2Html);
        var created = await owner.PostWithTokenAsync("/onboarding?handler=Number", Details(), OwnerClient.AntiforgeryToken(step2Html));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal("/onboarding/greeting", created.Headers.Location?.OriginalString);

        var business = await BusinessOfAsync(app, "owner@lonestar.example");
        Assert.NotNull(business);
        Assert.Equal("Lone Star Plumbing", business.Name);
        Assert.Equal(Line, business.BusinessPhone);
        Assert.Equal("America/Chicago", business.TimeZone);
        Assert.Equal(new TimeOnly(7, 30), business.OpensAt);
        Assert.Equal(new TimeOnly(18, 0), business.ClosesAt);
        Assert.Equal("Mon,Tue,Wed,Thu,Fri,Sat", business.OpenDays);
        Assert.Equal(["+15125550102"], business.Numbers.Select(n => n.E164));
        Assert.Null(business.OnboardedAt);

        // 3: greeting.
        var greeting = await owner.PostAsync("/onboarding/greeting", new() { ["Greeting"] = "Voicemail" });
        Assert.Equal("/onboarding/alerts", greeting.Headers.Location?.OriginalString);

        // 4: the alert box is unticked by default; ticking it records the opt-in with its evidence and queues one YES request.
        var alerts = await owner.PageAsync("/onboarding/alerts");
        var box = Checkbox("AlertsOptIn").Match(alerts);
        Assert.True(box.Success, "the alert opt-in checkbox is on the page");
        Assert.DoesNotContain("checked", box.Value);
        Assert.Contains(OwnerAlertSubscription.Disclosure, Text(alerts));
        owner.Http.DefaultRequestHeaders.UserAgent.ParseAdd("OnboardingTest/1.0");
        var optIn = await owner.PostAsync("/onboarding/alerts", new() { ["Mobile"] = "512-555-0177", ["AlertsOptIn"] = "true" });
        Assert.Equal("/onboarding/forwarding", optIn.Headers.Location?.OriginalString);
        // A second submit (back button) neither records nor texts again.
        await owner.PostAsync("/onboarding/alerts", new() { ["Mobile"] = "512-555-0177", ["AlertsOptIn"] = "true" });

        var events = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.BusinessId == business.Id).ToListAsync());
        var consent = Assert.Single(events);
        Assert.Equal((ConsentKind.OwnerOptIn, ConsentSource.WebForm, OwnerMobile), (consent.Kind, consent.Source, consent.Phone));
        Assert.Equal("owner-alerts-v1", consent.EvidenceRef);
        Assert.Contains(OwnerAlertSubscription.Disclosure, consent.EvidenceText);
        Assert.Contains("User-Agent: OnboardingTest/1.0", consent.EvidenceText);
        Assert.Contains("IP: ", consent.EvidenceText);
        Assert.Equal(app.Time.GetUtcNow().UtcDateTime, consent.At);
        var requests = await app.QueryAsync(d => d.OutboundMessages.Where(m => m.BusinessId == business.Id).ToListAsync());
        var request = Assert.Single(requests);
        Assert.Equal((OutboundKind.OwnerOptInRequest, OwnerMobile, "+15125550102"), (request.Kind, request.To, request.From));
        Assert.Equal(TextTemplates.OwnerOptInRequest("+15125550102"), request.Body);
        Assert.Equal(OwnerAlertConsent.Requested, await app.QueryAsync(d => ConsentLedger.OwnerStateAsync(d, business.Id, OwnerMobile, default)));
        Assert.Contains("Reply YES to that text", await owner.PageAsync("/onboarding/alerts"));

        // 5: forwarding guide with the number filled in.
        var forwarding = Text(await owner.PageAsync("/onboarding/forwarding?carrier=tmobile"));
        Assert.Contains("**61*15125550102**20#", forwarding);
        Assert.Contains("**004*[your voicemail number]#", forwarding);
        Assert.Contains("Don't dial *72. It forwards EVERY call", forwarding);
        Assert.Contains(Recoverly.Telephony.ForwardingGuide.IPhoneSwitchWarning, forwarding);
        var picked = await owner.PostAsync("/onboarding/forwarding?carrier=tmobile", new() { ["Carrier"] = "tmobile" }, tokenFrom: "/onboarding/forwarding?carrier=tmobile");
        Assert.Equal("/onboarding/verify", picked.Headers.Location?.OriginalString);

        // 6: verify — the status flips when the forwarded test call reaches the Recoverly number.
        var verify = await owner.PageAsync("/onboarding/verify");
        var since = Since().Match(verify).Groups[1].Value;
        Assert.Contains("data-verified=\"false\"", verify);
        Assert.False((await StatusAsync(owner, since)).GetProperty("verified").GetBoolean());
        app.Time.Advance(TimeSpan.FromSeconds(30));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(FriendPhone, "+15125550102",
            extra: new Dictionary<string, string> { ["ForwardedFrom"] = Line }));
        var status = await StatusAsync(owner, since);
        Assert.True(status.GetProperty("verified").GetBoolean());

        business = await BusinessOfAsync(app, "owner@lonestar.example");
        Assert.Equal("tmobile", business!.ForwardingCarrier);
        Assert.Equal(GreetingKind.Voicemail, business.Greeting);
        Assert.Equal(OwnerMobile, business.OwnerPhone);
        Assert.NotNull(business.ForwardingVerifiedAt);
        Assert.NotNull(business.OnboardedAt);
        Assert.Contains("data-verified=\"true\"", await owner.PageAsync("/onboarding/verify"));
        Assert.Contains("href=\"/app\"", await owner.PageAsync("/onboarding/verify"));

        // Finished: the wizard sends the owner to the inbox.
        using var again = await owner.Http.GetAsync("/onboarding");
        Assert.Equal("/app", again.Headers.Location?.OriginalString);
        using var greetingAgain = await owner.Http.GetAsync("/onboarding/greeting");
        Assert.Equal("/app", greetingAgain.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task An_unticked_alert_box_records_no_consent_and_sends_nothing()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "quiet@example.com");
        await CreateBusinessAsync(owner);
        var business = (await BusinessOfAsync(app, "quiet@example.com"))!;

        var saved = await owner.PostAsync("/onboarding/alerts", new() { ["Mobile"] = "(512) 555-0177" });

        Assert.Equal("/onboarding/forwarding", saved.Headers.Location?.OriginalString);
        Assert.Empty(await app.QueryAsync(d => d.ConsentEvents.Where(e => e.BusinessId == business.Id).ToListAsync()));
        Assert.Empty(await app.QueryAsync(d => d.OutboundMessages.Where(m => m.BusinessId == business.Id).ToListAsync()));
        Assert.Equal(OwnerMobile, (await BusinessOfAsync(app, "quiet@example.com"))!.OwnerPhone);
        // After a validation error the box is shown unticked again: a tick is only ever the owner's.
        var refused = await owner.PostAsync("/onboarding/alerts", new() { ["Mobile"] = "", ["AlertsOptIn"] = "true" });
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Enter the mobile number the alerts should go to.", Text(html));
        Assert.DoesNotContain("checked", Checkbox("AlertsOptIn").Match(html).Value);
        Assert.Empty(await app.QueryAsync(d => d.ConsentEvents.Where(e => e.BusinessId == business.Id).ToListAsync()));
    }

    [Theory]
    [InlineData("BusinessLine", "call me maybe", "Enter the phone number your customers call")]
    [InlineData("BusinessLine", "555-0142", "Enter the phone number your customers call")]
    [InlineData("TimeZone", "Mars/Olympus_Mons", "Pick your time zone from the list.")]
    [InlineData("TimeZone", "Central Standard Time", "Pick your time zone from the list.")]
    [InlineData("Name", "  ", "Enter your business name")]
    [InlineData("ClosesAt", "07:30", "Opening and closing times can't be the same.")]
    [InlineData("ClosesAt", "25:00", "Enter your opening and closing times")]
    public async Task Invalid_details_show_a_clear_message_and_write_nothing(string field, string value, string message)
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "typo@example.com");
        var details = Details().Select(f => f.Key == field ? KeyValuePair.Create(field, value) : f).ToList();

        // Straight to the number step too: the server validates again whatever the first step let through.
        var start = await owner.PageAsync("/onboarding");
        var step1 = await owner.PostWithTokenAsync("/onboarding?handler=Details", details, OwnerClient.AntiforgeryToken(start));
        var step2 = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. details, new("Number", "+15125550102")],
            OwnerClient.AntiforgeryToken(start));

        foreach (var response in new[] { step1, step2 })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("role=\"alert\"", html);
            Assert.Contains(message, Text(html));
        }
        Assert.Equal(1, await app.QueryAsync(d => d.Businesses.CountAsync())); // the demo business only
        Assert.Null(await BusinessOfAsync(app, "typo@example.com"));
    }

    [Fact]
    public async Task A_valid_time_zone_outside_the_list_is_kept_and_daylight_saving_comes_with_it()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "tz@example.com");
        var response = await CreateBusinessAsync(owner, Details(timeZone: "America/Indiana/Indianapolis"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("America/Indiana/Indianapolis", (await BusinessOfAsync(app, "tz@example.com"))!.TimeZone);
    }

    [Fact]
    public async Task Open_around_the_clock_needs_no_hours()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "always@example.com");
        var details = Details(opens: "", closes: "", days: []);
        details.Add(new("AlwaysOpen", "true"));
        Assert.Equal(HttpStatusCode.Redirect, (await CreateBusinessAsync(owner, details)).StatusCode);
        var business = (await BusinessOfAsync(app, "always@example.com"))!;
        Assert.Null(business.OpensAt);
        Assert.Null(business.ClosesAt);
        Assert.Equal("Mon,Tue,Wed,Thu,Fri,Sat,Sun", business.OpenDays);
    }

    [Fact]
    public async Task A_second_business_for_the_same_account_is_refused()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "twice@example.com");
        Assert.Equal(HttpStatusCode.Redirect, (await CreateBusinessAsync(owner)).StatusCode);

        // The wizard moves on, and a replayed number step is refused.
        using var get = await owner.Http.GetAsync("/onboarding");
        Assert.Equal("/onboarding/greeting", get.Headers.Location?.OriginalString);
        var greeting = await owner.PageAsync("/onboarding/greeting");
        var replay = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. Details(name: "Second Co"), new("Number", "+15125550103")],
            OwnerClient.AntiforgeryToken(greeting));
        Assert.Contains("already has a business", Text(await replay.Content.ReadAsStringAsync()));
        Assert.Equal(2, await app.QueryAsync(d => d.Businesses.CountAsync()));
        Assert.Equal(2, await app.QueryAsync(d => d.Numbers.CountAsync()));
    }

    [Fact]
    public async Task Posting_a_form_without_the_antiforgery_token_is_refused()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "csrf@example.com");
        await owner.PageAsync("/onboarding"); // the antiforgery cookie is set; only the form token is missing

        using var details = await owner.PostWithTokenAsync("/onboarding?handler=Number", Details(), token: null);
        Assert.Equal(HttpStatusCode.BadRequest, details.StatusCode);
        Assert.Null(await BusinessOfAsync(app, "csrf@example.com"));

        await CreateBusinessAsync(owner);
        using var alerts = await owner.PostWithTokenAsync("/onboarding/alerts",
            [new("Mobile", "5125550177"), new("AlertsOptIn", "true")], token: null);
        Assert.Equal(HttpStatusCode.BadRequest, alerts.StatusCode);
        using var forged = await owner.PostWithTokenAsync("/onboarding/alerts",
            [new("Mobile", "5125550177"), new("AlertsOptIn", "true")], token: "forged");
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Empty(await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == OwnerMobile).ToListAsync()));
    }

    [Fact]
    public async Task Onboarding_needs_a_signed_in_owner_and_steps_need_a_business()
    {
        await using var app = await StartSimulatorAsync();
        using var anonymous = OwnerClient.Anonymous(app);
        foreach (var path in new[] { "/onboarding", "/onboarding/alerts", "/onboarding/verify/status" })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("http://localhost/login", response.Headers.Location?.ToString());
        }

        using var owner = await OwnerClient.SignUpAsync(app, "early@example.com");
        foreach (var path in new[] { "/onboarding/greeting", "/onboarding/alerts", "/onboarding/forwarding", "/onboarding/verify", "/onboarding/verify/status" })
        {
            using var response = await owner.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/onboarding", response.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task Another_owner_cannot_see_or_act_on_your_onboarding()
    {
        await using var app = await StartSimulatorAsync();
        using var alice = await OwnerClient.SignUpAsync(app, "alice@example.com");
        using var bob = await OwnerClient.SignUpAsync(app, "bob@example.com");
        await CreateBusinessAsync(alice);
        await CreateBusinessAsync(bob, Details(name: "Bob's HVAC", line: "(512) 555-0143"));
        var a = (await BusinessOfAsync(app, "alice@example.com"))!;
        var b = (await BusinessOfAsync(app, "bob@example.com"))!;
        Assert.NotEqual(a.Numbers[0].E164, b.Numbers[0].E164);

        // Alice's test call verifies Alice, not Bob — whatever Bob asks for.
        var since = Since().Match(await bob.PageAsync("/onboarding/verify")).Groups[1].Value;
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(FriendPhone, a.Numbers[0].E164));
        Assert.False((await StatusAsync(bob, since)).GetProperty("verified").GetBoolean());
        using (var probe = await bob.Http.GetAsync($"/onboarding/verify/status?since={since}&businessId={a.Id}"))
            Assert.Contains("\"verified\":false", await probe.Content.ReadAsStringAsync());
        Assert.True((await StatusAsync(alice, "0")).GetProperty("verified").GetBoolean());

        // Bob's pages show Bob's business and number only; his edits land on his business.
        var bobForwarding = Text(await bob.PageAsync("/onboarding/forwarding?carrier=verizon"));
        Assert.Contains($"*71{b.Numbers[0].E164[2..]}", bobForwarding);
        Assert.DoesNotContain(a.Numbers[0].E164[2..], bobForwarding);
        await bob.PostAsync("/onboarding/greeting", new() { ["Greeting"] = "RejectBusy", ["BusinessId"] = a.Id.ToString() });
        Assert.Equal(GreetingKind.Spoken, (await BusinessOfAsync(app, "alice@example.com"))!.Greeting);
        Assert.Equal(GreetingKind.RejectBusy, (await BusinessOfAsync(app, "bob@example.com"))!.Greeting);
        Assert.Null((await BusinessOfAsync(app, "bob@example.com"))!.ForwardingVerifiedAt);
    }

    [Fact]
    public async Task A_call_before_the_verify_step_opened_does_not_count_as_the_test_call()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "early-call@example.com");
        await CreateBusinessAsync(owner);
        var business = (await BusinessOfAsync(app, "early-call@example.com"))!;
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(FriendPhone, business.Numbers[0].E164));
        app.Time.Advance(TimeSpan.FromMinutes(5));

        var since = Since().Match(await owner.PageAsync("/onboarding/verify")).Groups[1].Value;
        Assert.False((await StatusAsync(owner, since)).GetProperty("verified").GetBoolean());

        // "Test it later" finishes onboarding without marking forwarding verified.
        var skip = await owner.PostAsync("/onboarding/verify/Skip", new(), tokenFrom: "/onboarding/verify");
        Assert.Equal("/app", skip.Headers.Location?.OriginalString);
        business = (await BusinessOfAsync(app, "early-call@example.com"))!;
        Assert.NotNull(business.OnboardedAt);
        Assert.Null(business.ForwardingVerifiedAt);
    }

    [Fact]
    public async Task Without_javascript_the_check_now_link_keeps_the_start_of_the_test()
    {
        await using var app = await StartSimulatorAsync();
        using var owner = await OwnerClient.SignUpAsync(app, "nojs@example.com");
        await CreateBusinessAsync(owner);
        var business = (await BusinessOfAsync(app, "nojs@example.com"))!;
        var verify = await owner.PageAsync("/onboarding/verify");
        var since = Since().Match(verify).Groups[1].Value;
        Assert.Contains($"href=\"/onboarding/verify?since={since}\"", verify);

        app.Time.Advance(TimeSpan.FromSeconds(25));
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(FriendPhone, business.Numbers[0].E164));
        app.Time.Advance(TimeSpan.FromSeconds(25));

        Assert.Contains("data-verified=\"false\"", await owner.PageAsync("/onboarding/verify")); // a fresh start: that call was before it
        Assert.Contains("data-verified=\"true\"", await owner.PageAsync($"/onboarding/verify?since={since}"));
        Assert.NotNull((await BusinessOfAsync(app, "nojs@example.com"))!.ForwardingVerifiedAt);
    }

    [GeneratedRegex("name=\"Number\" value=\"(\\+\\d+)\"")]
    private static partial Regex OfferedNumber();

    [GeneratedRegex("status\\?since=(\\d+)")]
    private static partial Regex Since();

    private static Regex Checkbox(string name) => new($"<input type=\"checkbox\" name=\"{name}\"[^>]*>");
}
