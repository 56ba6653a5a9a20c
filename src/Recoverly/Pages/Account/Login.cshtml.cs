using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Recoverly.Owners;

namespace Recoverly.Pages.Account;

[EnableRateLimiting(OwnerAuth.LoginRateLimit)]
public sealed class LoginModel(Accounts accounts) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    [BindProperty(SupportsGet = true)] public bool Reset { get; set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var (account, error) = await accounts.SignInAsync(Email, Password, ct);
        if (account is null)
        {
            Error = error;
            return Page();
        }
        await HttpContext.SignInAsync(OwnerAuth.Principal(account));
        // Only local return URLs: no open redirect.
        if (!string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl)) return LocalRedirect(ReturnUrl);
        return Redirect(account.BusinessId is null ? "/onboarding" : "/app");
    }
}
