using Microsoft.Playwright;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>The browser enforces the CSP, and the browser tests notice: an inline script or style is blocked and reported.</summary>
public class ContentSecurityPolicyBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static async Task WaitForErrorAsync(List<string> errors, string containing)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !errors.Any(e => e.Contains(containing, StringComparison.Ordinal))) await Task.Delay(50);
        Assert.Contains(errors, e => e.Contains(containing, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_inline_script_or_style_slipped_into_a_page_is_blocked_and_fails_the_page_check()
    {
        await using var app = await BrowserApp.StartAsync();
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl);
        await using var _ = context;
        await page.GotoAsync("/calculator", new() { WaitUntil = WaitUntilState.NetworkIdle });
        Assert.Empty(errors); // the page's own script is a file: allowed

        // What an injected caller message would try: an inline script element and an inline style.
        await page.EvaluateAsync("""
            () => {
                const script = document.createElement('script');
                script.textContent = 'window.injected = true';
                document.body.append(script);
                document.querySelector('h1').setAttribute('style', 'color: red');
            }
            """);

        await WaitForErrorAsync(errors, "CSP violation on /calculator: script-src-elem blocked inline");
        await WaitForErrorAsync(errors, "CSP violation on /calculator: style-src-attr blocked inline");
        // Chromium's own console report, which every browser test already counts as an error.
        Assert.Contains(errors, e => e.Contains("violates the following Content Security Policy directive", StringComparison.Ordinal));
        Assert.False(await page.EvaluateAsync<bool>("() => window.injected === true"));
        Assert.NotEqual("rgb(255, 0, 0)", await page.Locator("h1").EvaluateAsync<string>("h => getComputedStyle(h).color"));
    }
}
