using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Recoverly.Calls;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>The newcomer's first minute, in a real browser: call the demo business, get the text-back, STOP, HELP.</summary>
public class SimulatorPageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task A_call_that_rings_out_shows_the_text_back_and_stop_and_help_answer_on_the_phone()
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl);
        await using var _ = context;

        await page.GotoAsync("/simulator");
        await page.GetByRole(AriaRole.Button, new() { Name = "Call and let it ring out" }).ClickAsync();

        var caller = page.Locator("#callerThread");
        await Assertions.Expect(page.Locator("#heard")).ToContainTextAsync("Sorry we missed your call at Demo Plumbing");
        await Assertions.Expect(caller.Locator(".bubble.them")).ToHaveTextAsync(
            ["Hi, this is Demo Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out."]);

        await page.Locator("#callerText").FillAsync("STOP");
        await page.Locator("#callerForm button").ClickAsync();
        await Assertions.Expect(caller.Locator(".bubble.them").Nth(1)).ToHaveTextAsync(
            "Demo Plumbing: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.");

        await page.GetByRole(AriaRole.Button, new() { Name = "Call and let it ring out" }).ClickAsync();
        await page.Locator("#callerText").FillAsync("HELP");
        await page.Locator("#callerForm button").ClickAsync();
        await Assertions.Expect(caller.Locator(".bubble.them").Nth(2)).ToContainTextAsync("Msg & data rates may apply");
        // Once both calls are decided and nothing is left to send, no further text can come: the count is final.
        await Eventually.TrueAsync(async () => await app.QueryAsync(d => d.MissedCalls.CountAsync()) == 2 && await app.OutboxIdleAsync(),
            "both calls were recorded and the dispatcher had nothing left to send");
        Assert.Equal([CallOutcome.Texted, CallOutcome.OptedOut], await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync()));
        await Assertions.Expect(caller.Locator(".bubble.them")).ToHaveCountAsync(3); // no text-back after STOP, one confirmation only

        await Assertions.Expect(page.Locator("#ownerThread .bubble.them")).ToContainTextAsync(["reply YES to get missed-call alerts"]);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, "simulator-phone.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
