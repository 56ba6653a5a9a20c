using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Browser;

/// <summary>
/// Emergency words and voicemail with one thumb at 390 px: the owner adds an emergency word in Settings; a caller's reply
/// with it puts that conversation above a newer one, marked Urgent with the word, until the owner marks it handled; a
/// voicemail shows its transcription and plays through the app's own recording page — no sideways scroll, no console
/// errors, no CSP violation on any of these pages.
/// </summary>
public class UrgentAndVoicemailOnAPhoneTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const int Width = 390;
    private const string Email = "urgent@example.com";
    private const string Number = "+15125550160";
    private const string UrgentCaller = "+15125550142";
    private const string VoicemailCaller = "+15125550143";
    private const string Transcription = "Hi, it's Dana on Oak Street, the water heater is making a banging noise, please call me back this afternoon.";

    private static async Task CheckAsync(IPage page, string name, List<string> errors, Db db)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactsFolder, $"urgent-{name}-{db}.png"), FullPage = true });
        await PageChecks.AssertNoSidewaysScrollAsync(page, $"{name} ({new Uri(page.Url).PathAndQuery})", Width);
        Assert.True(errors.Count == 0, $"{name}: {string.Join(" | ", errors)}");
    }

    [Theory]
    [BothDatabases]
    public async Task An_owner_adds_an_emergency_word_sees_that_caller_first_until_handled_and_plays_a_voicemail_at_390px(Db db)
    {
        await using var app = await BrowserApp.StartAsync(db);
        await app.AddOwnerWithBusinessAsync(Email, "Urgent Plumbing", Number, "+15125550161");
        var (context, page, errors) = await chromium.NewPhonePageAsync(app.BaseUrl, Width);
        await using var _ = context;
        using var carrier = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        try
        {
            await BrowserApp.LogInAsync(page, Email);

            // Settings: the suggested list, plus a word of the owner's own.
            await page.GotoAsync("/app/settings#emergency");
            var words = page.GetByLabel("One word or phrase a line");
            await Assertions.Expect(words).ToHaveValueAsync(new Regex("^emergency\n"));
            await words.FillAsync(await words.InputValueAsync() + "\nbackflow");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency words" }).ClickAsync();
            await Assertions.Expect(page.Locator(".alert.ok")).ToHaveTextAsync("Emergency words saved.");
            await Assertions.Expect(words).ToHaveValueAsync(new Regex("\nbackflow$"));
            await CheckAsync(page, "01-settings-emergency-words", errors, db);

            // A missed caller replies with the owner's word; a later caller leaves a voicemail, so by time alone they'd be first.
            (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = UrgentCaller, to = Number })).EnsureSuccessStatusCode();
            (await carrier.PostAsJsonAsync("/simulator/api/sms", new { from = UrgentCaller, to = Number, body = "Help! BACKFLOW coming up the basement drain" }))
                .EnsureSuccessStatusCode();
            (await carrier.PostAsJsonAsync("/simulator/api/call", new { from = VoicemailCaller, to = Number })).EnsureSuccessStatusCode();
            await app.LeaveVoicemailAsync(VoicemailCaller, Transcription);

            // The inbox: the urgent conversation first, with the word that matched.
            await page.GotoAsync("/app");
            var rows = page.Locator("#inbox > li");
            await Assertions.Expect(rows).ToHaveCountAsync(2);
            await Assertions.Expect(rows.First).ToContainTextAsync(Phones.FormatForDisplay(UrgentCaller));
            await Assertions.Expect(rows.First).ToHaveClassAsync(new Regex(@"\burgent\b"));
            await Assertions.Expect(rows.First.Locator(".urgent-chip")).ToHaveTextAsync("Urgent · “backflow”");
            await Assertions.Expect(rows.Nth(1)).ToContainTextAsync(Phones.FormatForDisplay(VoicemailCaller));
            await Assertions.Expect(rows.Nth(1).Locator(".voicemail")).ToContainTextAsync("banging noise");
            await Assertions.Expect(rows.Nth(1).Locator(".urgent-chip")).ToHaveCountAsync(0);
            await CheckAsync(page, "02-inbox-urgent-first", errors, db);

            // The conversation says why, and "Mark handled" ends it.
            await rows.First.Locator("a.who").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/app/contacts/\d+$"));
            var reason = page.Locator("#urgent");
            await Assertions.Expect(reason).ToContainTextAsync("Urgent: they said “backflow”");
            await Assertions.Expect(reason.GetByRole(AriaRole.Link, new() { Name = "emergency words" })).ToHaveAttributeAsync("href", "/app/settings#emergency");
            await CheckAsync(page, "03-conversation-urgent", errors, db);
            await reason.GetByRole(AriaRole.Button, new() { Name = "Mark handled" }).ClickAsync();
            await Assertions.Expect(page.Locator(".alert.ok")).ToHaveTextAsync("Marked as handled: no longer urgent in your inbox.");
            await Assertions.Expect(page.Locator("#urgent")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator(".thread")).ToContainTextAsync("BACKFLOW coming up the basement drain");

            // Back in the inbox, newest first again: the voicemail caller leads and nothing is marked urgent.
            await page.GotoAsync("/app");
            await Assertions.Expect(rows.First).ToContainTextAsync(Phones.FormatForDisplay(VoicemailCaller));
            await Assertions.Expect(rows.Nth(1)).ToContainTextAsync(Phones.FormatForDisplay(UrgentCaller));
            await Assertions.Expect(page.Locator("#inbox li.urgent, #inbox .urgent-chip")).ToHaveCountAsync(0);
            await CheckAsync(page, "04-inbox-handled", errors, db);

            // The voicemail: its transcription, and a player fed by the app's own recording page, never the provider's URL.
            await rows.First.Locator("a.who").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/app/contacts/\d+$"));
            var contactPath = new Uri(page.Url).AbsolutePath;
            await Assertions.Expect(page.Locator(".thread")).ToContainTextAsync(Transcription);
            var player = page.Locator("audio.voicemail-player");
            await Assertions.Expect(player).ToHaveCountAsync(1);
            await Assertions.Expect(player).ToHaveAttributeAsync("src", new Regex("^" + Regex.Escape(contactPath) + @"/recording/\d+$"));
            Assert.DoesNotContain("twilio.com", await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);
            var audio = await player.EvaluateAsync<JsonElement>("""
                async a => {
                    const r = await fetch(a.src);
                    const body = await r.arrayBuffer();
                    return { url: r.url, status: r.status, type: r.headers.get('content-type'), bytes: body.byteLength };
                }
                """);
            Assert.StartsWith(app.BaseUrl + contactPath + "/recording/", audio.GetProperty("url").GetString());
            Assert.Equal(200, audio.GetProperty("status").GetInt32());
            Assert.StartsWith("audio/", audio.GetProperty("type").GetString());
            Assert.True(audio.GetProperty("bytes").GetInt32() > 0, "the recording page answered no audio");
            await CheckAsync(page, "05-conversation-voicemail", errors, db);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{await ChromiumFixture.DescribeAsync(page, errors, app.Logs)}");
        }
    }
}
