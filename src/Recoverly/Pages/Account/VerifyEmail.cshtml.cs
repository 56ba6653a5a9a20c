using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Recoverly.Owners;

namespace Recoverly.Pages.Account;

/// <summary>
/// /verify-email?token=…: the mailed confirmation link. Opening it shows a button (mail scanners that follow links
/// change nothing); confirming asks for the password unless that account is the one signed in, then signs in.
/// Signed-in owners also ask for the link again here (the banner's button).
/// </summary>
[EnableRateLimiting(OwnerAuth.LoginRateLimit)]
public sealed class VerifyEmailModel(Accounts accounts, CurrentOwner owner) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty] public string? Password { get; set; }
    /// <summary>The address the link confirms; null when the link can't be used.</summary>
    public string? Email { get; private set; }
    public bool NeedsPassword { get; private set; }
    public string? Error { get; private set; }
    /// <summary>What became of "send the link again".</summary>
    public ResendOutcome? Resent { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var signedIn = User.Identity?.IsAuthenticated == true ? owner.AccountId : (long?)null;
        var (account, error) = await accounts.ConfirmEmailAsync(Token, signedIn, Password, ct);
        if (account is null)
        {
            await LoadAsync(ct);
            Error = error;
            return Page();
        }
        await HttpContext.SignInAsync(OwnerAuth.Principal(account));
        return Redirect(account.BusinessId is null ? "/onboarding" : "/app");
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated != true) return Redirect("/login");
        Resent = await accounts.ResendConfirmationAsync(owner.AccountId, ct);
        Token = null;
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(Token)) return;
        if (await accounts.PeekConfirmationAsync(Token, ct) is not { } link)
        {
            Error = "This confirmation link has expired or was already used. Log in to ask for a new one.";
            return;
        }
        Email = link.Email;
        NeedsPassword = User.Identity?.IsAuthenticated != true || owner.AccountId != link.AccountId;
    }
}
