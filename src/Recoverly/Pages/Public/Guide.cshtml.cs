using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Public.Guides;

namespace Recoverly.Pages.Public;

/// <summary>One guide, already rendered by <see cref="GuideLibrary"/>; an unknown slug is a 404.</summary>
public sealed class GuideModel(GuideLibrary library) : PageModel
{
    public Guide Guide { get; private set; } = null!;
    public IReadOnlyList<Guide> Others { get; private set; } = [];

    public IActionResult OnGet(string slug)
    {
        if (library.Find(slug) is not { } guide) return NotFound();
        Guide = guide;
        Others = [.. library.All.Where(g => g.Slug != guide.Slug)];
        return Page();
    }
}
