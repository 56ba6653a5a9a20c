using Microsoft.AspNetCore.Mvc;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.App;

/// <summary>/app: missed calls and conversations, newest first, one row per episode; keyset pages; live rows.</summary>
public sealed class IndexModel(RecoverlyDb db, TimeProvider time) : AppPageModel
{
    /// <summary>How often the open first page re-fetches its rows (wwwroot/js/inbox.js reads it from the list).</summary>
    public const int PollMilliseconds = 4000;

    [BindProperty(SupportsGet = true)] public long? Before { get; set; }

    public InboxPage Items { get; private set; } = new([], null);

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await Inbox.PageAsync(db, Business, Before, ct) is not { } page) return NotFound();
        Items = page;
        return Page();
    }

    /// <summary>The rows of the first page alone; the inbox polls this to show new calls and replies without a reload.</summary>
    public async Task<IActionResult> OnGetRowsAsync(CancellationToken ct)
    {
        Items = (await Inbox.PageAsync(db, Business, null, ct))!;
        Response.Headers.CacheControl = "no-store";
        return Partial("_InboxRows", this);
    }
}
