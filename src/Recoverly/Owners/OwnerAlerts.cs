using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Push;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>
/// Owner alerts (docs/product/owner-alerts.md): by SMS only after the owner's confirmed YES, or by email when the owner
/// chose email instead; capped per day, caller replies coalesced per conversation, and held during
/// quiet hours for one digest when they end. Every alert is an outbox row; the dispatcher re-checks
/// the owner's consent (SMS) or email setting right before sending it. Push alerts to the owner's devices go
/// beside either (docs/push-alerts.md): <see cref="PushAlerts.QueueAsync"/> is the channel every alert kind plugs into.
/// </summary>
public static class OwnerAlerts
{
    public static readonly TimeSpan ReplyCoalesceWindow = TimeSpan.FromMinutes(5);
    /// <summary>A reply without a caller's last four digits can only be meant for a caller alerted this recently.</summary>
    public static readonly TimeSpan RelayWindow = TimeSpan.FromMinutes(30);
    /// <summary>An alert that could not go out within half a day is no longer news.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(12);

    public const string InboxPath = "/app";
    public const string ConversationPathPrefix = "/app/contacts/";
    public static string ConversationPath(long contactId) => ConversationPathPrefix + contactId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The outbox "From" of an email alert (it does not use a sending number).</summary>
    public const string EmailSender = "email";

    /// <summary>The outbox "To" of an email alert; the address itself is read when it is sent (it may change meanwhile).</summary>
    public static string EmailRecipient(long businessId) => $"email:{businessId}";

    public enum AlertChannel { None, Sms, Email }

    /// <summary>Where this business's alerts go: e-mail when the owner chose it, SMS only after the owner's YES, else nowhere.</summary>
    public static AlertChannel ChannelFor(Business business, OwnerAlertConsent ownerState) =>
        business.EmailAlerts && !string.IsNullOrWhiteSpace(business.OwnerEmail) ? AlertChannel.Email
        : business.OwnerPhone is not null && ownerState == OwnerAlertConsent.Confirmed ? AlertChannel.Sms
        : AlertChannel.None;

    /// <summary>
    /// The alert for a missed call, before the call's final outcome is known: the recorder writes it in the
    /// same statement as the call, with the body that matches the outcome its claims end in.
    /// </summary>
    /// <param name="LinkPrefix">For e-mail: the conversation link without the contact id, which the database assigns.</param>
    public sealed record MissedCallAlertPlan(OutboundKind Kind, string To, string From, IReadOnlyDictionary<CallOutcome, string> Bodies,
        string? LinkPrefix, DateTime? ExpiresAt, string Day, int DailyCap);

    /// <summary>The alert to queue for a missed call outside quiet hours, or null when alerts are off.</summary>
    public static MissedCallAlertPlan? PlanMissedCallAlert(Business business, AlertChannel channel, string recoverlyNumber, string? callerE164,
        bool hasContact, IEnumerable<CallOutcome> possibleOutcomes, int callCount, PublicUrls urls, DateTime now, string? callerName = null)
    {
        if (channel == AlertChannel.None) return null;
        var zone = BusinessClock.Zone(business.TimeZone);
        var email = channel == AlertChannel.Email;
        var bodies = possibleOutcomes.Distinct().ToDictionary(o => o, o =>
        {
            var text = TextTemplates.MissedCallAlert(callerE164, now, zone, o, callCount, callerName);
            return !email ? text : hasContact ? $"{text}\n\nOpen " : $"{text}\n\nOpen {urls.For(InboxPath)}";
        });
        return new MissedCallAlertPlan(email ? OutboundKind.OwnerEmail : OutboundKind.OwnerAlert,
            email ? EmailRecipient(business.Id) : business.OwnerPhone!, email ? EmailSender : recoverlyNumber, bodies,
            email && hasContact ? urls.For(ConversationPathPrefix) : null, email ? now + StaleAfter : null,
            BusinessClock.LocalDay(now, business.TimeZone), business.DailyOwnerAlertCap);
    }

    /// <summary>A missed call during quiet hours: (re)write the one digest that goes when they end. Call after the call is recorded.</summary>
    public static async Task HoldMissedCallForDigestAsync(RecoverlyDb db, Business business, AlertChannel channel, string recoverlyNumber,
        PublicUrls urls, DateTime now, CancellationToken ct)
    {
        if (channel == AlertChannel.None || QuietHours.Current(business, now) is not { } quiet) return;
        await using var tx = await db.BeginWriteAsync(ct);
        await HoldForDigestAsync(db, business, channel, quiet, recoverlyNumber, urls, now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The push alert for a recorded missed call, on every device of the business (held for the end of quiet hours like
    /// the SMS). Says what the SMS alert says; opens the conversation. Writes in its own transaction.
    /// </summary>
    public static async Task PushMissedCallAsync(RecoverlyDb db, Business business, MissedCall call, string? callerName, DateTime now,
        CancellationToken ct)
    {
        if (call.Outcome == CallOutcome.Internal) return;
        var number = call.FromE164 is null ? "a withheld number" : Phones.FormatForDisplay(call.FromE164);
        var who = callerName is null ? number : $"{number} ({callerName})";
        var outcome = TextTemplates.OutcomeForOwner(call.Outcome);
        var alert = new PushAlert(PushAlertKind.MissedCall, $"Missed call from {who}", char.ToUpperInvariant(outcome[0]) + outcome[1..],
            call.ContactId is { } contact ? ConversationPath(contact) : InboxPath)
        {
            CallBack = call.FromE164,
            Tag = call.ContactId is { } id ? $"contact-{id}" : $"call-{call.Id}",
            DedupeKey = $"push:call:{call.Id}",
        };
        await using var tx = await db.BeginWriteAsync(ct);
        if (await PushAlerts.QueueAsync(db, business, alert, now, ct) == 0) return;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The push alert for a caller's reply: who replied, never what (the conversation shows it). The caller saves.</summary>
    public static Task PushReplyAsync(RecoverlyDb db, Business business, Contact contact, DateTime now, CancellationToken ct) =>
        PushAlerts.QueueAsync(db, business, new PushAlert(PushAlertKind.Reply, $"{Phones.FormatForDisplay(contact.Phone)} replied",
            "Tap to read and answer.", ConversationPath(contact.Id))
        {
            CallBack = contact.Phone,
            Tag = $"contact-{contact.Id}",
        }, now, ct);

    /// <summary>First reply alerts at once; more replies within 5 minutes are gathered into one later alert.</summary>
    public static async Task QueueReplyAlertAsync(RecoverlyDb db, Business business, Contact contact, string recoverlyNumber,
        PublicUrls urls, DateTime now, CancellationToken ct)
    {
        await PushReplyAsync(db, business, contact, now, ct);
        var channel = await ChannelAsync(db, business, ct);
        if (channel == AlertChannel.None) return;
        if (QuietHours.Current(business, now) is { } quiet)
        {
            await HoldForDigestAsync(db, business, channel, quiet, recoverlyNumber, urls, now, ct);
            return;
        }

        var email = channel == AlertChannel.Email;
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
        if (!await TakeDailySlotAsync(db, business, now, ct)) return;

        var sendAt = lastSent is not null && lastSent.At + ReplyCoalesceWindow > now ? lastSent.At + ReplyCoalesceWindow : now;
        Outbox.Enqueue(db, new OutboxItem(business.Id, kind, email ? EmailRecipient(business.Id) : business.OwnerPhone!,
            email ? EmailSender : recoverlyNumber, body)
        {
            ContactId = contact.Id,
            SendAt = sendAt,
            ExpiresAt = email ? now + StaleAfter : null,
        }, now);
    }

    private static async Task<AlertChannel> ChannelAsync(RecoverlyDb db, Business business, CancellationToken ct) =>
        ChannelFor(business, business.OwnerPhone is { } owner ? await OwnerAlertSubscription.StateAsync(db, business.Id, owner, ct) : OwnerAlertConsent.None);

    /// <summary>Takes one of today's alert slots (business-local day) in one atomic statement; false when the cap is reached.</summary>
    private static async Task<bool> TakeDailySlotAsync(RecoverlyDb db, Business business, DateTime now, CancellationToken ct)
    {
        var today = BusinessClock.LocalDay(now, business.TimeZone);
        var taken = await db.Database.SqlQuery<int>($"""
            INSERT INTO "OwnerAlertCounters" AS a ("BusinessId", "Day", "Count") VALUES ({business.Id}, {today}, 1)
            ON CONFLICT ("BusinessId") DO UPDATE SET "Count" = CASE WHEN a."Day" = {today} THEN a."Count" + 1 ELSE 1 END, "Day" = {today}
            WHERE a."Day" <> {today} OR a."Count" < {business.DailyOwnerAlertCap}
            RETURNING 1 AS "Value"
            """).ToListAsync(ct);
        return taken.Count > 0;
    }

    /// <summary>
    /// Quiet hours: instead of an alert, (re)write the one digest that goes when they end. The digest
    /// is rebuilt from the record each time, so it always sums up the whole quiet stretch so far.
    /// </summary>
    private static async Task HoldForDigestAsync(RecoverlyDb db, Business business, AlertChannel channel, QuietWindow quiet, string recoverlyNumber,
        PublicUrls urls, DateTime now, CancellationToken ct)
    {
        var body = await ComposeDigestAsync(db, business, quiet, urls.For(InboxPath), now, ct);
        var email = channel == AlertChannel.Email;
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

    private static async Task<string> ComposeDigestAsync(RecoverlyDb db, Business business, QuietWindow quiet, string inboxLink, DateTime now,
        CancellationToken ct)
    {
        var calls = await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == business.Id && c.At >= quiet.StartUtc && c.At <= now)
            .OrderBy(c => c.At).ThenBy(c => c.Id)
            .Take(500)
            .Select(c => new { c.FromE164, c.At, c.Outcome })
            .ToListAsync(ct);
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

/// <summary>Owner alerts queued today (business-local day), claimed one at a time against <c>Business.DailyOwnerAlertCap</c>.</summary>
public sealed class OwnerAlertCounter
{
    public long BusinessId { get; set; }
    /// <summary>yyyy-MM-dd in the business's time zone.</summary>
    public required string Day { get; set; }
    public int Count { get; set; }
}
