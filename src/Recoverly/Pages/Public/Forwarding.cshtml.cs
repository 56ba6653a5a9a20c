using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Telephony;

namespace Recoverly.Pages.Public;

/// <summary>Public forwarding guides: the same <see cref="ForwardingGuide"/> data as onboarding, with a placeholder number.</summary>
public sealed class ForwardingModel : PageModel
{
    public ForwardingInstructions? Guide { get; private set; }

    public IActionResult OnGet(string? system)
    {
        if (system is null) return Page();
        Guide = ForwardingGuide.For(system, null);
        return Guide is null ? NotFound() : Page();
    }
}
