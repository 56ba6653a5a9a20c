using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
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
    private static readonly string UpdateSql = $"""
        UPDATE "OutboundMessages" SET "Status" = @status, "Attempts" = @attempts, "NextAttemptAt" = COALESCE(@next, "NextAttemptAt"),
            "ProviderSid" = @sid, "ProviderStatus" = @providerStatus, "ErrorCode" = @error, "Reason" = @reason,
            "SentAt" = @sent, "AttemptStartedAt" = @attempt, "PacedUntil" = NULL, "LeaseOwner" = NULL, "LeaseUntil" = NULL
        WHERE "Id" = @id AND "LeaseOwner" = @worker AND {SendableSql.Still("\"Status\"")}
        """;

    /// <summary>PostgreSQL: the update and the status callbacks that beat it here, in one round trip.</summary>
    private static readonly string PostgresSql = $"""
        WITH u AS ({UpdateSql} RETURNING "Id")
        SELECT (SELECT count(*) FROM u), e."Status", e."ErrorCode" FROM (SELECT 1) AS one
        LEFT JOIN "MessageStatusEvents" e ON e."MessageSid" = @sid AND EXISTS (SELECT 1 FROM u)
        """;

    private static readonly string PostgresLockedSql = "SELECT pg_advisory_xact_lock(hashtext(@sid));\n" + PostgresSql;

    /// <summary>
    /// PostgreSQL, several outcomes at once: the locks on their message ids, then one update for all of them that also
    /// returns the status callbacks that beat them here — one round trip, then the commit.
    /// </summary>
    private static readonly string PostgresManySql = $"""
        SELECT pg_advisory_xact_lock(hashtext(l.sid)) FROM unnest(@sids) AS l(sid) WHERE l.sid IS NOT NULL ORDER BY l.sid;
        WITH v AS (
            SELECT * FROM unnest(@ids, @statuses, @attempts, @nexts, @psids, @pstatuses, @errors, @reasons, @sents, @attemptsAt)
                AS t(id, status, attempts, next, sid, pstatus, error, reason, sent, attempt)),
        u AS (
            UPDATE "OutboundMessages" AS o SET "Status" = v.status, "Attempts" = v.attempts, "NextAttemptAt" = COALESCE(v.next, o."NextAttemptAt"),
                "ProviderSid" = v.sid, "ProviderStatus" = v.pstatus, "ErrorCode" = v.error, "Reason" = v.reason,
                "SentAt" = v.sent, "AttemptStartedAt" = v.attempt, "PacedUntil" = NULL, "LeaseOwner" = NULL, "LeaseUntil" = NULL
            FROM v WHERE o."Id" = v.id AND o."LeaseOwner" = @worker AND {SendableSql.Still("o.\"Status\"")}
            RETURNING o."Id", o."ProviderSid")
        SELECT u."Id", u."ProviderSid", e."Status", e."ErrorCode" FROM u LEFT JOIN "MessageStatusEvents" e ON e."MessageSid" = u."ProviderSid"
        """;

    /// <summary>
    /// PostgreSQL: writes several send outcomes in one transaction (docs/product/sending.md, step 7), one statement for all
    /// of them, with the status callbacks that beat them here. Outcomes that teach something (<see cref="AfterSend.LearnFromError"/>)
    /// are not taken here; <see cref="ApplyAsync"/> writes those.
    /// </summary>
    /// <returns>The rows written; a row missing was no longer this worker's (it was ended or taken meanwhile).</returns>
    public static async Task<HashSet<long>> ApplyManyAsync(RecoverlyDb db, OutboxLeases leases, IReadOnlyList<(long Id, AfterSend After)> outcomes,
        DateTime now, CancellationToken ct)
    {
        if (outcomes.Any(o => o.After.LearnFromError))
            throw new ArgumentException("An outcome that teaches something is written on its own", nameof(outcomes));
        if (db.Provider != DatabaseProvider.Postgres)
            throw new NotSupportedException("SQLite writes each outcome at once (ApplyAsync): its one writer is in-process, so a group saves nothing");
        var written = new HashSet<long>();
        var early = new List<(string Sid, string Status, int? ErrorCode)>();
        await using var tx = await db.BeginWriteAsync(ct);
        // The command and its reader are done before the early callbacks are applied on the same connection.
        await using (var cmd = await OutboxLeases.CommandAsync(db, PostgresManySql, ct))
        {
            // Typed arrays: a column of nulls must still reach PostgreSQL as the column's type.
            Typed(cmd, "sids", NpgsqlDbType.Text, outcomes.Select(o => o.After.ProviderSid).ToArray());
            Typed(cmd, "ids", NpgsqlDbType.Bigint, outcomes.Select(o => o.Id).ToArray());
            Typed(cmd, "statuses", NpgsqlDbType.Text, outcomes.Select(o => o.After.Status.ToString()).ToArray());
            Typed(cmd, "attempts", NpgsqlDbType.Integer, outcomes.Select(o => o.After.Attempts).ToArray());
            Typed(cmd, "nexts", NpgsqlDbType.TimestampTz, outcomes.Select(o => o.After.NextAttemptAt).ToArray());
            Typed(cmd, "psids", NpgsqlDbType.Text, outcomes.Select(o => o.After.ProviderSid).ToArray());
            Typed(cmd, "pstatuses", NpgsqlDbType.Text, outcomes.Select(o => o.After.ProviderStatus).ToArray());
            Typed(cmd, "errors", NpgsqlDbType.Integer, outcomes.Select(o => o.After.ErrorCode).ToArray());
            Typed(cmd, "reasons", NpgsqlDbType.Text, outcomes.Select(o => o.After.Reason.ToString()).ToArray());
            Typed(cmd, "sents", NpgsqlDbType.TimestampTz, outcomes.Select(o => o.After.SentAt).ToArray());
            Typed(cmd, "attemptsAt", NpgsqlDbType.TimestampTz, outcomes.Select(o => o.After.AttemptStartedAt).ToArray());
            OutboxLeases.Add(cmd, "worker", leases.WorkerId);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            // The locks' result comes first (its rows carry nothing); the update's rows follow.
            while (await reader.ReadAsync(ct)) { }
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                written.Add(reader.GetInt64(0));
                if (!reader.IsDBNull(2)) early.Add((reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3)));
            }
        }
        await ApplyEarlyAsync(db, early, now, ct);
        await tx.CommitAsync(ct);
        return written;
    }

    private static void Typed(System.Data.Common.DbCommand cmd, string name, NpgsqlDbType elementType, Array values) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | elementType) { Value = values });

    /// <summary>Status callbacks can beat our own bookkeeping; apply any that arrived first, furthest last.</summary>
    private static async Task ApplyEarlyAsync(RecoverlyDb db, IEnumerable<(string Sid, string Status, int? ErrorCode)> early, DateTime now, CancellationToken ct)
    {
        foreach (var (sid, status, errorCode) in early.OrderBy(e => e.Sid, StringComparer.Ordinal)
                     .ThenBy(e => DeliveryStatus.Map(e.Status) is { } st ? DeliveryStatus.Rank(st) : 0))
            await DeliveryStatus.ApplyAsync(db, sid, status, errorCode, now, ct);
    }

    private static void AddOutcome(System.Data.Common.DbCommand cmd, OutboxLeases leases, long id, AfterSend after)
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
    }

    /// <returns>False when the row was no longer this worker's (it was ended or taken meanwhile).</returns>
    public static async Task<bool> ApplyAsync(RecoverlyDb db, OutboxLeases leases, long id, AfterSend after, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var postgres = db.Provider == DatabaseProvider.Postgres;
        // The status callback handler takes the same lock: one of us sees the other's commit. On PostgreSQL the lock
        // travels with the update, in the same round trip.
        var locked = postgres && after.ProviderSid is not null;
        if (after.ProviderSid is { } lockedSid && !postgres) await KeyLock.LockAsync(db, lockedSid, ct);
        var early = new List<(string Status, int? ErrorCode)>();
        await using (var cmd = await OutboxLeases.CommandAsync(db, !postgres ? UpdateSql : locked ? PostgresLockedSql : PostgresSql, ct))
        {
            AddOutcome(cmd, leases, id, after);
            if (!postgres)
            {
                if (await cmd.ExecuteNonQueryAsync(ct) == 0) return false;
            }
            else
            {
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                if (locked) await reader.NextResultAsync(ct);
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
            if (!postgres)
                early = [.. (await db.MessageStatusEvents.AsNoTracking().Where(e => e.MessageSid == sid).Select(e => new { e.Status, e.ErrorCode }).ToListAsync(ct))
                    .Select(e => (e.Status, e.ErrorCode))];
            await ApplyEarlyAsync(db, early.Select(e => (sid, e.Status, e.ErrorCode)), now, ct);
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
