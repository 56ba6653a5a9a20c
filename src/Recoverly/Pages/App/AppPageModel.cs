using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.App;

/// <summary>
/// Base of every owner page: loads the signed-in owner's business before any handler runs, so a
/// handler can only ever start from <see cref="Business"/> — every query is scoped by its id.
/// </summary>
public abstract class AppPageModel : PageModel
{
    /// <summary>The signed-in owner's business (not tracked).</summary>
    public Business Business { get; private set; } = null!;

    public TimeZoneInfo Zone => BusinessClock.Zone(Business.TimeZone);

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var owner = HttpContext.RequestServices.GetRequiredService<CurrentOwner>();
        var db = HttpContext.RequestServices.GetRequiredService<RecoverlyDb>();
        var business = owner.BusinessId is { } id
            ? await db.Businesses.AsNoTracking().Include(b => b.Numbers).FirstOrDefaultAsync(b => b.Id == id && b.DeletedAt == null, HttpContext.RequestAborted)
            : null;
        if (business is null)
        {
            context.Result = Redirect("/onboarding");
            return;
        }
        Business = business;
        await next();
    }
}
