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

    /// <summary>What an alert is about. Each channel delivers every kind (<see cref="OutboxKind"/>); a new channel maps them too.</summary>
    public enum AlertKind { MissedCall, Reply, Voicemail, Emergency, Digest }

    /// <summary>The outbox row kind of an alert on a channel: e-mail goes to the mailer whatever it is about.</summary>
    public static OutboundKind OutboxKind(AlertKind kind, AlertChannel channel) => channel == AlertChannel.Email ? OutboundKind.OwnerEmail : kind switch
    {
        AlertKind.MissedCall => OutboundKind.OwnerAlert,
        AlertKind.Reply => OutboundKind.OwnerReplyAlert,
        AlertKind.Voicemail => OutboundKind.OwnerVoicemailAlert,
        AlertKind.Emergency => OutboundKind.OwnerEmergencyAlert,
        _ => OutboundKind.OwnerDigest,
    };

    /// <summary>Emergency alerts a business gets per local day, on top of the ordinary cap: enough for a bad night, not a flood.</summary>
    public const int EmergencyDailyCap = 10;

    /// <summary>What a transcription callback says happened to a voicemail's words.</summary>
    public const string TranscriptionCompleted = "completed";
    public const string TranscriptionFailed = "failed";

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
        return new MissedCallAlertPlan(OutboxKind(AlertKind.MissedCall, channel),
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
        var kind = OutboxKind(AlertKind.Reply, channel);
        var urgent = OutboxKind(AlertKind.Emergency, channel);
        // Reply alerts are the rows of this kind for this conversation that are not about a call; an emergency reply's alert counts.
        var lastSent = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && (m.Kind == kind || m.Kind == urgent) && m.MissedCallId == null
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

    /// <summary>
    /// A caller's reply with an emergency word: the conversation is marked urgent, and the owner is alerted at once — no
    /// quiet hours, no coalescing — under its own small cap. False when that cap is spent: the reply then takes the
    /// ordinary way (<see cref="QueueReplyAlertAsync"/>).
    /// </summary>
    public static async Task<bool> QueueEmergencyReplyAsync(RecoverlyDb db, Business business, Contact contact, string body, string word,
        string recoverlyNumber, PublicUrls urls, DateTime now, CancellationToken ct)
    {
        await MarkUrgentAsync(db, contact.Id, word, now, ct);
        var channel = await ChannelAsync(db, business, ct);
        var devices = await PushUrgentAsync(db, business, contact.Phone, contact.Id, word, $"push:emergency:reply:{contact.Id}:{now.Ticks}", now, ct);
        if (channel == AlertChannel.None && devices == 0) return true;
        if (!await TakeEmergencySlotAsync(db, business, now, ct)) return false;
        if (channel == AlertChannel.None) return true;
        var link = urls.For(ConversationPath(contact.Id));
        Enqueue(db, business, channel, AlertKind.Emergency, recoverlyNumber, TextTemplates.EmergencyAlert(contact.Phone, word, body, voicemail: false, link),
            contact.Id, missedCallId: null, dedupeKey: null, now);
        return true;
    }

    /// <summary>
    /// A voicemail's transcription arrived (or failed; <paramref name="transcript"/> is then null). An emergency word alerts
    /// at once like an emergency reply. Otherwise the words join the call's alert while it still waits in the outbox, or
    /// follow it in one short alert of their own (within the daily cap); in quiet hours they join the digest instead.
    /// </summary>
    public static async Task VoicemailAsync(RecoverlyDb db, Business business, MissedCall call, string? transcript, PublicUrls urls, DateTime now,
        CancellationToken ct)
    {
        var link = urls.For(call.ContactId is { } id ? ConversationPath(id) : InboxPath);
        var word = EmergencyWords.Match(transcript, EmergencyWords.For(business));
        if (word is not null && call.ContactId is { } contactId) await MarkUrgentAsync(db, contactId, word, now, ct);
        if (word is not null) await PushUrgentAsync(db, business, call.FromE164, call.ContactId, word, $"push:emergency:call:{call.Id}", now, ct);
        else await PushVoicemailAsync(db, business, call, now, ct);
        var channel = await ChannelAsync(db, business, ct);
        if (channel == AlertChannel.None) return;
        var email = channel == AlertChannel.Email;
        if (word is not null && await TakeEmergencySlotAsync(db, business, now, ct))
        {
            Enqueue(db, business, channel, AlertKind.Emergency, call.To, TextTemplates.EmergencyAlert(call.FromE164, word, transcript!, voicemail: true, link),
                call.ContactId, call.Id, $"alert:emergency:call:{call.Id}", now);
            return;
        }
        if (QuietHours.Current(business, now) is { } quiet)
        {
            await HoldForDigestAsync(db, business, channel, quiet, call.To, urls, now, ct);
            return;
        }
        // The alert still waiting (not yet claimed by a dispatcher) carries the voicemail itself.
        var note = (email ? "\n\n" : " ") + TextTemplates.VoicemailNote(transcript, email ? TextTemplates.VoicemailEmailLength : TextTemplates.VoicemailExcerptLength);
        var callKey = $"alert:call:{call.Id}";
        var joined = await db.OutboundMessages
            .Where(m => m.DedupeKey == callKey && m.Status == OutboundStatus.Pending && m.LeaseOwner == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Body, m => m.Body + note), ct);
        if (joined > 0 || !await TakeDailySlotAsync(db, business, now, ct)) return;
        // An e-mail's first line is its subject; the whole transcription follows it.
        var body = TextTemplates.VoicemailAlert(call.FromE164, transcript, link) + (email && transcript is not null ? note : "");
        Enqueue(db, business, channel, AlertKind.Voicemail, call.To, body, call.ContactId, call.Id, $"alert:voicemail:{call.Id}", now);
    }

    /// <summary>
    /// The push for an emergency, at once even in quiet hours: who and which word, never what the caller wrote (docs/push-alerts.md).
    /// Returns how many devices it is for; the caller saves.
    /// </summary>
    private static Task<int> PushUrgentAsync(RecoverlyDb db, Business business, string? phone, long? contactId, string word, string dedupeKey,
        DateTime now, CancellationToken ct) =>
        PushAlerts.QueueAsync(db, business, new PushAlert(PushAlertKind.Emergency,
            $"Urgent: {(phone is null ? "a withheld number" : Phones.FormatForDisplay(phone))}", $"They mentioned \u201c{word}\u201d. Tap to open, or call back now.",
            contactId is { } id ? ConversationPath(id) : InboxPath)
        {
            CallBack = phone,
            Tag = contactId is { } tag ? $"contact-{tag}" : null,
            DedupeKey = dedupeKey,
            BypassQuietHours = true,
        }, now, ct);

    /// <summary>The push for a voicemail that was left: who, and where to listen (held in quiet hours like other alerts). The caller saves.</summary>
    private static Task<int> PushVoicemailAsync(RecoverlyDb db, Business business, MissedCall call, DateTime now, CancellationToken ct) =>
        PushAlerts.QueueAsync(db, business, new PushAlert(PushAlertKind.Voicemail,
            $"Voicemail from {(call.FromE164 is null ? "a withheld number" : Phones.FormatForDisplay(call.FromE164))}", "Tap to listen in the app.",
            call.ContactId is { } id ? ConversationPath(id) : InboxPath)
        {
            CallBack = call.FromE164,
            Tag = call.ContactId is { } tag ? $"contact-{tag}" : $"call-{call.Id}",
            DedupeKey = $"push:voicemail:{call.Id}",
        }, now, ct);

    /// <summary>The conversation goes to the top of the inbox, with the word that put it there, until the owner handles it.</summary>
    public static Task<int> MarkUrgentAsync(RecoverlyDb db, long contactId, string word, DateTime now, CancellationToken ct) =>
        db.Contacts.Where(c => c.Id == contactId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UrgentAt, now).SetProperty(c => c.UrgentWord, word), ct);

    /// <summary>The owner replied, called back, or tapped "Handled": the conversation is no longer urgent.</summary>
    public static Task<int> ClearUrgentAsync(RecoverlyDb db, long businessId, long contactId, CancellationToken ct) =>
        db.Contacts.Where(c => c.Id == contactId && c.BusinessId == businessId && c.UrgentAt != null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UrgentAt, (DateTime?)null).SetProperty(c => c.UrgentWord, (string?)null), ct);

    private static void Enqueue(RecoverlyDb db, Business business, AlertChannel channel, AlertKind kind, string recoverlyNumber, string body,
        long? contactId, long? missedCallId, string? dedupeKey, DateTime now)
    {
        var email = channel == AlertChannel.Email;
        Outbox.Enqueue(db, new OutboxItem(business.Id, OutboxKind(kind, channel), email ? EmailRecipient(business.Id) : business.OwnerPhone!,
            email ? EmailSender : recoverlyNumber, body)
        {
            ContactId = contactId,
            MissedCallId = missedCallId,
            DedupeKey = dedupeKey,
            ExpiresAt = email ? now + StaleAfter : null,
        }, now);
    }

    /// <summary>One of today's emergency alerts (business-local day), in one atomic statement shared by every process.</summary>
    private static async Task<bool> TakeEmergencySlotAsync(RecoverlyDb db, Business business, DateTime now, CancellationToken ct)
    {
        var today = BusinessClock.LocalDay(now, business.TimeZone);
        return await OwnerTextCounter.TakeAsync(db, $"emergency:{business.Id}", today, EmergencyDailyCap, ct);
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
        var kind = OutboxKind(AlertKind.Digest, channel).ToString();
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
            .Select(c => new { c.FromE164, c.At, c.Outcome, c.Transcription, c.TranscriptionStatus })
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
            var voicemail = caller.LastOrDefault(c => c.TranscriptionStatus is not null);
            var note = voicemail is null ? null
                : TextTemplates.VoicemailNote(voicemail.TranscriptionStatus == TranscriptionCompleted ? voicemail.Transcription : null);
            lines.Add(TextTemplates.DigestCallLine(caller.Key, caller.Count(), caller.Max(c => c.At), zone, outcome, note));
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
