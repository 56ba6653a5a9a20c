using System.ServiceModel.Syndication;
using System.Text;
using System.Xml;
using Recoverly.Public.Guides;
using Recoverly.Telephony;

namespace Recoverly.Public;

/// <summary>
/// What search engines and feed readers are told about the public site: <c>/sitemap.xml</c>, <c>/robots.txt</c> and the
/// Atom feed of the guides at <c>/guides/feed.xml</c>. URLs are absolute, from <see cref="PublicSite.BaseUrl"/>.
/// </summary>
public static class SiteIndex
{
    public const string FeedPath = "/guides/feed.xml";

    /// <summary>The public pages a search engine may list; the guides and per-carrier forwarding pages are added to these.</summary>
    public static readonly IReadOnlyList<string> Pages =
        ["/", "/pricing", "/calculator", "/examples", "/forwarding", "/guides", "/sms-policy", "/privacy", "/terms"];

    /// <summary>Owner, operator and machine areas: nothing there is for a search engine.</summary>
    public static readonly IReadOnlyList<string> PrivateAreas =
        ["/app", "/onboarding", "/operator", "/account", "/simulator", "/twilio", "/stripe", "/reset-password", "/logout"];

    private static readonly XmlWriterSettings Xml = new() { Encoding = new UTF8Encoding(false), Indent = true };

    public static void MapSiteIndex(this WebApplication app)
    {
        app.MapGet("/sitemap.xml", (HttpRequest request, PublicSite site, GuideLibrary guides) =>
            Results.Bytes(Sitemap(site.BaseUrl(request), guides), "application/xml; charset=utf-8"));
        app.MapGet("/robots.txt", (HttpRequest request, PublicSite site) =>
            Results.Text(Robots(site.BaseUrl(request)), "text/plain; charset=utf-8"));
        app.MapGet(FeedPath, (HttpRequest request, PublicSite site, GuideLibrary guides) =>
            Results.Bytes(Feed(site.BaseUrl(request), guides), "application/atom+xml; charset=utf-8"));
    }

    /// <summary>Every public page and guide, in the sitemaps.org format.</summary>
    public static byte[] Sitemap(string baseUrl, GuideLibrary guides)
    {
        var entries = Pages.Select(p => (Path: p, Modified: (DateOnly?)null))
            .Concat(ForwardingGuide.Systems.Select(s => (Path: "/forwarding/" + s.Key, Modified: (DateOnly?)null)))
            .Concat(guides.All.Select(g => (g.Path, Modified: (DateOnly?)g.Published)));
        const string ns = "http://www.sitemaps.org/schemas/sitemap/0.9";
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, Xml))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("urlset", ns);
            foreach (var (path, modified) in entries)
            {
                xml.WriteStartElement("url", ns);
                xml.WriteElementString("loc", ns, baseUrl + path);
                if (modified is { } date) xml.WriteElementString("lastmod", ns, date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }
        return buffer.ToArray();
    }

    public static string Robots(string baseUrl)
    {
        var text = new StringBuilder("User-agent: *\n");
        foreach (var area in PrivateAreas) text.Append("Disallow: ").Append(area).Append('\n');
        text.Append("Allow: /\n\nSitemap: ").Append(baseUrl).Append("/sitemap.xml\n");
        return text.ToString();
    }

    /// <summary>An Atom 1.0 feed with every guide in full.</summary>
    public static byte[] Feed(string baseUrl, GuideLibrary guides)
    {
        var feed = new SyndicationFeed(
            "Recoverly guides",
            "Plain-language guides to missed-call text-back: how it works, why SMS consent matters, and how it compares.",
            new Uri(baseUrl + "/guides"),
            baseUrl + FeedPath,
            Midnight(guides.LastPublished))
        {
            // Links inside the guides are site-relative; xml:base lets feed readers resolve them.
            BaseUri = new Uri(baseUrl + "/"),
            Language = "en",
        };
        feed.Authors.Add(new SyndicationPerson { Name = PublicSite.Name });
        feed.Links.Add(new SyndicationLink(new Uri(baseUrl + FeedPath), "self", null, "application/atom+xml", 0));
        feed.Items = guides.All.Select(g =>
        {
            var item = new SyndicationItem(g.Title, SyndicationContent.CreateHtmlContent(g.Html), new Uri(baseUrl + g.Path), baseUrl + g.Path, Midnight(g.Published))
            {
                PublishDate = Midnight(g.Published),
                Summary = new TextSyndicationContent(g.Description),
            };
            return item;
        }).ToList();

        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, Xml)) new Atom10FeedFormatter(feed).WriteTo(xml);
        return buffer.ToArray();
    }

    private static DateTimeOffset Midnight(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
