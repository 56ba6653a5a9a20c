using System.Globalization;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;

namespace Recoverly.Public.Guides;

/// <summary>One plain-language guide, rendered once.</summary>
/// <param name="Order">Where it stands in the reading order of the guides index.</param>
/// <param name="Html">The rendered body (raw HTML in the Markdown is escaped, never passed through).</param>
public sealed record Guide(string Slug, string Title, string Description, DateOnly Published, int Order, string Html)
{
    public string Path => "/guides/" + Slug;
}

/// <summary>
/// The guides under <c>/guides</c>: Markdown files in <c>Public/Guides/</c>, embedded in the assembly (so they are found
/// however the app is started) and rendered with Markdig once when the app starts, never per request.
/// Each file opens with a front-matter block of <c>key: value</c> lines: title, description, published (yyyy-MM-dd),
/// slug and order.
/// </summary>
public sealed partial class GuideLibrary
{
    private const string ResourcePrefix = "Recoverly.Guides.";
    private static readonly string[] Keys = ["title", "description", "published", "slug", "order"];

    // DisableHtml: the guides are ours, but a stray tag in Markdown should show as text, not become markup.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseYamlFrontMatter()
        .UsePipeTables()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
        .DisableHtml()
        .Build();

    private readonly Dictionary<string, Guide> _bySlug;

    public GuideLibrary(IEnumerable<Guide> guides)
    {
        All = [.. guides.OrderBy(g => g.Order).ThenBy(g => g.Slug, StringComparer.Ordinal)];
        _bySlug = new Dictionary<string, Guide>(StringComparer.Ordinal);
        foreach (var g in All)
            if (!_bySlug.TryAdd(g.Slug, g)) throw new InvalidOperationException($"Two guides use the slug \"{g.Slug}\".");
    }

    /// <summary>In reading order.</summary>
    public IReadOnlyList<Guide> All { get; }

    /// <summary>The newest publication date (the feed's "updated").</summary>
    public DateOnly LastPublished => All.Count == 0 ? DateOnly.MinValue : All.Max(g => g.Published);

    public Guide? Find(string? slug) => slug is not null && _bySlug.TryGetValue(slug, out var g) ? g : null;

    /// <summary>Every guide embedded in this assembly; a malformed one stops the app at startup, naming the file.</summary>
    public static GuideLibrary LoadEmbedded()
    {
        var assembly = typeof(GuideLibrary).Assembly;
        var guides = new List<Guide>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".md", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            guides.Add(Parse(name[ResourcePrefix.Length..], reader.ReadToEnd()));
        }
        return new GuideLibrary(guides);
    }

    /// <summary>Reads the front matter and renders the body; throws with the file's name when something is missing or malformed.</summary>
    public static Guide Parse(string fileName, string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var frontMatter = document.Descendants<YamlFrontMatterBlock>().FirstOrDefault()
            ?? throw Invalid(fileName, "it has no front matter (a block between --- lines at the top)");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in frontMatter.Lines.Lines.Take(frontMatter.Lines.Count).Select(l => l.ToString()))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw Invalid(fileName, $"the front-matter line \"{line}\" is not \"key: value\"");
            var key = line[..colon].Trim();
            if (!Keys.Contains(key)) throw Invalid(fileName, $"unknown front-matter key \"{key}\" (expected {string.Join(", ", Keys)})");
            if (!fields.TryAdd(key, Unquote(line[(colon + 1)..].Trim()))) throw Invalid(fileName, $"\"{key}\" is given twice");
        }
        foreach (var key in Keys)
            if (!fields.TryGetValue(key, out var value) || value.Length == 0) throw Invalid(fileName, $"\"{key}\" is missing");

        if (!SlugPattern().IsMatch(fields["slug"])) throw Invalid(fileName, "the slug may hold only lowercase letters, digits and single hyphens");
        if (!DateOnly.TryParseExact(fields["published"], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var published))
            throw Invalid(fileName, "\"published\" is not a yyyy-MM-dd date");
        if (!int.TryParse(fields["order"], NumberStyles.None, CultureInfo.InvariantCulture, out var order))
            throw Invalid(fileName, "\"order\" is not a whole number");

        return new Guide(fields["slug"], fields["title"], fields["description"], published, order, document.ToHtml(Pipeline));
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'') ? value[1..^1] : value;

    private static InvalidOperationException Invalid(string fileName, string problem) => new($"Guide {fileName}: {problem}.");

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();
}
