using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>
/// The installable app in Debian's Chromium at phone width: the manifest is linked and valid, the service worker
/// registers on /app, and the notification permission is asked only when the owner taps "Turn on phone alerts", after
/// which the subscription reaches the server. Headless Chromium has no push service to subscribe with offline, so
/// pushManager.subscribe() is stood in for by a subscription of the test's push-service stand-in (real keys); the
/// permission request, the app's own script and the server's checks are all real.
/// </summary>
public class PushAlertsBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string Email = "push@example.com";

    private const string Stubs = """
        (() => {
          if (typeof Notification === 'undefined' || typeof PushManager === 'undefined') return;
          window.__permissionAsks = 0;
          const ask = Notification.requestPermission.bind(Notification);
          Notification.requestPermission = (...args) => { window.__permissionAsks++; return ask(...args); };
          let current = null;
          PushManager.prototype.getSubscription = async () => current;
          PushManager.prototype.subscribe = async () => {
            const s = window.__testSubscription;
            current = { endpoint: s.endpoint, toJSON: () => ({ endpoint: s.endpoint, expirationTime: null, keys: { p256dh: s.p256dh, auth: s.auth } }),
                        unsubscribe: async () => { current = null; return true; } };
            return current;
          };
        })();
        """;

    private static (int Width, int Height) PngSize(byte[] png) =>
        ((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(16, 4)), (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(20, 4)));

    [Fact]
    public async Task The_app_installs_registers_its_service_worker_and_asks_for_notifications_only_when_tapped()
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await BrowserApp.StartAsync();
        var businessId = await app.AddOwnerWithBusinessAsync(Email, "Push Plumbing", "+15125550160", "+15125550161");
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl);
        await using var _ = context;
        var subscription = push.Subscribe("browser");
        await context.AddInitScriptAsync(
            $"window.__testSubscription = {JsonSerializer.Serialize(new { endpoint = subscription.Endpoint, p256dh = subscription.P256dh, auth = subscription.Auth })};\n{Stubs}");
        try
        {
            await BrowserApp.LogInAsync(page, Email);

            // The inbox: the service worker takes the whole site (scope /), so /app itself is controlled.
            await page.GotoAsync("/app");
            var scope = await page.EvaluateAsync<string>("async () => (await navigator.serviceWorker.ready).scope");
            Assert.Equal(app.BaseUrl + "/", scope);
            Assert.True(await page.EvaluateAsync<bool>("async () => { await navigator.serviceWorker.ready; return (await caches.keys()).includes('recoverly-app-v1'); }"));

            // The manifest: linked, served as a manifest, and what an install needs.
            var href = await page.Locator("link[rel=manifest]").GetAttributeAsync("href");
            using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
            using var manifestResponse = await http.GetAsync(href);
            Assert.Equal("application/manifest+json", manifestResponse.Content.Headers.ContentType?.MediaType);
            var manifest = JsonDocument.Parse(await manifestResponse.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("Recoverly", manifest.GetProperty("name").GetString());
            Assert.Equal("/app", manifest.GetProperty("start_url").GetString());
            Assert.Equal("standalone", manifest.GetProperty("display").GetString());
            var brand = (await page.EvaluateAsync<string>("getComputedStyle(document.documentElement).getPropertyValue('--brand')")).Trim();
            Assert.Equal(brand, manifest.GetProperty("theme_color").GetString());
            Assert.Equal(brand, await page.Locator("meta[name=theme-color]").GetAttributeAsync("content"));
            var icons = manifest.GetProperty("icons").EnumerateArray().ToList();
            foreach (var (size, purpose) in new[] { (192, "any"), (512, "any"), (512, "maskable") })
            {
                var icon = icons.Single(i => i.GetProperty("sizes").GetString() == $"{size}x{size}" && i.GetProperty("purpose").GetString() == purpose);
                using var png = await http.GetAsync(icon.GetProperty("src").GetString());
                Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
                Assert.Equal((size, size), PngSize(await png.Content.ReadAsByteArrayAsync()));
            }

            // Settings: nothing asks for permission on page load.
            await page.GotoAsync("/app/settings#push");
            var turnOn = page.GetByRole(AriaRole.Button, new() { Name = "Turn on phone alerts" });
            await Assertions.Expect(turnOn).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#push")).ToContainTextAsync("add Recoverly to your home screen");
            Assert.Equal(0, await page.EvaluateAsync<int>("window.__permissionAsks"));
            Assert.Equal("default", await page.EvaluateAsync<string>("Notification.permission"));
            Assert.False(await app.QueryAsync(d => d.PushDevices.AnyAsync()));

            // The owner taps; the browser grants; the subscription reaches the server and the device is listed.
            await context.GrantPermissionsAsync(["notifications"], new() { Origin = app.BaseUrl });
            await turnOn.ClickAsync();
            await Assertions.Expect(page.Locator(".alert.ok")).ToContainTextAsync("Phone alerts are on for this device.");
            await Assertions.Expect(page.Locator("ul.devices")).ToContainTextAsync("Chrome");
            var device = await app.QueryAsync(d => d.PushDevices.SingleAsync());
            Assert.Equal((businessId, subscription.Endpoint, subscription.P256dh), (device.BusinessId, device.Endpoint, device.P256dh));

            // The section with its device listed fits a phone.
            await page.Locator("#push").ScrollIntoViewIfNeededAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, "push-settings-device.png"), FullPage = true });
            await PageChecks.AssertNoSidewaysScrollAsync(page, "Settings with phone alerts on", 390);

            Assert.Empty(errors);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{await ChromiumFixture.DescribeAsync(page, errors, app.Logs)}");
        }
    }
}
