using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;

namespace Recoverly.Owners;

/// <summary>
/// Base class for owner pages that need the signed-in owner's business: loads it (tracked, from the
/// request's <see cref="RecoverlyDb"/>) before any handler runs, and sends owners who have no business
/// yet to <c>/onboarding</c>. Every query on such a page filters by <see cref="BusinessId"/>.
/// </summary>
public abstract class OwnerPageModel : PageModel
{
    /// <summary>The signed-in owner's business; never null inside a handler.</summary>
    public Business Business { get; private set; } = null!;

    public long BusinessId => Business.Id;

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var owner = HttpContext.RequestServices.GetRequiredService<CurrentOwner>();
        var db = HttpContext.RequestServices.GetRequiredService<RecoverlyDb>();
        var business = owner.BusinessId is { } id
            ? await db.Businesses.FirstOrDefaultAsync(b => b.Id == id, HttpContext.RequestAborted)
            : null;
        if (business is null)
        {
            context.Result = Redirect("/onboarding");
            return;
        }
        Business = business;
        if (BeforeHandler() is { } result)
        {
            context.Result = result;
            return;
        }
        await next();
    }

    /// <summary>Runs once <see cref="Business"/> is loaded, before the handler; a result short-circuits the handler.</summary>
    protected virtual IActionResult? BeforeHandler() => null;
}
