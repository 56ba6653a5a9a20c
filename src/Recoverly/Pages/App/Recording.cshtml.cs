using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Pages.App;

/// <summary>
/// /app/contacts/{id}/recording/{call}: a voicemail's audio for its own business's signed-in owner only, streamed from the
/// provider with the account's credentials (<see cref="RecordingMedia"/>, <see cref="TelnyxRecordings"/>); anyone else gets 404, the signed-out the login page.
/// </summary>
public sealed class RecordingModel(RecoverlyDb db, IHttpClientFactory http, IOptions<TwilioOptions> twilio, IOptions<TelephonyOptions> telephony,
    TelnyxRecordings telnyx) : AppPageModel
{
    public static string PathFor(long contactId, long callId) => FormattableString.Invariant($"/app/contacts/{contactId}/recording/{callId}");

    public async Task<IActionResult> OnGetAsync(long id, long call, CancellationToken ct)
    {
        var url = await db.MissedCalls.AsNoTracking()
            .Where(c => c.Id == call && c.ContactId == id && c.BusinessId == Business.Id)
            .Select(c => c.RecordingUrl)
            .FirstOrDefaultAsync(ct);
        if (url is null) return NotFound();
        var media = telephony.Value.IsTelnyx
            ? await telnyx.OpenAsync(TelnyxRecordings.RecordingId(url), ct)
            : await RecordingMedia.OpenAsync(http, twilio.Value, telephony.Value, url, ct);
        if (media is null) return new ContentResult { StatusCode = StatusCodes.Status502BadGateway, Content = "The recording could not be fetched from the phone provider." };
        HttpContext.Response.RegisterForDispose(media);
        // A caller's voice: never kept by a browser cache or a proxy.
        Response.Headers.CacheControl = "private, no-store";
        return File(await media.Content.ReadAsStreamAsync(ct), RecordingMedia.ContentType);
    }
}
