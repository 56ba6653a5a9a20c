using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Owners;

/// <summary>
/// What a message in a conversation does beyond being stored: it moves the conversation to the top of the inbox
/// (its newest call's row) and, the first time, records that the caller or the owner answered the episode
/// (for the report, docs/product/report.md). Called inside the writer's transaction; sends nothing.
/// </summary>
public static class ConversationActivity
{
    /// <summary>A caller's conversation reply (not STOP, START or HELP).</summary>
    public static async Task CallerRepliedAsync(RecoverlyDb db, long contactId, DateTime now, CancellationToken ct)
    {
        await TouchAsync(db, contactId, now, ct);
        if (await EpisodeStart(db, contactId).Where(c => c.CallerRepliedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.CallerRepliedAt, now), ct) > 0)
            await ReportDays.EpisodeChangedAsync(db, EpisodeStart(db, contactId), ct);
    }

    /// <summary>The owner's reply, from the dashboard or relayed from an alert.</summary>
    public static async Task OwnerRepliedAsync(RecoverlyDb db, long contactId, DateTime now, CancellationToken ct)
    {
        await TouchAsync(db, contactId, now, ct);
        // Answering an urgent conversation is handling it.
        await db.Contacts.Where(c => c.Id == contactId && c.UrgentAt != null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UrgentAt, (DateTime?)null).SetProperty(c => c.UrgentWord, (string?)null), ct);
        if (await EpisodeStart(db, contactId).Where(c => c.OwnerRepliedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.OwnerRepliedAt, now), ct) > 0)
            await ReportDays.EpisodeChangedAsync(db, EpisodeStart(db, contactId), ct);
        // The owner's own words reached the caller first: a text-back held overnight would now be out of place.
        await Calls.OvernightHold.CancelForContactAsync(db, contactId, Texts.OutboxReason.OwnerAnsweredFirst, ct);
    }

    private static async Task TouchAsync(RecoverlyDb db, long contactId, DateTime now, CancellationToken ct)
    {
        await db.Contacts.Where(c => c.Id == contactId).ExecuteUpdateAsync(s => s.SetProperty(c => c.LastActivityAt, now), ct);
        // The inbox shows an episode at its newest call, and the contact's newest call is its latest episode's.
        await db.MissedCalls.Where(c => c.Id == db.MissedCalls.Where(n => n.ContactId == contactId).Max(n => (long?)n.Id) && c.LastActivityAt < now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastActivityAt, now), ct);
    }

    /// <summary>The first call of the contact's latest episode: a message belongs to the episode it follows.</summary>
    private static IQueryable<Calls.MissedCall> EpisodeStart(RecoverlyDb db, long contactId) =>
        db.MissedCalls.Where(c => c.Id == db.Contacts.Where(n => n.Id == contactId).Select(n => n.EpisodeFirstCallId).FirstOrDefault());
}
