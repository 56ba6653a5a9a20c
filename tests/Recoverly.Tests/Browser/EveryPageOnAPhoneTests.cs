using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>
/// Every owner page, every public page, the simulator and the operator pages, in Debian's Chromium at 390 px with
/// real data in them — a long business name, a caller's long message and then STOP, long evidence ids and notes in
/// the consent history, an urgent conversation with a long emergency phrase, a voicemail with a long transcription — under
/// the app's Content-Security-Policy: none may scroll sideways, log a console error or violate the CSP.
/// </summary>
public partial class EveryPageOnAPhoneTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const int Width = 390;
    private const string LongName = "Kowalczyk-Vandermeulen Brothers Emergency Plumbing, Heating, Air Conditioning & Drain Cleaning of Greater Austin";
    private const string Caller = "+15125550142";
    private const string QuietCaller = "+15125550143";
    private const string UrgentCaller = "+15125550144";
    private const string VoicemailCaller = "+15125550145";
    private const string EmergencyPhrase = "water pouring through ceiling";
    private const string UrgentMessage =
        "URGENT!!! Water pouring through ceiling of the upstairs bathroom into the kitchen, ticket ref KVB-2026-11-27-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    private const string LongTranscription =
        "Hi this is Alexandria Montgomery-Fitzwilliam from the Riverside Apartments management office, my email is "
        + "alexandria.montgomery-fitzwilliam.property-management@riverside-apartments-austin.example.com, unit 1204 has no hot water since this morning.";
    private const string LongMessage =
        "Hi, the water heater in the basement is leaking again and the pilot light keeps going out. Photos of the tank and the valve: "
        + "https://photos.example.com/share/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 — can someone come tomorrow?";
    private const string LongNote = "Ticket#SUPPORT-2026-11-27-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz called the office and asked us to stop";

    private static readonly Dictionary<string, string?> Stripe = new()
    {
        // Billing on, so /app/billing exists; its GET never calls Stripe.
        ["Billing:Provider"] = "Stripe", ["Stripe:SecretKey"] = "sk_test_unused", ["Stripe:PriceId"] = "price_unused",
        ["Stripe:WebhookSecret"] = "whsec_unused", ["Stripe:ApiBaseUrl"] = "http://127.0.0.1:9",
    };

    private static async Task CheckAsync(IPage page, string name, List<string> errors)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"phone-{name}.png"), FullPage = true });
        await PageChecks.AssertNoSidewaysScrollAsync(page, $"{name} ({new Uri(page.Url).PathAndQuery})", Width);
        Assert.True(errors.Count == 0, $"{name}: {string.Join(" | ", errors)}");
    }

    private static async Task VisitAsync(IPage page, string path, string name, List<string> errors)
    {
        var response = await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.NetworkIdle });
        Assert.True(response is { Ok: true }, $"{path} answered {response?.Status}");
        await CheckAsync(page, name, errors);
    }

    private static async Task WaitForPhoneAsync(HttpClient carrier, string number, string containing)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var messages = await carrier.GetStringAsync($"/simulator/api/phone?number={Uri.EscapeDataString(number)}");
            if (messages.Contains(containing, StringComparison.Ordinal)) return;
            await Task.Delay(100);
        }
        Assert.Fail($"{Phones.Mask(number)} never got a text containing “{containing}”");
    }

    [Fact]
    public async Task No_owner_public_or_operator_page_scrolls_sideways_or_breaks_the_csp_at_390px_with_real_data()
    {
        await using var app = await BrowserApp.StartAsync(settings: Stripe);
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl, Width);
        await using var _ = context;
        using var carrier = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };

        // Sign up and walk the wizard, checking each step.
        await VisitAsync(page, "/signup", "signup", errors);
        await page.GetByLabel("Email").FillAsync("kowalczyk.vandermeulen.brothers.emergency.plumbing@example.com");
        await page.GetByLabel("Password").FillAsync(OwnerClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await CheckAsync(page, "signup-check-email", errors);
        await app.ConfirmSignUpAsync(page, "kowalczyk.vandermeulen.brothers.emergency.plumbing@example.com", OwnerClient.Password);
        await CheckAsync(page, "onboarding-1-business", errors);
        await page.GetByLabel("Business name").FillAsync(LongName);
        await page.GetByLabel("Business phone line").FillAsync("512-555-0150");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: your Recoverly number" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Your Recoverly number");
        await CheckAsync(page, "onboarding-2-number", errors);
        var shown = NumberOnPage().Match(await page.Locator("main").InnerTextAsync()).Value;
        var number = "+1" + Regex.Replace(shown, @"\D", "");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this number" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/greeting$"));
        await CheckAsync(page, "onboarding-3-greeting", errors);
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: alerts on your phone" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/alerts$"));
        await CheckAsync(page, "onboarding-4-alerts", errors);
        await page.GetByLabel("Your mobile number").FillAsync("(512) 555-0177");
        await page.Locator("input[name=AlertsOptIn]").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: forward your missed calls" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/forwarding$"));
        await CheckAsync(page, "onboarding-5-forwarding", errors);
        foreach (var system in ForwardingGuide.Systems)
            await VisitAsync(page, $"/onboarding/forwarding?carrier={system.Key}", $"onboarding-5-forwarding-{system.Key}", errors);
        await page.GetByRole(AriaRole.Button, new() { Name = "I've set it up — next: test it" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/verify(#.*)?$"));
        await CheckAsync(page, "onboarding-6-verify", errors);
        await page.GetByRole(AriaRole.Button, new() { Name = "I'll test it later — go to inbox" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/app$"));

        // A caller misses the business, writes at length, then texts STOP; another is opted out by the owner with a long note.
        (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = number })).EnsureSuccessStatusCode();
        await WaitForPhoneAsync(carrier, Caller, "Sorry we missed your call");
        (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = number, body = LongMessage })).EnsureSuccessStatusCode();
        (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = number, body = "STOP" })).EnsureSuccessStatusCode();
        await WaitForPhoneAsync(carrier, Caller, "you're unsubscribed");
        (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = QuietCaller, to = number })).EnsureSuccessStatusCode();
        await WaitForPhoneAsync(carrier, QuietCaller, "Sorry we missed your call");

        // The owner adds a long emergency phrase; a caller's long reply says it, and another caller's long voicemail says a suggested
        // one ("no hot water"): two urgent conversations.
        await VisitAsync(page, "/app/settings#emergency", "app-settings-before-emergency", errors);
        var words = page.GetByLabel("One word or phrase a line");
        await words.FillAsync(await words.InputValueAsync() + "\n" + EmergencyPhrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency words" }).ClickAsync();
        await Assertions.Expect(page.Locator(".alert.ok")).ToHaveTextAsync("Emergency words saved.");
        await CheckAsync(page, "app-settings-emergency-saved", errors);
        (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = UrgentCaller, to = number })).EnsureSuccessStatusCode();
        await WaitForPhoneAsync(carrier, UrgentCaller, "Sorry we missed your call");
        (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = UrgentCaller, to = number, body = UrgentMessage })).EnsureSuccessStatusCode();
        (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = VoicemailCaller, to = number })).EnsureSuccessStatusCode();
        await app.LeaveVoicemailAsync(VoicemailCaller, LongTranscription);

        await VisitAsync(page, "/app", "app-inbox", errors);
        var stopped = page.Locator("#inbox li", new() { HasText = Phones.FormatForDisplay(Caller) });
        await Assertions.Expect(stopped).ToContainTextAsync("Opted out");
        await Assertions.Expect(stopped).ToContainTextAsync("photos.example.com");
        var quiet = page.Locator("#inbox li", new() { HasText = Phones.FormatForDisplay(QuietCaller) });
        var quietPage = await quiet.Locator("a.who").GetAttributeAsync("href");
        var stoppedPage = await stopped.Locator("a.who").GetAttributeAsync("href");
        // Newest emergency first: the voicemail, then the text.
        var voicemail = page.Locator("#inbox > li").First;
        await Assertions.Expect(voicemail).ToContainTextAsync(Phones.FormatForDisplay(VoicemailCaller));
        await Assertions.Expect(voicemail.Locator(".urgent-chip")).ToHaveTextAsync("Urgent · “no hot water”");
        await Assertions.Expect(voicemail.Locator(".voicemail")).ToContainTextAsync("riverside-apartments-austin.example.com");
        var urgent = page.Locator("#inbox > li").Nth(1);
        await Assertions.Expect(urgent).ToContainTextAsync(Phones.FormatForDisplay(UrgentCaller));
        await Assertions.Expect(urgent.Locator(".urgent-chip")).ToHaveTextAsync($"Urgent · “{EmergencyPhrase}”");
        var urgentPage = await urgent.Locator("a.who").GetAttributeAsync("href");
        var voicemailPage = await voicemail.Locator("a.who").GetAttributeAsync("href");

        await VisitAsync(page, urgentPage!, "app-contact-urgent", errors);
        await Assertions.Expect(page.Locator("#urgent")).ToContainTextAsync(EmergencyPhrase);
        await VisitAsync(page, voicemailPage!, "app-contact-voicemail", errors);
        await Assertions.Expect(page.Locator("#urgent")).ToContainTextAsync("no hot water");
        await Assertions.Expect(page.Locator("audio.voicemail-player")).ToHaveAttributeAsync("src", new Regex(@"^/app/contacts/\d+/recording/\d+$"));

        await VisitAsync(page, quietPage!, "app-contact-before-opt-out", errors);
        await page.GetByLabel("How did they tell you?").SelectOptionAsync("email");
        await page.GetByLabel("Note (optional)").FillAsync(LongNote);
        await page.GetByRole(AriaRole.Button, new() { Name = "Record an opt-out" }).ClickAsync();
        await Assertions.Expect(page.Locator("#consent table")).ToContainTextAsync("Ticket#SUPPORT");
        await CheckAsync(page, "app-contact-owner-opt-out", errors);

        await VisitAsync(page, stoppedPage!, "app-contact-after-stop", errors);
        await Assertions.Expect(page.Locator("#consent table")).ToContainTextAsync(new Regex("SM[0-9a-f]{32}"));
        await Assertions.Expect(page.Locator("#reply")).ToContainTextAsync("opted out");

        await VisitAsync(page, "/app/settings", "app-settings", errors);
        // The weekly summary on, so its e-mail's stop link (visited signed out, below) works.
        await page.GetByLabel("Email me the weekly summary").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save weekly summary" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("saved=summary"));
        var summary = await app.QueryAsync(d => d.Businesses.Where(b => b.Name == LongName).Select(b => new { b.Id, b.SummaryStopToken }).SingleAsync());
        var summaryStop = $"/summary/stop?b={summary.Id}&t={summary.SummaryStopToken}";
        await VisitAsync(page, "/app/data", "app-data", errors);
        await VisitAsync(page, "/app/report", "app-report", errors);
        await VisitAsync(page, "/app/report?by=month", "app-report-month", errors);
        await VisitAsync(page, "/app/billing", "app-billing", errors);

        // The simulator's business picker now lists the long name.
        await VisitAsync(page, "/simulator", "simulator", errors);
        await Assertions.Expect(page.Locator("#business option", new() { HasText = LongName })).ToHaveCountAsync(1);
        await page.Locator("#business").SelectOptionAsync(new SelectOptionValue { Label = $"{LongName} — {number}" });
        await Assertions.Expect(page.Locator("#callerThread .bubble").First).ToBeVisibleAsync();
        await CheckAsync(page, "simulator-long-name", errors);

        // Public pages, signed out.
        await page.GotoAsync("/app");
        await page.Locator("header button", new() { HasText = "Log out" }).ClickAsync();
        // Only the redirect matters here, not the next page's loading: the visit that follows navigates anyway. Waiting for its
        // load event as well once hung for the whole timeout in CI.
        await page.WaitForURLAsync(url => !url.Contains("/app"), new() { WaitUntil = WaitUntilState.Commit });
        string[] publicPages = ["/", "/pricing", "/calculator", "/calculator?missed=12&book=abc&value=&close=50", "/examples", "/forwarding",
            "/sms-policy", "/privacy", "/terms", "/signup", "/login", "/forgot-password", "/reset-password?token=not-a-real-token"];
        foreach (var path in publicPages.Concat(ForwardingGuide.Systems.Select(s => $"/forwarding/{s.Key}")))
            await VisitAsync(page, path, "public" + Regex.Replace(path, "[^a-z0-9]+", "-"), errors);
        await VisitAsync(page, summaryStop, "public-summary-stop", errors);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync(LongName);
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop the weekly summary" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Weekly summary stopped");
        await CheckAsync(page, "public-summary-stopped", errors);

        // Operator pages.
        await AddOperatorAsync(app, "ops@example.com");
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync("ops@example.com");
        await page.GetByLabel("Password").FillAsync(OwnerClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/login"), new() { WaitUntil = WaitUntilState.Commit });
        await VisitAsync(page, "/operator", "operator", errors);
        await VisitAsync(page, "/operator/registration", "operator-registration", errors);
    }

    private static async Task AddOperatorAsync(BrowserApp app, string email)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var account = new OwnerAccount
        {
            Email = email, PasswordHash = "", SecurityStamp = Guid.NewGuid().ToString("N"), IsOperator = true, CreatedAt = DateTime.UtcNow,
        };
        account.PasswordHash = new PasswordHasher<OwnerAccount>().HashPassword(account, OwnerClient.Password);
        db.OwnerAccounts.Add(account);
        await db.SaveChangesAsync();
    }

    [GeneratedRegex(@"\(512\) 555-01\d\d")]
    private static partial Regex NumberOnPage();
}
