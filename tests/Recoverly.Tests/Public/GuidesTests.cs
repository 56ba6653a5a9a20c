using System.Net;
using System.ServiceModel.Syndication;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Recoverly.Public.Guides;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Public;

public partial class GuidesTests
{
    private const string Base = "https://recoverly.example.com";
    private static readonly Dictionary<string, string?> PublicBase = TestApp.PublicAddress(Base);

    /// <summary>The guides the founding article links to; each must exist.</summary>
    public static TheoryData<string, string> Guides => new()
    {
        { "what-is-missed-call-recovery", "What is missed-call recovery?" },
        { "how-missed-call-text-back-works", "How missed-call text-back works under the hood" },
        { "why-sms-consent-matters", "Why SMS consent matters for missed-call text-back" },
        { "missed-call-text-back-vs-ai-receptionists", "Missed-call text-back vs. AI receptionists" },
    };

    private static IEnumerable<string> Slugs => Guides.Select(g => (string)g[0]);

    [Theory]
    [MemberData(nameof(Guides))]
    public async Task Each_guide_renders_with_its_title_links_to_the_examples_calculator_and_sms_policy_and_says_not_legal_advice(string slug, string title)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var response = await app.Http.GetAsync($"/guides/{slug}");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(title, WebUtility.HtmlDecode(Assert.Single(H1().Matches(html)).Groups[1].Value.Trim()));
        Assert.Equal($"{title} · Recoverly", WebUtility.HtmlDecode(TitleTag().Match(html).Groups[1].Value));
        var body = GuideBody().Match(html).Groups[1].Value;
        Assert.Contains("href=\"/examples\"", body);
        Assert.Contains("href=\"/calculator\"", body);
        Assert.Contains("href=\"/sms-policy\"", body);
        // Every guide touches the texting rules somewhere, so every one says so.
        Assert.Contains("not legal advice", Flat(body));
        Assert.Contains("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Recoverly guides\" href=\"/guides/feed.xml\">", html);
        Assert.Contains("<meta property=\"og:type\" content=\"article\">", html);
    }

    [Fact]
    public async Task Guides_index_lists_every_guide_and_the_landing_page_and_footer_link_to_it()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var index = await app.Http.GetStringAsync("/guides");
        var landing = await app.Http.GetStringAsync("/");

        foreach (var (slug, title) in Guides.Select(g => ((string)g[0], (string)g[1])))
            Assert.Contains($"<a href=\"/guides/{slug}\">{title}</a>", WebUtility.HtmlDecode(index));
        Assert.Contains("href=\"/guides/feed.xml\"", index);
        Assert.Contains("href=\"/guides\"", Section(landing, "main"));
        Assert.Contains("href=\"/guides\"", Section(landing, "footer"));
        Assert.Contains("href=\"/guides\"", Section(await app.Http.GetStringAsync("/privacy"), "footer"));
    }

    [Theory]
    [InlineData("/guides/no-such-guide")]
    [InlineData("/guides/WHY-SMS-CONSENT-MATTERS")]
    [InlineData("/guides/why-sms-consent-matters.md")]
    public async Task Unknown_guide_is_404(string path)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(path)).StatusCode);
    }

    [Fact]
    public void Raw_html_in_a_guide_is_shown_as_text_not_run()
    {
        var guide = GuideLibrary.Parse("test.md", """
            ---
            title: Test
            description: A test guide.
            published: 2026-11-29
            slug: test-guide
            order: 9
            ---
            Hello <script>alert(1)</script> and <img src=x onerror=alert(2)>

            <div>block</div>
            """);

        Assert.DoesNotContain("<script", guide.Html);
        Assert.DoesNotContain("<img", guide.Html);
        Assert.DoesNotContain("<div", guide.Html);
        Assert.Contains("&lt;script&gt;", guide.Html);
        Assert.Equal(("test-guide", "Test", new DateOnly(2026, 11, 29)), (guide.Slug, guide.Title, guide.Published));
    }

    [Theory]
    [InlineData("# no front matter", "no front matter")]
    [InlineData("---\ntitle: T\ndescription: D\npublished: 2026-11-29\norder: 1\n---\nx", "\"slug\" is missing")]
    [InlineData("---\ntitle: T\ndescription: D\npublished: 29/11/2026\nslug: s\norder: 1\n---\nx", "\"published\" is not a yyyy-MM-dd date")]
    [InlineData("---\ntitle: T\ndescription: D\npublished: 2026-11-29\nslug: Bad Slug\norder: 1\n---\nx", "the slug may hold only")]
    [InlineData("---\ntitle: T\ndescription: D\npublished: 2026-11-29\nslug: s\norder: 1\nauthor: me\n---\nx", "unknown front-matter key \"author\"")]
    public void A_malformed_guide_is_refused_naming_the_file_and_the_problem(string markdown, string problem)
    {
        var error = Assert.Throws<InvalidOperationException>(() => GuideLibrary.Parse("broken.md", markdown));

        Assert.Contains("broken.md", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public async Task Sitemap_is_xml_listing_every_public_page_and_guide_with_absolute_urls()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, PublicBase);
        using var visitor = app.NewClient(Base, cookies: false); // over https, as the public address is reached

        var response = await visitor.GetAsync("/sitemap.xml");
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        XNamespace ns = "http://www.sitemaps.org/schemas/sitemap/0.9";
        Assert.Equal(ns + "urlset", xml.Root!.Name);
        var locs = xml.Root.Elements(ns + "url").Select(u => u.Element(ns + "loc")!.Value).ToList();
        var expected = PublicPagesTests.Pages.Select(p => (string)p[0])
            .Concat(Slugs.Select(s => "/guides/" + s))
            .Concat(Recoverly.Telephony.ForwardingGuide.Systems.Select(s => "/forwarding/" + s.Key));
        foreach (var path in expected) Assert.Contains(Base + path, locs);
        Assert.Equal(locs.Count, locs.Distinct().Count());
        Assert.All(locs, l => Assert.StartsWith(Base + "/", l));
        Assert.DoesNotContain(locs, l => l.Contains("/app", StringComparison.Ordinal) || l.Contains("/login", StringComparison.Ordinal));
        var guideEntry = xml.Root.Elements(ns + "url").Single(u => u.Element(ns + "loc")!.Value == Base + "/guides/why-sms-consent-matters");
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", guideEntry.Element(ns + "lastmod")!.Value);
    }

    [Fact]
    public async Task Robots_txt_keeps_crawlers_out_of_the_private_areas_and_points_to_the_sitemap()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, PublicBase);
        using var visitor = app.NewClient(Base, cookies: false); // over https, as the public address is reached

        var response = await visitor.GetAsync("/robots.txt");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.TrimEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("User-agent: *", lines[0]);
        foreach (var area in new[] { "/app", "/onboarding", "/operator", "/account", "/simulator", "/twilio", "/stripe" })
            Assert.Contains($"Disallow: {area}", lines);
        Assert.DoesNotContain("Disallow: /", lines); // the public pages stay open
        Assert.Contains("Allow: /", lines);
        Assert.Contains($"Sitemap: {Base}/sitemap.xml", lines);
    }

    [Fact]
    public async Task Guides_feed_is_valid_atom_listing_every_guide()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, PublicBase);
        using var visitor = app.NewClient(Base, cookies: false); // over https, as the public address is reached

        var response = await visitor.GetAsync("/guides/feed.xml");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/atom+xml", response.Content.Headers.ContentType?.MediaType);
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var xml = XDocument.Parse(text);
        Assert.Equal(atom + "feed", xml.Root!.Name);
        using var reader = XmlReader.Create(new StringReader(text));
        var feed = SyndicationFeed.Load(reader);
        var entries = feed.Items.ToDictionary(i => i.Links.Single(l => l.RelationshipType == "alternate").Uri.AbsoluteUri, i => i);
        foreach (var (slug, title) in Guides.Select(g => ((string)g[0], (string)g[1])))
        {
            var entry = entries[$"{Base}/guides/{slug}"];
            Assert.Equal(title, entry.Title.Text);
            Assert.Contains("href=\"/sms-policy\"", ((TextSyndicationContent)entry.Content).Text);
            Assert.False(string.IsNullOrWhiteSpace(entry.Summary.Text));
        }
        Assert.Equal(Guides.Count, feed.Items.Count());
        Assert.Contains(feed.Links, l => l.RelationshipType == "self" && l.Uri.AbsoluteUri == $"{Base}/guides/feed.xml");
    }

    /// <summary>Decoded, with line breaks and indentation collapsed to single spaces.</summary>
    private static string Flat(string html) => Regex.Replace(WebUtility.HtmlDecode(html), @"\s+", " ");

    private static string Section(string html, string tag) =>
        Regex.Match(html, $"<{tag}[^>]*>(.*?)</{tag}>", RegexOptions.Singleline).Groups[1].Value;

    [GeneratedRegex("<h1[^>]*>(.*?)</h1>", RegexOptions.Singleline)]
    private static partial Regex H1();

    [GeneratedRegex("<title>(.*?)</title>", RegexOptions.Singleline)]
    private static partial Regex TitleTag();

    // The rendered Markdown holds no <div> (raw HTML is escaped), so the first </div> closes the body.
    [GeneratedRegex("<div class=\"guide-body\">(.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex GuideBody();
}
