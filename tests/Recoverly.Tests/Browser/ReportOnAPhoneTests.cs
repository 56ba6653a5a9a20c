using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>
/// The money recovered, with one thumb at 390 px: the owner saves a booking link and a quick reply, answers a missed
/// caller with the quick reply, marks the job booked with its value, and the report shows it — no sideways scroll,
/// no console errors, no CSP violation on any of these pages.
/// </summary>
public partial class ReportOnAPhoneTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const int Width = 390;
    private const string Caller = "+15125550142";

    private static async Task CheckAsync(IPage page, string name, List<string> errors, Db db)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"report-{name}-{db}.png"), FullPage = true });
        await PageChecks.AssertNoSidewaysScrollAsync(page, $"{name} ({new Uri(page.Url).PathAndQuery})", Width);
        Assert.True(errors.Count == 0, $"{name}: {string.Join(" | ", errors)}");
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

    [Theory]
    [BothDatabases]
    public async Task An_owner_answers_with_a_quick_reply_marks_the_job_booked_and_sees_it_on_the_report_at_390px(Db db)
    {
        await using var app = await BrowserApp.StartAsync(db);
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl, Width);
        await using var _ = context;
        using var carrier = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };

        await page.GotoAsync("/signup");
        await page.GetByLabel("Email").FillAsync("report@example.com");
        await page.GetByLabel("Password").FillAsync(OwnerClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await app.ConfirmSignUpAsync(page, "report@example.com", OwnerClient.Password);
        await page.GetByLabel("Business name").FillAsync("Report Plumbing");
        await page.GetByLabel("Business phone line").FillAsync("512-555-0150");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: your Recoverly number" }).ClickAsync();
        var shown = NumberOnPage().Match(await page.Locator("main").InnerTextAsync()).Value;
        var number = "+1" + Regex.Replace(shown, @"\D", "");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this number" }).ClickAsync();
        await page.WaitForURLAsync("**/onboarding/greeting");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: alerts on your phone" }).ClickAsync();
        await page.WaitForURLAsync("**/onboarding/alerts");
        await page.GetByLabel("Your mobile number").FillAsync("(512) 555-0177");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: forward your missed calls" }).ClickAsync();
        await page.WaitForURLAsync("**/onboarding/forwarding");
        await page.GetByRole(AriaRole.Link, new() { Name = "Verizon", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "I've set it up — next: test it" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/onboarding/verify(#.*)?$"));
        await page.GetByRole(AriaRole.Button, new() { Name = "I'll test it later — go to inbox" }).ClickAsync();
        await page.WaitForURLAsync("**/app");

        // Settings: a booking link, and a quick reply that uses it.
        await page.GotoAsync("/app/settings#booking");
        await page.GetByLabel("Booking link").FillAsync("https://book.example.com/report-plumbing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save booking link" }).ClickAsync();
        await page.GetByLabel("New quick reply").FillAsync("Thanks! Pick a time here: {booking_link}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add quick reply" }).ClickAsync();
        await Assertions.Expect(page.Locator("#quick-replies")).ToContainTextAsync("Pick a time here");
        await CheckAsync(page, "01-settings", errors, db);

        // A caller is missed and replies; the owner answers with the quick reply (inserted, then sent).
        (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = Caller, to = number })).EnsureSuccessStatusCode();
        await WaitForPhoneAsync(carrier, Caller, "Sorry we missed your call");
        (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = Caller, to = number, body = "Can you fix a leaking tap this week?" }))
            .EnsureSuccessStatusCode();
        await page.GotoAsync("/app");
        var row = page.Locator("#inbox li", new() { HasText = Phones.FormatForDisplay(Caller) });
        await Assertions.Expect(row).ToContainTextAsync("leaking tap", new() { Timeout = 15_000 });
        await row.Locator("a.who").ClickAsync();
        await page.WaitForURLAsync(new Regex("/app/contacts/\\d+"));
        await page.Locator("[data-quick-replies] button", new() { HasText = "Pick a time here" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Your reply")).ToHaveValueAsync("Thanks! Pick a time here: https://book.example.com/report-plumbing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        await WaitForPhoneAsync(carrier, Caller, "Pick a time here: https://book.example.com/report-plumbing");

        // One tap: booked, with the job's value.
        await page.GetByLabel("Job value (optional)").FillAsync("1,250");
        await page.GetByRole(AriaRole.Button, new() { Name = "Booked / won" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outcome")).ToContainTextAsync("Booked · $1,250");
        await CheckAsync(page, "02-conversation-booked", errors, db);

        await page.GotoAsync("/app");
        await Assertions.Expect(row).ToContainTextAsync("Booked · $1,250");
        await Assertions.Expect(row).ToContainTextAsync("You replied");

        // The report: the whole funnel for this week, the money, and the estimates labelled as such.
        await page.GotoAsync("/app/report");
        await Assertions.Expect(page.Locator("#funnel-title")).ToHaveTextAsync(
            "Missed calls: 1, Texted back: 1, Caller replied: 1, You answered: 1, Booked / won: 1");
        await Assertions.Expect(page.Locator("#period .money .figure strong").First).ToHaveTextAsync("$1,250");
        await Assertions.Expect(page.Locator("#period")).ToContainTextAsync("Estimate:");
        await Assertions.Expect(page.Locator("#trend svg.chart")).ToBeVisibleAsync();
        var chart = await page.Locator("#period svg.chart").BoundingBoxAsync();
        Assert.True(chart is { Width: > 300 and <= Width }, $"the funnel chart is {chart?.Width} px wide");
        await CheckAsync(page, "03-report-week", errors, db);
        await page.GetByRole(AriaRole.Link, new() { Name = "By month" }).ClickAsync();
        await Assertions.Expect(page.Locator("#funnel-title")).ToContainTextAsync("Booked / won: 1");
        await CheckAsync(page, "04-report-month", errors, db);

        // Call-through: the business line is verified with a code call (the simulator shows what the call said).
        await page.GotoAsync("/app/settings#calls");
        await Assertions.Expect(page.Locator("[data-line-state]")).ToContainTextAsync("Not verified");
        await page.GetByRole(AriaRole.Button, new() { Name = "Call me with a code" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-line-state]")).ToContainTextAsync("Code sent");
        var calls = await carrier.GetStringAsync("/simulator/api/calls");
        var code = Regex.Replace(Regex.Match(calls, @"code is ([\d, ]+)").Groups[1].Value, @"\D", "");
        await page.GetByLabel("Code from the call").FillAsync(code);
        await CheckAsync(page, "05-settings-code", errors, db);
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify and turn on call-through" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-line-state]")).ToContainTextAsync("Verified");
        await Assertions.Expect(page.Locator("select[name=mode]")).ToHaveValueAsync("CallThrough");
        await CheckAsync(page, "06-settings-call-through", errors, db);
    }

    [GeneratedRegex(@"\(512\) 555-01\d\d")]
    private static partial Regex NumberOnPage();
}
