using Microsoft.AspNetCore.Mvc;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Pages.App;

/// <summary>/app: missed calls and conversations, latest activity first, one row per episode; keyset pages; live rows.</summary>
public sealed class IndexModel(RecoverlyDb db, TimeProvider time, Recoverly.Telephony.SenderRegistrations registrations) : AppPageModel
{
    /// <summary>How often the open first page re-fetches its rows (wwwroot/js/inbox.js reads it from the list).</summary>
    public const int PollMilliseconds = 4000;

    [BindProperty(SupportsGet = true)] public long? Before { get; set; }

    /// <summary>The cursor's activity time (ticks), so a page stays put when its anchor row moves up meanwhile.</summary>
    [BindProperty(SupportsGet = true)] public long? At { get; set; }

    public InboxPage Items { get; private set; } = new([], null);

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>The number is not registered yet: text-backs wait (docs/product/registration.md). Read from the number row the page already loaded.</summary>
    public bool TextsHeld => registrations.HeldNumber(Business) is not null;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        DateTime? at = At is { } ticks && ticks > 0 && ticks <= DateTime.MaxValue.Ticks ? new DateTime(ticks, DateTimeKind.Utc) : null;
        if (At is not null && at is null) return NotFound();
        if (await Inbox.PageAsync(db, Business, Before, ct, textsHeld: TextsHeld, beforeAt: at) is not { } page) return NotFound();
        Items = page;
        return Page();
    }

    /// <summary>The rows of the first page alone; the inbox polls this to show new calls and replies without a reload.</summary>
    public async Task<IActionResult> OnGetRowsAsync(CancellationToken ct)
    {
        Items = (await Inbox.PageAsync(db, Business, null, ct, textsHeld: TextsHeld))!;
        Response.Headers.CacheControl = "no-store";
        return Partial("_InboxRows", this);
    }
}
