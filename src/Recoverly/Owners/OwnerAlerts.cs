using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>
/// Owner alerts (SPEC 1.6): by SMS only after the owner's confirmed YES, or by email when the owner
/// chose email instead; capped per day, caller replies coalesced per conversation, and held during
/// quiet hours for one digest when they end. Every alert is an outbox row; the dispatcher re-checks
/// the owner's consent (SMS) or email setting right before sending it.
/// </summary>
public static class OwnerAlerts
{
    public static readonly TimeSpan ReplyCoalesceWindow = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RelayWindow = TimeSpan.FromMinutes(30);
    /// <summary>An alert that could not go out within half a day is no longer news.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(12);

    public const string InboxPath = "/app";
    public static string ConversationPath(long contactId) => $"/app/contacts/{contactId}";

    /// <summary>The outbox "From" of an email alert (it does not use a sending number).</summary>
    public const string EmailSender = "email";

    /// <summary>The outbox "To" of an email alert; the address itself is read when it is sent (it may change meanwhile).</summary>
    public static string EmailRecipient(long businessId) => $"email:{businessId}";

    private static readonly OutboundKind[] AlertKinds = [OutboundKind.OwnerAlert, OutboundKind.OwnerReplyAlert];
    private static readonly OutboundKind[] CappedKinds =
        [OutboundKind.OwnerAlert, OutboundKind.OwnerReplyAlert, OutboundKind.OwnerDigest, OutboundKind.OwnerEmail];

    private enum Channel { None, Sms, Email }

    public static async Task QueueMissedCallAlertAsync(RecoverlyDb db, Business business, MissedCall call, int callCount, PublicUrls urls,
        DateTime now, CancellationToken ct)
    {
        var channel = await ChannelAsync(db, business, ct);
        if (channel == Channel.None) return;
        if (QuietHours.Current(business, now) is { } quiet)
        {
            await HoldForDigestAsync(db, business, channel, quiet, call.To, urls, call, now, ct);
            return;
        }
        if (!await UnderDailyCapAsync(db, business, now, ct)) return;
        var text = TextTemplates.MissedCallAlert(call.FromE164, call.At, BusinessClock.Zone(business.TimeZone), call.Outcome, callCount);
        var email = channel == Channel.Email;
        var link = urls.For(call.ContactId is { } contactId ? ConversationPath(contactId) : InboxPath);
        Outbox.Enqueue(db, new OutboxItem(business.Id, email ? OutboundKind.OwnerEmail : OutboundKind.OwnerAlert,
            email ? EmailRecipient(business.Id) : business.OwnerPhone!, email ? EmailSender : call.To, email ? $"{text}\n\nOpen {link}" : text)
        {
            ContactId = call.ContactId,
            MissedCallId = call.Id,
            DedupeKey = $"alert:call:{call.Id}",
            ExpiresAt = email ? now + StaleAfter : null,
        }, now);
    }

    /// <summary>First reply alerts at once; more replies within 5 minutes are gathered into one later alert.</summary>
    public static async Task QueueReplyAlertAsync(RecoverlyDb db, Business business, Contact contact, string recoverlyNumber,
        PublicUrls urls, DateTime now, CancellationToken ct)
    {
        var channel = await ChannelAsync(db, business, ct);
        if (channel == Channel.None) return;
        if (QuietHours.Current(business, now) is { } quiet)
        {
            await HoldForDigestAsync(db, business, channel, quiet, recoverlyNumber, urls, null, now, ct);
            return;
        }
        if (!await UnderDailyCapAsync(db, business, now, ct)) return;

        var email = channel == Channel.Email;
        var kind = email ? OutboundKind.OwnerEmail : OutboundKind.OwnerReplyAlert;
        // Reply alerts are the rows of this kind for this conversation that are not about a call.
        var lastSent = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && m.Kind == kind && m.MissedCallId == null
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
        var body = TextTemplates.ReplyAlert(contact.Phone, replies, urls.For(ConversationPath(contact.Id)));

        var pending = await db.OutboundMessages
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && m.Kind == kind && m.MissedCallId == null
                        && m.Status == OutboundStatus.Pending && m.LeaseOwner == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Body, body), ct);
        if (pending > 0) return;

        var sendAt = lastSent is not null && lastSent.At + ReplyCoalesceWindow > now ? lastSent.At + ReplyCoalesceWindow : now;
        Outbox.Enqueue(db, new OutboxItem(business.Id, kind, email ? EmailRecipient(business.Id) : business.OwnerPhone!,
            email ? EmailSender : recoverlyNumber, body)
        {
            ContactId = contact.Id,
            SendAt = sendAt,
            ExpiresAt = email ? now + StaleAfter : null,
        }, now);
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

    private static async Task<Channel> ChannelAsync(RecoverlyDb db, Business business, CancellationToken ct)
    {
        if (business.EmailAlerts && !string.IsNullOrWhiteSpace(business.OwnerEmail)) return Channel.Email;
        if (business.OwnerPhone is { } owner && await OwnerAlertSubscription.StateAsync(db, business.Id, owner, ct) == OwnerAlertConsent.Confirmed)
            return Channel.Sms;
        return Channel.None;
    }

    private static async Task<bool> UnderDailyCapAsync(RecoverlyDb db, Business business, DateTime now, CancellationToken ct)
    {
        var dayStart = BusinessClock.StartOfLocalDayUtc(now, business.TimeZone);
        var today = await db.OutboundMessages.CountAsync(
            m => m.BusinessId == business.Id && CappedKinds.Contains(m.Kind) && m.CreatedAt >= dayStart, ct);
        return today < business.DailyOwnerAlertCap;
    }

    /// <summary>
    /// Quiet hours: instead of an alert, (re)write the one digest that goes when they end. The digest
    /// is rebuilt from the record each time, so it always sums up the whole quiet stretch so far.
    /// </summary>
    private static async Task HoldForDigestAsync(RecoverlyDb db, Business business, Channel channel, QuietWindow quiet, string recoverlyNumber,
        PublicUrls urls, MissedCall? current, DateTime now, CancellationToken ct)
    {
        var body = await ComposeDigestAsync(db, business, quiet, current, urls.For(InboxPath), now, ct);
        var email = channel == Channel.Email;
        var key = $"digest:{business.Id}:{quiet.EndUtc:yyyyMMddTHHmm}";
        var kind = (email ? OutboundKind.OwnerEmail : OutboundKind.OwnerDigest).ToString();
        var to = email ? EmailRecipient(business.Id) : business.OwnerPhone!;
        var from = email ? EmailSender : recoverlyNumber;
        var pending = OutboundStatus.Pending.ToString();
        var none = OutboxReason.None.ToString();
        var expires = quiet.EndUtc + StaleAfter;
        // Insert-if-absent on the unique DedupeKey: concurrent webhooks during quiet hours share one digest.
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "OutboundMessages" ("BusinessId", "Kind", "To", "From", "Body", "Status", "Reason", "DedupeKey", "CreatedAt", "NextAttemptAt", "ExpiresAt", "Attempts")
            VALUES ({business.Id}, {kind}, {to}, {from}, {body}, {pending}, {none}, {key}, {now}, {quiet.EndUtc}, {expires}, {0})
            ON CONFLICT ("DedupeKey") DO NOTHING
            """, ct);
        await db.OutboundMessages
            .Where(m => m.DedupeKey == key && m.Status == OutboundStatus.Pending && m.LeaseOwner == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Body, body), ct);
    }

    private static async Task<string> ComposeDigestAsync(RecoverlyDb db, Business business, QuietWindow quiet, MissedCall? current,
        string inboxLink, DateTime now, CancellationToken ct)
    {
        var skip = current?.Id ?? 0;
        var calls = await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == business.Id && c.At >= quiet.StartUtc && c.At <= now && c.Id != skip)
            .OrderBy(c => c.At).ThenBy(c => c.Id)
            .Take(500)
            .Select(c => new { c.FromE164, c.At, c.Outcome })
            .ToListAsync(ct);
        // The call being recorded right now is not saved with its outcome yet.
        if (current is not null) calls.Add(new { current.FromE164, current.At, current.Outcome });
        var replies = await db.InboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && !m.FromOwner && m.Intent == InboundIntent.Conversation && m.At >= quiet.StartUtc)
            .OrderBy(m => m.Id)
            .Take(500)
            .Select(m => new { m.From, m.Body })
            .ToListAsync(ct);

        var zone = BusinessClock.Zone(business.TimeZone);
        var lines = new List<string>();
        foreach (var caller in calls.GroupBy(c => c.FromE164))
        {
            var outcome = caller.Select(c => c.Outcome).FirstOrDefault(o => o != CallOutcome.Repeat, CallOutcome.Repeat);
            lines.Add(TextTemplates.DigestCallLine(caller.Key, caller.Count(), caller.Max(c => c.At), zone, outcome));
        }
        foreach (var sender in replies.GroupBy(r => r.From))
            lines.Add(TextTemplates.DigestReplyLine(sender.Key, sender.Count(), sender.Last().Body));
        return TextTemplates.QuietHoursDigest(business.Name, calls.Count, replies.Count, lines, inboxLink);
    }
}
