using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Billing;
using Recoverly.Public;
using Recoverly.Texts;

namespace Recoverly.Pages.Public;

/// <summary>The landing page's model (the page itself is <c>Pages/Index.cshtml</c>, served at "/").</summary>
public sealed class LandingModel(FoundingProgram founding) : PageModel
{
    public int PlacesLeft { get; private set; }
    public string TextBack { get; } = TextTemplates.TextBack(ExampleMessages.Sample);

    public async Task OnGetAsync(CancellationToken ct) => PlacesLeft = await founding.PlacesLeftAsync(ct);
}
