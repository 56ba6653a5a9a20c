using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Recoverly.Public.Guides;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>What a prospective owner or a carrier reviewer sees, in Debian's Chromium at phone and desktop widths.</summary>
public class PublicPagesBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly string[] Pages =
        ["/", "/pricing", "/calculator", "/examples", "/forwarding", "/guides", "/sms-policy", "/privacy", "/terms", "/signup", "/login", "/simulator"];

    [Theory]
    [InlineData(390, 844)]
    [InlineData(1280, 800)]
    public async Task Every_public_page_loads_without_console_errors_and_every_link_resolves(int width, int height)
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl, width, height);
        await using var _ = context;
        var links = new HashSet<string>();

        foreach (var path in Pages)
        {
            var response = await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.NetworkIdle });
            Assert.True(response is { Ok: true }, $"{path} answered {response?.Status}");
            Assert.False(string.IsNullOrWhiteSpace(await page.Locator("h1").First.InnerTextAsync()), $"{path} has no heading");
            // Nothing overflows sideways on a phone.
            await PageChecks.AssertNoSidewaysScrollAsync(page, path, width);
            if (path == "/pricing" || path == "/examples")
                await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"public{path.Replace('/', '-')}-{width}.png"), FullPage = true });
            foreach (var href in await page.Locator("a[href^='/']").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('href'))"))
                links.Add(href.Split('#')[0]);
        }

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(app.BaseUrl) };
        foreach (var link in links.Where(l => l.Length > 0))
        {
            var response = await http.GetAsync(link);
            var ok = response.IsSuccessStatusCode
                     || response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.ToString().Contains("/login") == true;
            Assert.True(ok, $"broken link {link}: {(int)response.StatusCode}");
        }
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Every_forwarding_guide_fits_a_390px_phone_without_errors_and_shows_its_undo()
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl, 390, 844);
        await using var _ = context;

        foreach (var system in Recoverly.Telephony.ForwardingGuide.Systems)
        {
            var path = $"/forwarding/{system.Key}";
            var response = await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.NetworkIdle });
            Assert.True(response is { Ok: true }, $"{path} answered {response?.Status}");
            Assert.Equal($"Call forwarding: {system.Name}", (await page.Locator("h1").InnerTextAsync()).Trim());
            await PageChecks.AssertNoSidewaysScrollAsync(page, path, 390);
            await Assertions.Expect(page.Locator("#undo")).ToBeVisibleAsync();
            Assert.True(await page.Locator("ol.undo > li").CountAsync() > 0, $"{path} has no undo steps");
            if (system.Key is "tmobile" or "googlevoice" or "ringcentral")
                await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"forwarding-{system.Key}-390.png"), FullPage = true });
        }
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Every_guide_reads_on_a_phone_without_console_errors_or_sideways_scroll()
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl, 390, 844);
        await using var _ = context;
        var guides = app.Services.GetRequiredService<GuideLibrary>().All;
        Assert.NotEmpty(guides);

        foreach (var guide in guides)
        {
            var response = await page.GotoAsync(guide.Path, new() { WaitUntil = WaitUntilState.NetworkIdle });
            Assert.True(response is { Ok: true }, $"{guide.Path} answered {response?.Status}");
            Assert.Equal(guide.Title, await page.Locator("h1").InnerTextAsync());
            // Tables and dial codes are the usual culprits; nothing may push the page wider than the phone.
            await PageChecks.AssertNoSidewaysScrollAsync(page, guide.Path, 390);
            await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"guide-{guide.Slug}-390.png"), FullPage = true });
        }
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_calculator_updates_live_with_the_worked_example()
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl);
        await using var _ = context;

        await page.GotoAsync("/calculator");
        // 10 missed calls a week, 60% would have booked, $350 jobs, 50% close:
        // 10 × 52/12 × 0.6 × 0.5 × 350 = $4,550 a month, $54,600 a year; one recovered job pays for $29.
        await page.Locator("#missed").FillAsync("10");
        await page.Locator("#book").FillAsync("60");
        await page.Locator("#value").FillAsync("350");
        await page.Locator("#close").FillAsync("50");

        await Assertions.Expect(page.Locator("#monthly")).ToHaveTextAsync("$4,550");
        await Assertions.Expect(page.Locator("#yearly")).ToHaveTextAsync("$54,600");
        await Assertions.Expect(page.Locator("#payback")).ToHaveTextAsync("1");
        Assert.Empty(errors);
    }
}
