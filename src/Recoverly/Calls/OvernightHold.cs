using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Calls;

/// <summary>
/// The owner's overnight option (docs/product/overnight-hold.md): a text-back for a call missed between 9 pm and 8 am in
/// the caller's local time goes at 8 am instead. Off by default: a text right after a call is expected, even late.
/// </summary>
public static class OvernightHold
{
    public static readonly TimeOnly Starts = new(21, 0);
    public static readonly TimeOnly Ends = new(8, 0);

    /// <summary>
    /// The caller's clock: the zone their number's area code is in when it is exactly one; otherwise (unknown, or an
    /// area code spanning zones) the business's, since most callers are local.
    /// </summary>
    public static TimeZoneInfo CallerZone(string? callerE164, string businessTimeZone)
    {
        if (callerE164 is not null && Phones.TimeZones(callerE164) is [var only]
            && TimeZoneInfo.TryFindSystemTimeZoneById(only, out var zone))
            return zone;
        return BusinessClock.Zone(businessTimeZone);
    }

    /// <summary>When the text-back for a call at <paramref name="utc"/> should go: null = at once (option off, or daytime for the caller).</summary>
    public static DateTime? Until(Business business, string? callerE164, DateTime utc)
    {
        if (!business.HoldTextBacksOvernight) return null;
        var zone = CallerZone(callerE164, business.TimeZone);
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
        var day = DateOnly.FromDateTime(local);
        var time = TimeOnly.FromDateTime(local);
        if (time >= Starts) return BusinessClock.ToUtc(day.AddDays(1), Ends, zone);
        if (time < Ends) return BusinessClock.ToUtc(day, Ends, zone);
        return null;
    }

    /// <summary>
    /// The owner answered first (replied, or noted a call back): a text-back still held for this caller is not needed any
    /// more. Only held rows are touched; a text-back already going out or sent is left alone.
    /// </summary>
    public static async Task<int> CancelForContactAsync(RecoverlyDb db, long contactId, OutboxReason why, CancellationToken ct)
    {
        // By business and phone, the outbox's (BusinessId, To, Status) index: there is no index on ContactId.
        var contact = await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).Select(c => new { c.BusinessId, c.Phone }).FirstOrDefaultAsync(ct);
        if (contact is null) return 0;
        return await db.OutboundMessages
            .Where(m => m.BusinessId == contact.BusinessId && m.To == contact.Phone && m.Status == OutboundStatus.Pending
                        && m.Kind == OutboundKind.TextBack && m.Reason == OutboxReason.HeldOvernight)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboundStatus.Cancelled).SetProperty(m => m.Reason, why), ct);
    }
}
