using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Hosting;

/// <summary>The Prometheus scrape endpoint (docs/metrics.md): off by default, behind a bearer token when on.</summary>
[Collection(AppProcessCollection.Name)]
public class MetricsTests
{
    private const string Token = "scrape-token-0123456789abcdef";
    private const string Caller = "+15125550142";

    [Theory]
    [BothDatabases]
    public async Task A_scrape_with_the_token_shows_sends_time_to_text_webhooks_consent_and_the_outbox(Db db)
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await AppProcess.CreateAsync(db, sink, new Dictionary<string, string?> { ["Metrics__Enabled"] = "true", ["Metrics__Token"] = Token });
        await app.AddBusinessAsync();
        await app.StartServerAsync();

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 1, "the text-back was sent");
        (await app.InboundSmsAsync(Caller, "STOP")).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => sink.Api.SentTo(Caller).Count == 2, "the STOP was confirmed");
        await Eventually.TrueAsync(
            () => app.QueryAsync(d => d.OutboundMessages.AllAsync(m => m.ProviderSid != null)),
            "both sends were recorded");

        var scrape = await ScrapeAsync(app, Token);

        Assert.Equal(HttpStatusCode.OK, scrape.Status);
        Assert.Equal(1, Value(scrape.Body, "recoverly_sends_total", "kind=\"TextBack\"", "outcome=\"Accepted\"", "error_code=\"none\""));
        Assert.Equal(1, Value(scrape.Body, "recoverly_sends_total", "kind=\"OptOutConfirmation\"", "outcome=\"Accepted\""));
        Assert.Equal(1, Value(scrape.Body, "recoverly_text_back_time_to_text_seconds_count"));
        Assert.Equal(1, Value(scrape.Body, "recoverly_webhook_duration_seconds_count", "route=\"/twilio/voice\""));
        Assert.Equal(1, Value(scrape.Body, "recoverly_webhook_duration_seconds_count", "route=\"/twilio/sms\""));
        Assert.Equal(1, Value(scrape.Body, "recoverly_consent_events_total", "kind=\"OptOut\""));
        Assert.Equal(0, Value(scrape.Body, "recoverly_outbox_depth"));
        Assert.Equal(0, Value(scrape.Body, "recoverly_outbox_oldest_due_age_seconds"));
        Assert.DoesNotContain(Caller, scrape.Body);
    }

    [Fact]
    public async Task A_scrape_without_the_token_is_refused()
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?>
        {
            ["Metrics__Enabled"] = "true", ["Metrics__Token"] = Token,
        });
        await app.AddBusinessAsync();
        await app.StartServerAsync();

        foreach (var presented in new[] { null, "", "wrong-token-0123456789abcdef", Token + "x", Token[..^1] })
        {
            var refused = await ScrapeAsync(app, presented);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.DoesNotContain("recoverly_", refused.Body);
        }
        using var basic = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/metrics");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Http.SendAsync(basic)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ScrapeAsync(app, Token)).Status);
    }

    private static async Task<(HttpStatusCode Status, string Body)> ScrapeAsync(AppProcess app, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/metrics");
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        using var response = await app.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The sum of a metric's samples whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string exposition, string name, params string[] labels)
    {
        var samples = exposition.Split('\n')
            .Where(l => Regex.IsMatch(l, $@"^{Regex.Escape(name)}(\{{| )") && labels.All(l.Contains))
            .Select(l => double.Parse(l[(l.LastIndexOf('}') is var close and >= 0 ? close + 1 : name.Length)..].Trim().Split(' ')[0],
                System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(samples.Count > 0, $"no {name} {{{string.Join(",", labels)}}} in the scrape:\n{exposition}");
        return samples.Sum();
    }
}
