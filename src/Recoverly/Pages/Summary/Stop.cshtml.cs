using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.Summary;

/// <summary>
/// /summary/stop?b=…&amp;t=…: the weekly summary's one-click stop, no login needed. GET only asks (mail scanners
/// open links, and must not unsubscribe anyone); the button's POST turns the summary off.
/// </summary>
public sealed class StopModel(RecoverlyDb db) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "b")] public long? BusinessId { get; set; }
    [BindProperty(SupportsGet = true, Name = "t")] public string? Token { get; set; }

    public string BusinessName { get; private set; } = "";
    public bool AlreadyOff { get; private set; }
    public bool Stopped { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var business = await FindAsync(ct);
        if (business is null) return NotFound();
        (BusinessName, AlreadyOff) = (business.Name, !business.WeeklySummary);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var business = await FindAsync(ct);
        if (business is null) return NotFound();
        using (await db.EnterWriteGateAsync(ct))
            await db.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.WeeklySummary, false), ct);
        (BusinessName, Stopped) = (business.Name, true);
        return Page();
    }

    private async Task<Recoverly.Businesses.Business?> FindAsync(CancellationToken ct)
    {
        if (BusinessId is not { } id || Token is not { Length: > 0 and <= 64 }) return null;
        var business = await db.Businesses.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id && b.DeletedAt == null, ct);
        return business is not null && WeeklySummary.TokenMatches(business.SummaryStopToken, Token) ? business : null;
    }
}
