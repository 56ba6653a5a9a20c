using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Recoverly.Owners;

namespace Recoverly.Pages.Account;

[EnableRateLimiting(OwnerAuth.LoginRateLimit)]
public sealed class ForgotPasswordModel(Accounts accounts) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    public bool Sent { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await accounts.RequestResetAsync(Email, ct);
        Sent = true;
        return Page();
    }
}
