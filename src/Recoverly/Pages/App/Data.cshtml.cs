using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Pages.App;

/// <summary>/app/data: export everything as JSON; delete the account (content goes, consent evidence stays).</summary>
public sealed class DataModel(RecoverlyDb db, TimeProvider time, CurrentOwner owner, Accounts accounts) : AppPageModel
{
    public string? Error { get; private set; }
    public int ConsentEvents { get; private set; }
    /// <summary>How to undo forwarding on the owner's carrier; null when no carrier was picked.</summary>
    public ForwardingInstructions? Forwarding { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        ConsentEvents = await db.ConsentEvents.CountAsync(e => e.BusinessId == Business.Id, ct);
        Forwarding = await ForwardingUndo.ForAsync(db, Business, ct);
    }

    public async Task<IActionResult> OnGetExportAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        Response.ContentType = "application/json; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"recoverly-export-{Business.Id}-{now:yyyy-MM-dd}.json\"";
        Response.Headers.CacheControl = "no-store";
        await DataExport.WriteAsync(db, Business, now, Response.BodyWriter, ct);
        return new EmptyResult();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? confirmName, string? password, CancellationToken ct)
    {
        if (!string.Equals(confirmName?.Trim(), Business.Name.Trim(), StringComparison.OrdinalIgnoreCase))
            Error = $"Type your business name exactly as shown (\"{Business.Name}\") to confirm.";
        else
        {
            // The same check as logging in, lockout included: a borrowed session alone can't delete the account.
            var (account, error) = await accounts.SignInAsync(owner.Email, password, ct);
            if (account is null || account.Id != owner.AccountId || account.BusinessId != Business.Id) Error = error ?? "That password isn't right.";
        }
        if (Error is not null)
        {
            await OnGetAsync(ct);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        await AccountDeletion.DeleteAsync(db, Business.Id, time.GetUtcNow().UtcDateTime, ct);
        await HttpContext.SignOutAsync();
        return Redirect("/?deleted=1");
    }
}
