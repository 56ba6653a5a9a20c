using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.Account;

/// <summary>Sign-up answers "check your email" whether or not the address has an account; the mailed link continues.</summary>
[EnableRateLimiting(OwnerAuth.LoginRateLimit)]
public sealed class SignupModel(Accounts accounts, IMailer mailer, IOptions<EmailOptions> email, IOptions<TelephonyOptions> telephony) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    public string? Error { get; private set; }
    public bool Sent { get; private set; }
    /// <summary>Simulator mode without a mail server: the folder the email was written to (this machine only).</summary>
    public string? PickupFolder { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Error = await accounts.SignUpAsync(Email, Password, ct);
        Sent = Error is null;
        if (Sent && mailer is PickupFolderMailer && telephony.Value.IsSimulator) PickupFolder = Path.GetFullPath(email.Value.PickupFolder);
        return Page();
    }
}
