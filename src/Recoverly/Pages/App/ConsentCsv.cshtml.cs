using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Cli;
using Recoverly.Data;

namespace Recoverly.Pages.App;

/// <summary>/app/consent.csv: this business's consent ledger, the same CSV as `consent export`.</summary>
public sealed class ConsentCsvModel(RecoverlyDb db, TimeProvider time) : AppPageModel
{
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var events = await db.ConsentEvents.AsNoTracking().Where(e => e.BusinessId == Business.Id).OrderBy(e => e.Id).ToListAsync(ct);
        var day = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return File(Encoding.UTF8.GetBytes(ConsentCsv.Write(events)), "text/csv; charset=utf-8", $"recoverly-consent-{Business.Id}-{day}.csv");
    }
}
