using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>
/// Owner alerts by SMS (SPEC 1.6): only after the owner's confirmed YES, capped per day, caller
/// replies coalesced per conversation. Every alert is an outbox row; the dispatcher re-checks
/// the owner's consent right before sending it.
/// </summary>
public static class OwnerAlerts
{
    public static readonly TimeSpan ReplyCoalesceWindow = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RelayWindow = TimeSpan.FromMinutes(30);

    private static readonly OutboundKind[] AlertKinds = [OutboundKind.OwnerAlert, OutboundKind.OwnerReplyAlert];

    public static async Task QueueMissedCallAlertAsync(RecoverlyDb db, Business business, MissedCall call, int callCount,
        DateTime now, CancellationToken ct)
    {
        if (!await MayAlertAsync(db, business, now, ct)) return;
        db.OutboundMessages.Add(new OutboundMessage
        {
            BusinessId = business.Id,
            ContactId = call.ContactId,
            MissedCallId = call.Id,
            Kind = OutboundKind.OwnerAlert,
            To = business.OwnerPhone!,
            From = call.To,
            Body = TextTemplates.MissedCallAlert(call.FromE164, call.At, BusinessClock.Zone(business.TimeZone), call.Outcome, callCount),
            DedupeKey = $"alert:call:{call.Id}",
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>First reply alerts at once; more replies within 5 minutes are gathered into one later alert.</summary>
    public static async Task QueueReplyAlertAsync(RecoverlyDb db, Business business, Contact contact, string recoverlyNumber,
        string link, DateTime now, CancellationToken ct)
    {
        if (!await MayAlertAsync(db, business, now, ct)) return;

        var lastSent = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && m.Kind == OutboundKind.OwnerReplyAlert
                        && m.Status != OutboundStatus.Pending)
            .OrderByDescending(m => m.Id)
            .Select(m => new { At = m.SentAt ?? m.CreatedAt })
            .FirstOrDefaultAsync(ct);
        // Replies up to the moment the last alert went out are already in it.
        var since = lastSent?.At ?? DateTime.MinValue;
        var replies = await db.InboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && !m.FromOwner
                        && m.Intent == InboundIntent.Conversation && m.At > since)
            .OrderBy(m => m.Id)
            .Select(m => m.Body)
            .ToListAsync(ct);
        if (replies.Count == 0) return;
        var body = TextTemplates.ReplyAlert(contact.Phone, replies, link);

        var pending = await db.OutboundMessages
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && m.Kind == OutboundKind.OwnerReplyAlert
                        && m.Status == OutboundStatus.Pending && m.LeaseOwner == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Body, body), ct);
        if (pending > 0) return;

        var sendAt = lastSent is not null && lastSent.At + ReplyCoalesceWindow > now ? lastSent.At + ReplyCoalesceWindow : now;
        db.OutboundMessages.Add(new OutboundMessage
        {
            BusinessId = business.Id,
            ContactId = contact.Id,
            Kind = OutboundKind.OwnerReplyAlert,
            To = business.OwnerPhone!,
            From = recoverlyNumber,
            Body = body,
            CreatedAt = now,
            NextAttemptAt = sendAt,
        });
    }

    /// <summary>The caller the owner is answering: the conversation of the most recent alert within 30 minutes.</summary>
    public static Task<long?> RelayTargetAsync(RecoverlyDb db, long businessId, DateTime now, CancellationToken ct)
    {
        var since = now - RelayWindow;
        return db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == businessId && AlertKinds.Contains(m.Kind) && m.ContactId != null && m.SentAt != null && m.SentAt >= since)
            .OrderByDescending(m => m.SentAt)
            .Select(m => m.ContactId)
            .FirstOrDefaultAsync(ct);
    }

    private static async Task<bool> MayAlertAsync(RecoverlyDb db, Business business, DateTime now, CancellationToken ct)
    {
        if (business.OwnerPhone is not { } owner) return false;
        if (await ConsentLedger.OwnerStateAsync(db, business.Id, owner, ct) != OwnerAlertConsent.Confirmed) return false;
        var dayStart = BusinessClock.StartOfLocalDayUtc(now, business.TimeZone);
        var today = await db.OutboundMessages.CountAsync(
            m => m.BusinessId == business.Id && AlertKinds.Contains(m.Kind) && m.CreatedAt >= dayStart, ct);
        return today < business.DailyOwnerAlertCap;
    }
}
