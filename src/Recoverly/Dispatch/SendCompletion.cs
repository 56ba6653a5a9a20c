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

    private static readonly string UpdateSql = $"""
        UPDATE "OutboundMessages" SET "Status" = @status, "Attempts" = @attempts, "NextAttemptAt" = COALESCE(@next, "NextAttemptAt"),
            "ProviderSid" = @sid, "ProviderStatus" = @providerStatus, "ErrorCode" = @error, "Reason" = @reason,
            "SentAt" = @sent, "AttemptStartedAt" = @attempt, "PacedUntil" = NULL, "LeaseOwner" = NULL, "LeaseUntil" = NULL
        WHERE "Id" = @id AND "LeaseOwner" = @worker AND "Status" IN ({Sendable})
        """;

    /// <summary>PostgreSQL: the update and the status callbacks that beat it here, in one round trip.</summary>
    private static readonly string PostgresSql = $"""
        WITH u AS ({UpdateSql} RETURNING "Id")
        SELECT (SELECT count(*) FROM u), e."Status", e."ErrorCode" FROM (SELECT 1) AS one
        LEFT JOIN "MessageStatusEvents" e ON e."MessageSid" = @sid AND EXISTS (SELECT 1 FROM u)
        """;

    /// <returns>False when the row was no longer this worker's (it was ended or taken meanwhile).</returns>
    public static async Task<bool> ApplyAsync(RecoverlyDb db, OutboxLeases leases, long id, AfterSend after, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        // The status callback handler takes the same lock: one of us sees the other's commit.
        if (after.ProviderSid is { } lockedSid) await KeyLock.LockAsync(db, lockedSid, ct);
        var postgres = db.Provider == DatabaseProvider.Postgres;
        var early = new List<(string Status, int? ErrorCode)>();
        await using (var cmd = await OutboxLeases.CommandAsync(db, postgres ? PostgresSql : UpdateSql, ct))
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
            if (!postgres)
            {
                if (await cmd.ExecuteNonQueryAsync(ct) == 0) return false;
            }
            else
            {
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                var updated = false;
                while (await reader.ReadAsync(ct))
                {
                    updated = reader.GetInt64(0) > 0;
                    if (!reader.IsDBNull(1)) early.Add((reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2)));
                }
                if (!updated) return false;
            }
        }

        if (after.ProviderSid is { } sid)
        {
            // Status callbacks can beat our own bookkeeping; apply any that arrived first, furthest last.
            if (!postgres)
                early = [.. (await db.MessageStatusEvents.AsNoTracking().Where(e => e.MessageSid == sid).Select(e => new { e.Status, e.ErrorCode }).ToListAsync(ct))
                    .Select(e => (e.Status, e.ErrorCode))];
            foreach (var (status, errorCode) in early.OrderBy(e => DeliveryStatus.Map(e.Status) is { } st ? DeliveryStatus.Rank(st) : 0))
                await DeliveryStatus.ApplyAsync(db, sid, status, errorCode, now, ct);
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
