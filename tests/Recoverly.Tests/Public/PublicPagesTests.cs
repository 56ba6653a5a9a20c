using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Billing;
using Recoverly.Public;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Public;

public partial class PublicPagesTests
{
    public static TheoryData<string, string> Pages => new()
    {
        { "/", "Never lose a job to a missed call." },
        { "/pricing", "Pricing" },
        { "/calculator", "What do missed calls cost you?" },
        { "/examples", "Message examples" },
        { "/forwarding", "Call forwarding guides" },
        { "/sms-policy", "SMS consent policy" },
        { "/privacy", "Privacy policy" },
        { "/terms", "Terms of service" },
        { "/guides", "Guides" },
    };

    /// <summary>Every public page a search engine or a link preview sees: the table above, a forwarding guide and every guide.</summary>
    private static IEnumerable<string> MetadataPages => Pages.Select(p => (string)p[0])
        .Append("/forwarding/verizon")
        .Concat(GuidesTests.Guides.Select(g => "/guides/" + (string)g[0]));

    [Fact]
    public async Task Every_public_page_has_its_own_title_description_and_open_graph_tags()
    {
        const string publicBase = "https://recoverly.example.com";
        await using var app = await TestApp.StartAsync(Db.Sqlite, TestApp.PublicAddress(publicBase + "/"));
        using var visitor = app.NewClient(publicBase, cookies: false); // over https, as the public address is reached
        var failures = new List<string>();
        var descriptions = new Dictionary<string, string>();
        var titles = new Dictionary<string, string>();

        foreach (var path in MetadataPages)
        {
            var html = await visitor.GetStringAsync(path);
            var title = WebUtility.HtmlDecode(Assert.Single(TitleTag().Matches(html)).Groups[1].Value);
            string? Meta(string attribute, string key)
            {
                var found = MetaTag().Matches(html).Where(m => m.Groups[1].Value == attribute && m.Groups[2].Value == key).ToList();
                return found.Count == 1 ? WebUtility.HtmlDecode(found[0].Groups[3].Value) : null;
            }
            var description = Meta("name", "description");
            void Expect(bool ok, string what) { if (!ok) failures.Add($"{path}: {what}"); }

            Expect(title.Contains("Recoverly", StringComparison.Ordinal), $"title \"{title}\" does not name the site");
            Expect(description is { Length: >= 50 and <= 200 }, $"description \"{description}\" missing or not 50-200 characters");
            Expect(Meta("property", "og:title") is { Length: > 0 } ogTitle && title.StartsWith(ogTitle, StringComparison.Ordinal), "og:title missing or unlike the title");
            Expect(Meta("property", "og:description") == description, "og:description differs from the description");
            Expect(Meta("property", "og:type") == (path.StartsWith("/guides/", StringComparison.Ordinal) ? "article" : "website"), "og:type");
            Expect(Meta("property", "og:url") == publicBase + path, $"og:url is {Meta("property", "og:url")}");
            Expect(Meta("property", "og:site_name") == "Recoverly", "og:site_name");
            Expect(html.Contains($"<link rel=\"canonical\" href=\"{publicBase}{path}\">", StringComparison.Ordinal), "canonical link");
            if (description is not null) descriptions[path] = description;
            titles[path] = title;
        }

        Assert.Empty(failures);
        // Each page describes itself, not the site in general.
        Assert.Equal(descriptions.Count, descriptions.Values.Distinct().Count());
        Assert.Equal(titles.Count, titles.Values.Distinct().Count());
    }

    [Fact]
    public async Task Without_a_public_base_url_open_graph_urls_come_from_the_request()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?>
        {
            ["Telephony:Provider"] = "Simulator",
            ["Recoverly:PublicBaseUrl"] = "",
        });

        var html = await app.Http.GetStringAsync("/guides/why-sms-consent-matters");
        var sitemap = await app.Http.GetStringAsync("/sitemap.xml");

        Assert.Contains("<meta property=\"og:url\" content=\"http://localhost/guides/why-sms-consent-matters\">", html);
        Assert.Contains("<loc>http://localhost/pricing</loc>", sitemap);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Public_page_answers_200_with_its_heading(string path, string heading)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var response = await app.Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(heading, WebUtility.HtmlDecode(Assert.Single(H1().Matches(html)).Groups[1].Value.Trim()));
        Assert.Contains("<main>", html);
        Assert.Contains("<html lang=\"en\">", html);
    }

    [Fact]
    public async Task Every_internal_link_on_the_public_pages_resolves()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var seen = new HashSet<string>();
        var queue = new Queue<string>(Pages.Select(p => (string)p[0]));
        var failures = new List<string>();
        while (queue.Count > 0)
        {
            var path = queue.Dequeue();
            if (!seen.Add(path)) continue;
            var response = await app.Http.GetAsync(path);
            var location = response.Headers.Location?.OriginalString ?? "";
            var ok = response.StatusCode == HttpStatusCode.OK
                || (response.StatusCode == HttpStatusCode.Redirect && location.StartsWith("http://localhost/login", StringComparison.Ordinal));
            if (!ok) failures.Add($"{path} → {(int)response.StatusCode} {location}");
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/html") continue;
            foreach (Match m in Href().Matches(await response.Content.ReadAsStringAsync()))
            {
                var href = WebUtility.HtmlDecode(m.Groups[1].Value);
                if (href.StartsWith("//", StringComparison.Ordinal)) continue;
                var local = href.Split('#')[0];
                if (local.Length > 0) queue.Enqueue(local);
            }
        }
        Assert.Empty(failures);
        Assert.Contains("/css/site.css", seen.Select(s => s.Split('?')[0]));
        Assert.Contains("/signup", seen);
        Assert.Contains("/favicon.svg", seen); // no 404 for /favicon.ico in the browser console
        Assert.Contains("/forwarding/verizon", seen);
    }

    [Fact]
    public async Task Forwarding_guides_show_the_onboarding_codes_and_warn_about_star_72()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var index = WebUtility.HtmlDecode(await app.Http.GetStringAsync("/forwarding"));
        var verizon = WebUtility.HtmlDecode(await app.Http.GetStringAsync("/forwarding/verizon"));
        var gsm = WebUtility.HtmlDecode(await app.Http.GetStringAsync("/forwarding/gsm"));

        foreach (var system in Recoverly.Telephony.ForwardingGuide.Systems) Assert.Contains($"<a href=\"/forwarding/{system.Key}\">{system.Name}</a>", index);
        Assert.Contains(Recoverly.Telephony.ForwardingGuide.EveryCallWarning, index);
        Assert.Contains("<code class=\"dial\">*71XXXXXXXXXX</code>", verizon);
        Assert.Contains("<code class=\"dial\">*73</code>", verizon);
        Assert.Contains("the code that forwards every call is <code>*72XXXXXXXXXX</code>", verizon);
        Assert.Contains("<code class=\"dial\">**61*1XXXXXXXXXX**20#</code>", gsm);
        Assert.Contains("<code class=\"dial\">**004*[your voicemail number]#</code>", gsm);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync("/forwarding/nonsense")).StatusCode);
    }

    [Fact]
    public async Task Calculator_worked_example_without_javascript()
    {
        // 10 missed calls a week, 60% would book, $350 a job, 50% close:
        // monthly = 10 × 52/12 × 0.6 × 0.5 × 350 = $4,550; yearly = $54,600; 1 recovered job pays for $29.
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var html = WebUtility.HtmlDecode(await app.Http.GetStringAsync("/calculator?missed=10&book=60&value=350&close=50"));

        Assert.Contains("<strong id=\"monthly\">$4,550</strong>", html);
        Assert.Contains("<strong id=\"yearly\">$54,600</strong>", html);
        Assert.Contains("<strong id=\"payback\">1</strong>", html);
        Assert.Contains("<strong id=\"jobs\">13</strong>", html);
        Assert.Contains(MissedCallCost.Formula, html);
    }

    [Fact]
    public async Task Calculator_shows_a_clear_message_for_each_invalid_input()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var response = await app.Http.GetAsync("/calculator?missed=-3&book=150&value=abc&close=");
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var message in MissedCallCost.Messages.Values) Assert.Contains(message, html);
        Assert.Contains("role=\"alert\"", html);
        Assert.Contains("<div id=\"results\" aria-live=\"polite\" hidden>", html);
        Assert.Contains("aria-invalid=\"true\"", html);
    }

    [Fact]
    public async Task Calculator_keeps_a_partly_valid_form_and_flags_only_the_bad_field()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var html = WebUtility.HtmlDecode(await app.Http.GetStringAsync("/calculator?missed=10&book=60&value=0&close=50"));

        Assert.Contains(MissedCallCost.Messages[MissedCallCost.ValueField], html);
        Assert.Contains("<span class=\"error\" id=\"missed-error\"></span>", html);
        Assert.Contains("value=\"10\"", html);
    }

    [Fact]
    public async Task Examples_page_shows_exactly_the_texts_the_engine_sends()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        // Written out, not rendered by the templates under test: a wrong word or a wrong link here must fail.
        string[] expected =
        [
            "Hi, this is Acme Plumbing. Sorry we missed your call! How can we help? Reply here and we'll get back to you shortly. Reply STOP to opt out.",
            "Acme Plumbing: we text back callers we missed. Help: call (512) 555-0101 or help@acmeplumbing.example. 1 message per missed call. Msg & data rates may apply. Reply STOP to opt out.",
            "Acme Plumbing: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.",
            "Acme Plumbing: you're resubscribed. We text you only about your calls to us (1 message per missed call). Msg & data rates may apply. Reply HELP for help, STOP to opt out.",
            "Recoverly: reply YES to get missed-call alerts for the business on Recoverly number (512) 555-0100. Not you? Ignore this or reply STOP. Msg & data rates may apply. HELP for help.",
            "Recoverly: missed-call alerts for Acme Plumbing are on. About 1 alert per missed call or reply. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
            "Recoverly: missed call from (512) 555-0142 at 2:14 PM — we're texting them back.",
            "Recoverly: (512) 555-0142 replied: \"Need my water heater looked at tomorrow\" — reply to this text to answer, or open http://localhost/app/contacts/42",
        ];

        var html = await app.Http.GetStringAsync("/examples");
        var fromRecoverly = Regex.Matches(html, "<div class=\"bubble them\"><span class=\"visually-hidden\">Received: </span><span class=\"msg\">(.*?)</span></div>")
            .Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

        Assert.Equal(expected, fromRecoverly);
        // The alert's link is a real owner page (sign in first), not a route that does not exist.
        var link = new Uri(Regex.Match(fromRecoverly[^1], @"open (\S+)$").Groups[1].Value);
        var linked = await app.Http.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, linked.StatusCode);
        Assert.StartsWith("http://localhost/login", linked.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Pricing_shows_the_live_number_of_founding_spots_left()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        Assert.Contains("10 of 10 spots left", await app.Http.GetStringAsync("/pricing"));

        for (var i = 0; i < 3; i++)
        {
            var business = await app.AddBusinessAsync($"Shop {i}", number: $"+1512555020{i}", businessPhone: $"+1512555030{i}");
            await app.SetUpForRealAsync(business.Id);
            await app.WithScopeAsync(sp => sp.GetRequiredService<FoundingProgram>().ClaimAsync(business.Id));
        }

        var html = await app.Http.GetStringAsync("/pricing");
        Assert.Contains("7 of 10 spots left", html);
        Assert.Contains("$29", html);
        Assert.Contains("14-day free trial", html);
        Assert.Contains("7 of 10 founding spots left", await app.Http.GetStringAsync("/"));
    }

    [Fact]
    public async Task Sms_policy_covers_both_programs_with_the_disclosures_carriers_look_for()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?> { ["Recoverly:SupportEmail"] = "help@operator.example" });

        var html = Flat(await app.Http.GetStringAsync("/sms-policy"));

        Assert.Contains("Recoverly missed-call text-back", html);
        Assert.Contains("Recoverly owner alerts", html);
        Assert.Contains("One message per missed call", html);
        Assert.Contains("About one alert per missed call or caller reply", html);
        Assert.True(Regex.Matches(html, "Msg & data rates may apply").Count >= 2);
        Assert.Contains("Reply <strong>STOP</strong>", html);
        Assert.Contains("Reply <strong>HELP</strong>", html);
        Assert.Contains("help@operator.example", html);
        Assert.Contains("Text messaging opt-in data and consent are not shared with third parties or affiliates", html);
        Assert.Contains("not legal advice", html);
        Assert.Contains("Acme Plumbing: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.", html);
    }

    [Fact]
    public async Task Privacy_and_terms_say_they_are_not_legal_advice_and_that_numbers_are_never_sold()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var privacy = Flat(await app.Http.GetStringAsync("/privacy"));
        var terms = Flat(await app.Http.GetStringAsync("/terms"));

        Assert.Contains("not legal advice", privacy);
        Assert.Contains("We never sell, rent or share phone numbers", privacy);
        Assert.Contains("at least four years", privacy);
        Assert.Contains("not legal advice", terms);
        Assert.Contains("$29 per month", terms);
    }

    /// <summary>Decoded, with line breaks and indentation collapsed to single spaces.</summary>
    private static string Flat(string html) => Regex.Replace(WebUtility.HtmlDecode(html), @"\s+", " ");

    [GeneratedRegex("<h1[^>]*>(.*?)</h1>", RegexOptions.Singleline)]
    private static partial Regex H1();

    [GeneratedRegex("(?:href|src|action)=\"(/[^\"]*)\"")]
    private static partial Regex Href();

    [GeneratedRegex("<title>(.*?)</title>", RegexOptions.Singleline)]
    private static partial Regex TitleTag();

    [GeneratedRegex("<meta (name|property)=\"([^\"]+)\" content=\"([^\"]*)\">")]
    private static partial Regex MetaTag();
}
