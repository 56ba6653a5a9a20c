using System.Text.Json;
using Microsoft.Playwright;

namespace Recoverly.Tests.Infrastructure;

/// <summary>Checks every browser test can run on any page.</summary>
public static class PageChecks
{
    /// <summary>
    /// Fails when the page scrolls sideways: its scroll width is wider than the window (and than the width the
    /// test asked for, in case a phone browser zoomed out to fit). Names the elements that stick out.
    /// </summary>
    public static async Task AssertNoSidewaysScrollAsync(IPage page, string what, int width)
    {
        var fit = await page.EvaluateAsync<JsonElement>("""
            width => {
                const limit = Math.min(window.innerWidth, width) + 0.5;
                const right = e => e.getBoundingClientRect().right;
                return {
                    scrollWidth: document.scrollingElement.scrollWidth,
                    innerWidth: window.innerWidth,
                    // The outermost elements that reach past the edge: the ones to fix.
                    wide: [...document.body.querySelectorAll('*')]
                        .filter(e => right(e) > limit && (!e.parentElement || right(e.parentElement) <= limit))
                        .slice(0, 5)
                        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                            + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '')
                            + ' (' + Math.round(right(e)) + 'px)'),
                };
            }
            """, width);
        var (scrollWidth, innerWidth) = (fit.GetProperty("scrollWidth").GetInt32(), fit.GetProperty("innerWidth").GetInt32());
        var wide = fit.GetProperty("wide").EnumerateArray().Select(e => e.GetString());
        Assert.True(scrollWidth <= Math.Min(innerWidth, width),
            $"{what} scrolls sideways at {width}px: {scrollWidth}px wide in a {innerWidth}px window; sticking out: {string.Join(", ", wide)}");
    }
}
