using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>
/// What an owner can do to a caller from the dashboard: answer them, record an opt-out they heard, or note what
/// became of the missed call (called back, booked). The notes are for the owner's report only: they never text anyone.
/// </summary>
public static class ContactActions
{
    public const int MaxReplyLength = 1600;
    public const string OptedOutRefusal = "They opted out — you can't text them. Call them instead.";

    /// <summary>
    /// Queues the owner's reply in the outbox after the owner-text gate and the consent check (the dispatcher checks
    /// consent again right before sending). <paramref name="replyKey"/> comes from the form, so a double submit
    /// queues one text. Returns the reason it was refused, or null.
    /// </summary>
    public static async Task<string?> QueueReplyAsync(RecoverlyDb db, Business business, Contact contact, string? body,
        string replyKey, OwnerTextPolicy policy, DateTime now, CancellationToken ct)
    {
        body = body?.Trim() ?? "";
        if (body.Length == 0) return "Write your reply first.";
        if (body.Length > MaxReplyLength) return $"That reply is too long: at most {MaxReplyLength} characters.";
        if (business.Numbers.Count == 0) return "This business has no Recoverly number to text from.";

        // Not committed unless queued: a refusal leaves no counted slot behind.
        await using var tx = await db.BeginWriteAsync(ct);
        if (await GateReplyAsync(db, business, contact.Phone, policy, now, ct) is { } refusal)
            return OwnerTexting.Words(refusal, OwnerTextKind.Reply, contact.Phone);
        var from = await SendingNumberAsync(db, business, contact, ct);
        Outbox.Enqueue(db, new OutboxItem(business.Id, OutboundKind.OwnerReply, contact.Phone, from, body)
        {
            ContactId = contact.Id,
            DedupeKey = $"reply:{business.Id}:{replyKey}",
        }, now);
        await ConversationActivity.OwnerRepliedAsync(db, contact.Id, now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return null; // the same form submitted twice: the first one is queued
        }
        await tx.CommitAsync(ct);
        return null;
    }

    /// <summary>
    /// Every check an owner's reply to a caller passes, from the app or relayed by SMS: the owner-text gate, the caller's
    /// consent, then the daily caps (taken last, so a refused reply uses none). Call inside the write transaction.
    /// </summary>
    public static async Task<OwnerTextRefusal?> GateReplyAsync(RecoverlyDb db, Business business, string to, OwnerTextPolicy policy, DateTime now,
        CancellationToken ct)
    {
        if (await OwnerTexting.CheckAsync(db, business, to, policy, now, ct) is { } refused) return refused;
        if (!await ConsentLedger.MayTextAsync(db, business.Id, to, OutboundKind.OwnerReply, ct)) return OwnerTextRefusal.CallerOptedOut;
        return await OwnerTexting.TakeSlotsAsync(db, business.Id, OwnerTextKind.Reply, to, now, ct);
    }

    /// <summary>The Recoverly number the caller last reached us on, so the reply lands in the same thread on their phone.</summary>
    private static async Task<string> SendingNumberAsync(RecoverlyDb db, Business business, Contact contact, CancellationToken ct)
    {
        var ours = business.Numbers.Select(n => n.E164).ToList();
        var lastInbound = await db.InboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == business.Id && m.ContactId == contact.Id && ours.Contains(m.To))
            .OrderByDescending(m => m.At).Select(m => m.To).FirstOrDefaultAsync(ct);
        if (lastInbound is not null) return lastInbound;
        var lastCall = await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == business.Id && c.ContactId == contact.Id && ours.Contains(c.To))
            .OrderByDescending(c => c.At).Select(c => c.To).FirstOrDefaultAsync(ct);
        return lastCall ?? ours[0];
    }

    /// <summary>
    /// The owner heard "stop texting me" by phone, email or in person (any reasonable means counts,
    /// docs/product/consent.md): an opt-out with the owner as its source, and every pending text to them
    /// cancelled. Returns false when the caller was already opted out (nothing is appended).
    /// </summary>
    public static async Task<bool> RecordOptOutAsync(RecoverlyDb db, long businessId, Contact contact, string how,
        string evidence, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await CallerConsentChanges.OptOutAsync(db, businessId, contact.Phone, ConsentEvidence.RecordedByOwner(how, evidence), now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return changed;
    }

    /// <summary>
    /// "I called them back" on (or undone) for one episode of this contact, named by its first call. False when
    /// that is not an episode of this contact in this business.
    /// </summary>
    public static async Task<bool> MarkCalledBackAsync(RecoverlyDb db, long businessId, long contactId, long episodeCallId, bool calledBack,
        DateTime now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var marked = await Episode(db, businessId, contactId, episodeCallId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.CalledBackAt, c => calledBack ? c.CalledBackAt ?? now : null), ct) > 0;
        if (marked) await ReportDays.EpisodeChangedAsync(db, Episode(db, businessId, contactId, episodeCallId), ct);
        if (marked && calledBack)
        {
            // Calling an urgent caller back is handling it; and now that they talked, a text-back held overnight would be out of place.
            await OwnerAlerts.ClearUrgentAsync(db, businessId, contactId, ct);
            await OvernightHold.CancelForContactAsync(db, contactId, OutboxReason.OwnerAnsweredFirst, ct);
        }
        await tx.CommitAsync(ct);
        return marked;
    }

    /// <summary>The owner's "Handled" on an urgent conversation: it goes back to its place in the inbox. False when not theirs.</summary>
    public static async Task<bool> MarkHandledAsync(RecoverlyDb db, long businessId, long contactId, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await OwnerAlerts.ClearUrgentAsync(db, businessId, contactId, ct);
        return await db.Contacts.AnyAsync(c => c.Id == contactId && c.BusinessId == businessId, ct);
    }

    /// <summary>"Booked / won", with the job's value when the owner gave one (marking again changes the value); or undone.</summary>
    public static async Task<bool> MarkWonAsync(RecoverlyDb db, long businessId, long contactId, long episodeCallId, bool won, long? jobValueCents,
        DateTime now, CancellationToken ct)
    {
        var value = won ? jobValueCents : null;
        await using var tx = await db.BeginWriteAsync(ct);
        var marked = await Episode(db, businessId, contactId, episodeCallId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.WonAt, c => won ? c.WonAt ?? now : null)
                .SetProperty(c => c.JobValueCents, value), ct) > 0;
        if (marked) await ReportDays.EpisodeChangedAsync(db, Episode(db, businessId, contactId, episodeCallId), ct);
        await tx.CommitAsync(ct);
        return marked;
    }

    private static IQueryable<MissedCall> Episode(RecoverlyDb db, long businessId, long contactId, long episodeCallId) =>
        db.MissedCalls.Where(c => c.Id == episodeCallId && c.BusinessId == businessId && c.ContactId == contactId && c.EpisodeFirstCallId == null);
}
