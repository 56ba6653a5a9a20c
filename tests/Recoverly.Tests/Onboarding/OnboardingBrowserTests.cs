using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Onboarding;

/// <summary>The onboarding wizard in Debian's Chromium at phone width: sign-up to a verify step that turns green by itself.</summary>
public class OnboardingBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"onboarding-{name}.png"), FullPage = true });

    [Fact]
    public async Task A_new_owner_sets_up_on_a_phone_and_the_verify_step_turns_green_when_the_test_call_arrives()
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl);
        await using var _ = context;

        await page.GotoAsync("/signup");
        await page.GetByLabel("Email").FillAsync("phone-owner@example.com");
        await page.GetByLabel("Password").FillAsync(OwnerClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await app.ConfirmSignUpAsync(page, "phone-owner@example.com", OwnerClient.Password);
        await page.GetByLabel("Business name").FillAsync("Pocket Plumbing");
        await page.GetByLabel("Business phone line").FillAsync("512-555-0142");
        await ShotAsync(page, "1-business");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: your Recoverly number" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Your Recoverly number");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("(512) 555-0102");
        await ShotAsync(page, "2-number");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this number" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/greeting$"));
        await page.GetByLabel("Greeting and voicemail").CheckAsync();
        await ShotAsync(page, "3-greeting");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: alerts on your phone" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/alerts$"));
        var optIn = page.Locator("input[name=AlertsOptIn]");
        await Assertions.Expect(optIn).Not.ToBeCheckedAsync();
        await page.GetByLabel("Your mobile number").FillAsync("(512) 555-0177");
        await optIn.CheckAsync();
        await ShotAsync(page, "4-alerts");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: forward your missed calls" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/forwarding$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Verizon", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#codes")).ToContainTextAsync("*715125550102");
        await Assertions.Expect(page.Locator("#codes")).ToContainTextAsync("*73");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Don't dial *72");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Settings → Phone → Call Forwarding switch");
        Assert.False(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1"),
            "the forwarding step scrolls sideways on a phone");
        await ShotAsync(page, "5-forwarding");
        await page.GetByRole(AriaRole.Button, new() { Name = "I've set it up — next: test it" }).ClickAsync();

        // The browser keeps the #codes fragment across the redirect.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/onboarding/verify(#.*)?$"));
        await Assertions.Expect(page.Locator("#verify-waiting")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#verify-done")).ToBeHiddenAsync();
        await ShotAsync(page, "6-verify-waiting");

        // The friend's call rings out on the business line and is forwarded to the Recoverly number (the simulator plays the carrier).
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        (await http.PostAsJsonAsync("/simulator/api/call", new { from = "+15125550188", to = "+15125550102" })).EnsureSuccessStatusCode();

        await Assertions.Expect(page.Locator("#verify-done")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#verify-waiting")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#verify-skip")).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Go to inbox" })).ToHaveAttributeAsync("href", "/app");
        await ShotAsync(page, "6-verify-done");
        Assert.Equal("/onboarding/verify", new Uri(page.Url).AbsolutePath); // turned green without a reload
        Assert.Empty(errors);
    }
}
