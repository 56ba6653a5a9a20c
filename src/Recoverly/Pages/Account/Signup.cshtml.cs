using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Recoverly.Owners;

namespace Recoverly.Pages.Account;

[EnableRateLimiting(OwnerAuth.LoginRateLimit)]
public sealed class SignupModel(Accounts accounts) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var (account, error) = await accounts.SignUpAsync(Email, Password, ct);
        if (account is null)
        {
            Error = error;
            return Page();
        }
        await HttpContext.SignInAsync(OwnerAuth.Principal(account));
        return Redirect("/onboarding");
    }
}
