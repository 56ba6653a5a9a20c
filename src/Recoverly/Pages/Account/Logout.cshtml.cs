using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Push;

namespace Recoverly.Pages.Account;

public sealed class LogoutModel(RecoverlyDb db, CurrentOwner owner) : PageModel
{
    /// <param name="pushEndpoint">This browser's push subscription, which wwwroot/js/app-shell.js fills in: it stops alerting for this account.</param>
    public async Task<IActionResult> OnPostAsync(string? pushEndpoint, CancellationToken ct)
    {
        if (owner.BusinessId is { } business && !string.IsNullOrEmpty(pushEndpoint) && pushEndpoint.Length <= PushEndpointRule.MaxLength)
            await PushDevices.RemoveByEndpointAsync(db, business, pushEndpoint, ct);
        await HttpContext.SignOutAsync();
        // Cached owner pages and the service worker (with its push subscription) go with the session (docs/push-alerts.md).
        Response.Headers["Clear-Site-Data"] = "\"cache\", \"storage\"";
        return Redirect("/login");
    }
}
