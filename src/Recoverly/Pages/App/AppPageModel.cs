using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.App;

/// <summary>
/// Base of the inbox, conversation, settings and data pages: the owner's business as
/// <see cref="OwnerPageModel"/> loads it, plus its Recoverly numbers and time zone. Every query on
/// these pages starts from <see cref="OwnerPageModel.BusinessId"/>.
/// </summary>
public abstract class AppPageModel : OwnerPageModel
{
    public TimeZoneInfo Zone => BusinessClock.Zone(Business.TimeZone);

    public override Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next) =>
        base.OnPageHandlerExecutionAsync(context, async () =>
        {
            var db = HttpContext.RequestServices.GetRequiredService<RecoverlyDb>();
            await db.Entry(Business).Collection(b => b.Numbers).LoadAsync(HttpContext.RequestAborted);
            return await next();
        });

    /// <summary>A deleted business has no pages (its login is gone too; this covers a session racing the deletion).</summary>
    protected override IActionResult? BeforeHandler() => Business.DeletedAt is null ? null : NotFound();
}
