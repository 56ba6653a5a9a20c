using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Operator;
using Recoverly.Public;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Operator;

public class OperatorPagesTests
{
    [Theory]
    [InlineData("/operator")]
    [InlineData("/operator/registration")]
    public async Task Operator_pages_refuse_anonymous_visitors_and_ordinary_owners(string path)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id);

        var anonymous = await app.Http.GetAsync(path);
        var asOwner = await owner.Http.GetAsync(path);

        foreach (var response in new[] { anonymous, asOwner })
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("http://localhost/login", response.Headers.Location!.OriginalString);
        }
    }

    [Theory]
    [BothDatabases]
    public async Task Overview_lists_plans_texts_sent_and_failure_rates_by_error_code_for_the_last_day_week_and_all_time(Db db)
    {
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Billing:Provider"] = "Stripe", ["Stripe:SecretKey"] = "sk_test_x", ["Stripe:WebhookSecret"] = "whsec_x", ["Stripe:PriceId"] = "price_x" });
        var acme = await app.AddBusinessAsync("Acme Plumbing");
        var bolt = await app.AddBusinessAsync("Bolt Electric", number: "+15125550200", businessPhone: "+15125550201");
        var now = app.Time.GetUtcNow().UtcDateTime;
        await app.QueryAsync(async d =>
        {
            await d.Businesses.Where(b => b.Id == bolt.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.Plan, PlanState.Canceled));
            var statuses = new (long Business, OutboundStatus Status, int? Code, int DaysAgo)[]
            {
                (acme.Id, OutboundStatus.Delivered, null, 0), (acme.Id, OutboundStatus.Delivered, null, 0), (acme.Id, OutboundStatus.Delivered, null, 0),
                (acme.Id, OutboundStatus.Undelivered, 30007, 0), (acme.Id, OutboundStatus.Failed, 30034, 10),
                (bolt.Id, OutboundStatus.Delivered, null, 0), (bolt.Id, OutboundStatus.Undelivered, 30007, 3), (bolt.Id, OutboundStatus.Undelivered, 30006, 0),
            };
            var i = 0;
            foreach (var (business, status, code, daysAgo) in statuses)
            {
                d.OutboundMessages.Add(new OutboundMessage
                {
                    BusinessId = business, Kind = OutboundKind.TextBack, To = $"+1512555{1000 + i++}", From = "+15125550100", Body = "x",
                    Status = status, ErrorCode = code, CreatedAt = now.AddDays(-daysAgo), NextAttemptAt = now, ProviderSid = TestApp.NewSid("SM"),
                });
            }
            return await d.SaveChangesAsync();
        });
        using var op = await OwnerClient.SignInAsync(app, null, isOperator: true);

        var response = await op.Http.GetAsync("/operator");
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Acme Plumbing", html);
        Assert.Contains("Bolt Electric", html);
        Assert.Contains("<span class=\"plan-state\">Trial</span>", html);
        Assert.Contains("<span class=\"plan-state\">Canceled</span>", html);
        // 8 texts handed to the provider (6 in the last day, 7 in the last week): 30007 once today, once 3 days ago; 30034 10 days ago.
        Assert.Matches(@"<th scope=""row"">All time</th><td>8</td><td>4</td><td>4</td>\s*<td>50.0%</td>", html);
        Assert.Matches(@"30007</a></td>\s*<td>Not delivered — filtered by the carrier \(message content\)</td>\s*<td><span class=""chip "">Filtered</span></td>\s*"
                       + @"<td>1 <span class=""muted small"">\(16.7%\)</span></td>\s*<td>2 <span class=""muted small"">\(28.6%\)</span></td>\s*"
                       + @"<td>2 <span class=""muted small"">\(25.0%\)</span></td>", html);
        Assert.Matches(@"30034</a></td>\s*<td>[^<]*register it</td>\s*<td><span class=""chip bad"">Configuration</span></td>\s*"
                       + @"<td>0 <span class=""muted small"">\(0.0%\)</span></td>\s*<td>0 <span class=""muted small"">\(0.0%\)</span></td>\s*"
                       + @"<td>1 <span class=""muted small"">\(12.5%\)</span></td>", html);
        Assert.Contains("30006", html);
    }

    [Fact]
    public async Task Registration_helper_renders_the_live_templates_within_the_registry_limits()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        using var op = await OwnerClient.SignInAsync(app, null, isOperator: true);

        var html = WebUtility.HtmlDecode(await op.Http.GetStringAsync("/operator/registration"));

        Assert.Contains("Every field is within the registry's limits.", html);
        // Written out, not rendered by the templates under test.
        Assert.Contains("Hi, this is Acme Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.", html);
        Assert.Contains("Acme Plumbing: we text back callers we missed. Help: call (512) 555-0101 or help@acmeplumbing.example. 1 message per missed call. Msg & data rates may apply. Reply STOP to opt out.", html);
        Assert.Contains("Acme Plumbing: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.", html);
        Assert.Contains("Acme Plumbing: you're resubscribed. We text you only about your calls to us (1 message per missed call). Msg & data rates may apply. Reply HELP for help, STOP to opt out.", html);
        Assert.Contains("Recoverly: (512) 555-0142 replied: \"Need my water heater looked at tomorrow\" — reply to this text to answer, or open http://localhost/app/contacts/42", html);
        Assert.DoesNotContain("/inbox/", html);
        Assert.Contains("http://localhost/sms-policy", html);
        var samples = Regex.Matches(html, "Sample message \\d").Count;
        Assert.InRange(samples, CampaignRegistration.MinSamples, CampaignRegistration.MaxSamples);
        Assert.DoesNotContain("Too long", html);
    }

    [Fact]
    public void Default_campaign_fits_every_limit()
    {
        var campaign = CampaignRegistration.For(ExampleMessages.Sample, "https://recoverly.example.com");

        Assert.True(campaign.AllWithinLimits, string.Join("; ", campaign.Fields.Concat(campaign.Samples).Where(f => !f.WithinLimits).Select(f => $"{f.Label}: {f.Problem}")));
        Assert.InRange(campaign.Samples.Count, 2, 5);
        var messages = campaign.Fields.Where(f => f.ApiName.EndsWith("_message", StringComparison.Ordinal)).ToList();
        Assert.Equal(["opt_in_message", "opt_out_message", "help_message"], messages.Select(f => f.ApiName));
        Assert.All(messages, f => Assert.Equal((20, 320), (f.Min, f.Max)));
        Assert.Contains(campaign.Samples, s => s.Text.Contains("Reply STOP to opt out", StringComparison.Ordinal));
        Assert.Contains(campaign.Samples, s => s.Text ==
            "Recoverly: (512) 555-0142 replied: \"Need my water heater looked at tomorrow\" — reply to this text to answer, or open https://recoverly.example.com/app/contacts/42");
    }

    [Fact]
    public async Task Registration_helper_flags_a_template_over_the_sample_limit()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync("Wordy Plumbing");
        var longTemplate = "Hi, this is {Business}. " + string.Concat(Enumerable.Repeat("We are very sorry we missed you. ", 33)) + "Reply STOP to opt out.";
        await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.TextBackTemplate, longTemplate)));
        using var op = await OwnerClient.SignInAsync(app, null, isOperator: true);

        var html = WebUtility.HtmlDecode(await op.Http.GetStringAsync($"/operator/registration?business={business.Id}"));

        var length = longTemplate.Replace("{Business}", "Wordy Plumbing", StringComparison.Ordinal).Length;
        Assert.True(length > 1024);
        Assert.Contains($"Too long: {length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} characters; the registry allows at most 1,024.", html);
        Assert.Contains($"{length} / 1024 characters", html);
        Assert.Contains("Some fields break the registry's limits", html);
    }
}
