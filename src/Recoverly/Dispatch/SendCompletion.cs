using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>
/// Writes a send's outcome (<see cref="SendTransition"/>) to its row, in one transaction with what it
/// teaches: status callbacks that beat it here, an opt-out or landline learned from the error.
/// </summary>
public static class SendCompletion
{
    private static readonly string Sendable = $"""'{OutboundStatus.Pending}', '{OutboundStatus.InDoubt}', '{OutboundStatus.Sending}'""";

    /// <returns>False when the row was no longer this worker's (it was ended or taken meanwhile).</returns>
    public static async Task<bool> ApplyAsync(RecoverlyDb db, OutboxLeases leases, long id, AfterSend after, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        // The status callback handler takes the same lock: one of us sees the other's commit.
        if (after.ProviderSid is { } lockedSid) await KeyLock.LockAsync(db, lockedSid, ct);
        await using (var cmd = await OutboxLeases.CommandAsync(db, $"""
            UPDATE "OutboundMessages" SET "Status" = @status, "Attempts" = @attempts, "NextAttemptAt" = COALESCE(@next, "NextAttemptAt"),
                "ProviderSid" = @sid, "ProviderStatus" = @providerStatus, "ErrorCode" = @error, "Reason" = @reason,
                "SentAt" = @sent, "AttemptStartedAt" = @attempt, "PacedUntil" = NULL, "LeaseOwner" = NULL, "LeaseUntil" = NULL
            WHERE "Id" = @id AND "LeaseOwner" = @worker AND "Status" IN ({Sendable})
            """, ct))
        {
            OutboxLeases.Add(cmd, "status", after.Status.ToString());
            OutboxLeases.Add(cmd, "attempts", after.Attempts);
            OutboxLeases.Add(cmd, "next", (object?)after.NextAttemptAt ?? DBNull.Value);
            OutboxLeases.Add(cmd, "sid", (object?)after.ProviderSid ?? DBNull.Value);
            OutboxLeases.Add(cmd, "providerStatus", (object?)after.ProviderStatus ?? DBNull.Value);
            OutboxLeases.Add(cmd, "error", (object?)after.ErrorCode ?? DBNull.Value);
            OutboxLeases.Add(cmd, "reason", after.Reason.ToString());
            OutboxLeases.Add(cmd, "sent", (object?)after.SentAt ?? DBNull.Value);
            OutboxLeases.Add(cmd, "attempt", (object?)after.AttemptStartedAt ?? DBNull.Value);
            OutboxLeases.Add(cmd, "id", id);
            OutboxLeases.Add(cmd, "worker", leases.WorkerId);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) return false;
        }

        if (after.ProviderSid is { } sid)
        {
            // Status callbacks can beat our own bookkeeping; apply any that arrived first, furthest last.
            var early = await db.MessageStatusEvents.AsNoTracking().Where(e => e.MessageSid == sid).ToListAsync(ct);
            foreach (var e in early.OrderBy(e => DeliveryStatus.Map(e.Status) is { } st ? DeliveryStatus.Rank(st) : 0))
                await DeliveryStatus.ApplyAsync(db, sid, e.Status, e.ErrorCode, now, ct);
        }
        if (after.LearnFromError)
        {
            var row = await db.OutboundMessages.AsNoTracking().FirstAsync(o => o.Id == id, ct);
            await DeliveryStatus.LearnFromErrorAsync(db, row, ProviderErrors.Describe(after.ErrorCode!.Value), now, ct);
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }
}
