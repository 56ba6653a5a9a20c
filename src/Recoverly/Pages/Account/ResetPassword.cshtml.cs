using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Owners;

namespace Recoverly.Pages.Account;

public sealed class ResetPasswordModel(Accounts accounts) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty] public string? Password { get; set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Error = await accounts.ResetAsync(Token, Password, ct);
        return Error is null ? Redirect("/login?reset=true") : Page();
    }
}
