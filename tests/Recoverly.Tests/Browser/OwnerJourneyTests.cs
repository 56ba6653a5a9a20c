using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>
/// The whole path a new owner takes, in Debian's Chromium at phone width, against the app on a real
/// port with the simulator playing the carrier: sign up → onboarding with alert opt-in → forwarding
/// guide → verify with a simulated call → a missed call appears in the inbox live → the caller replies
/// → the owner answers from the conversation page → the caller sends STOP → "Opted out", reply refused.
/// </summary>
public class OwnerJourneyTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string Caller = "+15125550142";
    private const string OwnerMobile = "+15125550177";

    /// <summary>Every page of the journey fits the phone (no sideways scroll at 390 px) and is saved as a screenshot.</summary>
    private static async Task ShotAsync(IPage page, string name)
    {
        await PageChecks.AssertNoSidewaysScrollAsync(page, $"{name} ({new Uri(page.Url).PathAndQuery})", 390);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"journey-{name}.png"), FullPage = true });
    }

    private static async Task<List<(string From, string Body)>> PhoneAsync(HttpClient http, string number)
    {
        var messages = await http.GetFromJsonAsync<JsonElement[]>($"/simulator/api/phone?number={Uri.EscapeDataString(number)}");
        return messages!.Select(m => (m.GetProperty("from").GetString()!, m.GetProperty("body").GetString()!)).ToList();
    }

    /// <summary>The phone's messages once <paramref name="done"/> holds for them; fails the test (showing the phone) if it never does.</summary>
    private static Task<List<(string From, string Body)>> WaitForPhoneAsync(HttpClient http, string number,
        Func<List<(string From, string Body)>, bool> done, string what) =>
        Eventually.MatchAsync(() => PhoneAsync(http, number), done, $"{number}'s phone showed {what}");

    [Theory]
    [BothDatabases]
    public async Task A_new_owner_signs_up_sets_up_forwarding_and_answers_a_missed_caller_until_they_opt_out(Db db)
    {
        await using var app = await BrowserApp.StartAsync(db);
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl);
        await using var _ = context;
        using var carrier = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        try
        {
            // Sign up.
            await page.GotoAsync("/signup");
            await ShotAsync(page, "01-signup");
            await page.GetByLabel("Email").FillAsync("journey@example.com");
            await page.GetByLabel("Password").FillAsync("a long enough password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
            await app.ConfirmSignUpAsync(page, "journey@example.com", "a long enough password");

            // Onboarding: business, number, greeting.
            // A click waits for the navigation it starts; then only the address is checked (WaitForURLAsync also waits for a
            // load event, and can miss one that fired just before it asked: a rare hang seen on a busy machine).
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding$"));
            await ShotAsync(page, "01b-business");
            await page.GetByLabel("Business name").FillAsync("Journey Plumbing <b>&</b> Heating");
            await page.GetByLabel("Business phone line").FillAsync("512-555-0150");
            await page.GetByRole(AriaRole.Button, new() { Name = "Next: your Recoverly number" }).ClickAsync();
            var number = Regex.Match(await page.Locator("main").InnerTextAsync(), @"\(512\) 555-01\d\d").Value;
            await ShotAsync(page, "01c-number");
            Assert.NotEmpty(number);
            var recoverlyNumber = "+1" + Regex.Replace(number, @"\D", "");
            await page.GetByRole(AriaRole.Button, new() { Name = "Use this number" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/greeting$"));
            await ShotAsync(page, "01d-greeting");
            await page.GetByRole(AriaRole.Button, new() { Name = "Next: alerts on your phone" }).ClickAsync();

            // Owner alert opt-in: the box starts unticked; ticking it sends the YES request by SMS.
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/alerts$"));
            var optIn = page.Locator("input[name=AlertsOptIn]");
            await Assertions.Expect(optIn).Not.ToBeCheckedAsync();
            await page.GetByLabel("Your mobile number").FillAsync("(512) 555-0177");
            await optIn.CheckAsync();
            await ShotAsync(page, "02-alerts-opt-in");
            await page.GetByRole(AriaRole.Button, new() { Name = "Next: forward your missed calls" }).ClickAsync();

            // Forwarding guide.
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/forwarding$"));
            await page.GetByRole(AriaRole.Link, new() { Name = "Verizon", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("#codes")).ToContainTextAsync("*71" + recoverlyNumber[2..]);
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync("*72");
            await ShotAsync(page, "03-forwarding-guide");
            await page.GetByRole(AriaRole.Button, new() { Name = "I've set it up — next: test it" }).ClickAsync();

            // Verify: a friend's call rings out and is forwarded; the page turns green by itself.
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/verify(#.*)?$"));
            (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = "+15125550188", to = recoverlyNumber })).EnsureSuccessStatusCode();
            await Assertions.Expect(page.Locator("#verify-done")).ToBeVisibleAsync();
            await ShotAsync(page, "04-verified");

            // The owner's phone got exactly one request to reply YES; the owner confirms by SMS.
            var ownerPhone = await WaitForPhoneAsync(carrier, OwnerMobile, p => p.Count >= 1, "the opt-in request");
            Assert.Single(ownerPhone, m => m.Body.Contains("reply YES to get missed-call alerts"));
            (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = OwnerMobile, to = recoverlyNumber, body = "YES" })).EnsureSuccessStatusCode();

            // A customer's call is missed: it appears in the open inbox without a reload.
            await page.GetByRole(AriaRole.Link, new() { Name = "Go to inbox" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/app$"));
            await ShotAsync(page, "04b-inbox");
            (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = recoverlyNumber })).EnsureSuccessStatusCode();
            var row = page.Locator("#inbox li", new() { HasText = "(512) 555-0142" });
            await Assertions.Expect(row).ToBeVisibleAsync();
            await Assertions.Expect(row.Locator(".chip").First).ToContainTextAsync("Texted back");
            var callerPhone = await WaitForPhoneAsync(carrier, Caller, p => p.Count >= 1, "the text-back");
            Assert.StartsWith("Hi, this is Journey Plumbing <b>&</b> Heating.", callerPhone[0].Body);

            // The caller replies (with markup that must stay text); it shows up in the inbox live.
            const string reply = "Need my water heater looked at tomorrow <script>alert(1)</script>";
            (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = recoverlyNumber, body = reply })).EnsureSuccessStatusCode();
            await Assertions.Expect(row).ToContainTextAsync("Need my water heater looked at tomorrow <script>alert(1)</script>");
            await ShotAsync(page, "05-inbox-live");
            await WaitForPhoneAsync(carrier, OwnerMobile, p => p.Any(m => m.Body.Contains("missed call from (512) 555-0142")) && p.Any(m => m.Body.Contains("replied")),
                "the missed-call alert and the reply alert");

            // The owner answers from the conversation page; the caller receives exactly that text.
            await row.Locator("a.who").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/app/contacts/\\d+"));
            await ShotAsync(page, "06-conversation");
            await page.GetByLabel("Your reply").FillAsync("Sure — we can come by at 9am. Does that work?");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
            callerPhone = await WaitForPhoneAsync(carrier, Caller, p => p.Any(m => m.Body.StartsWith("Sure — we can come by")), "the owner's reply");
            Assert.Contains(callerPhone, m => m.From == recoverlyNumber && m.Body == "Sure — we can come by at 9am. Does that work?");

            // The caller opts out: the inbox says so and the reply box refuses.
            (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = recoverlyNumber, body = "STOP" })).EnsureSuccessStatusCode();
            callerPhone = await WaitForPhoneAsync(carrier, Caller, p => p.Any(m => m.Body.Contains("you're unsubscribed")), "the STOP confirmation");
            var confirmation = Assert.Single(callerPhone, m => m.Body.Contains("you're unsubscribed"));
            Assert.Equal((recoverlyNumber, "Journey Plumbing <b>&</b> Heating: you're unsubscribed and will get no more texts from us. Reply START to resubscribe."),
                confirmation);
            await page.GotoAsync("/app");
            await Assertions.Expect(page.Locator("#inbox li", new() { HasText = "(512) 555-0142" })).ToContainTextAsync("Opted out");
            await ShotAsync(page, "07-inbox-opted-out");
            await page.Locator("#inbox li a.who", new() { HasText = "(512) 555-0142" }).ClickAsync();
            await Assertions.Expect(page.Locator("#reply")).ToContainTextAsync("opted out");
            await Assertions.Expect(page.Locator("#reply textarea")).ToHaveCountAsync(0);
            await ShotAsync(page, "08-reply-refused");
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(e.Message + "\n" + await ChromiumFixture.DescribeAsync(page, errors, app.Logs), e);
        }

        // The caller's markup never ran as script anywhere.
        Assert.DoesNotContain(errors, e => e.Contains("alert"));
        Assert.Empty(errors);
    }
}
