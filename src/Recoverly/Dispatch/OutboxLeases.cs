using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>An outbox row a dispatcher holds: what it needs to send it, and whether an earlier attempt may have reached the provider.</summary>
public sealed record ClaimedRow(long Id, long BusinessId, OutboundKind Kind, string To, string From, string Body, OutboundStatus Status,
    DateTime CreatedAt, DateTime? ExpiresAt, int Attempts, DateTime? EarlierAttempt)
{
    /// <summary>An earlier attempt may have reached the provider: look there before sending again (docs/decisions/0004-unknown-send-outcome.md).</summary>
    public bool NeedsReconcile => EarlierAttempt is not null || Status is OutboundStatus.InDoubt or OutboundStatus.Sending;

    /// <summary>When the batch fence marked this row as being sent here; null when it has not been fenced yet.</summary>
    public DateTime? FencedAt { get; init; }

    /// <summary>The batch fence refused this row (expired, consent withdrawn, or no longer ours): it must not be sent.</summary>
    public bool FenceRefused { get; init; }

    /// <summary>The pacing gate this row passed at its claim; null for unpaced rows. Confirmed again right before the send.</summary>
    public SendGate? Gate { get; init; }

    /// <summary>Its number had more texts due than this claim took: the dispatcher claims again when the number's gate reopens.</summary>
    public bool MoreDue { get; init; }
}

/// <summary>
/// The outbox rows one dispatcher holds, in plain SQL on both databases (docs/product/sending.md):
/// claim due rows with a per-row lease (row locks with SKIP LOCKED on PostgreSQL), renew the leases of
/// rows still in flight, fence a row right before its send, and give a row back or end it. Every write
/// is conditional on the lease still being this worker's.
/// </summary>
public sealed class OutboxLeases(string workerId)
{
    public string WorkerId { get; } = workerId;

    /// <summary>
    /// Due, unleased rows — and fenced rows whose dispatcher died (their lease ran out mid-send) — oldest first.
    /// A row waits while an older due row to the same phone from the same business is unsent, so a phone
    /// gets its texts in the order they were queued (a STOP confirmation before a HELP answer).
    /// </summary>
    private static readonly string Claimable = $"""
        {SendableSql.Due("o.\"Status\"")} AND o."NextAttemptAt" <= @now AND (o."LeaseUntil" IS NULL OR o."LeaseUntil" < @now)
        AND NOT EXISTS (SELECT 1 FROM "OutboundMessages" p WHERE p."BusinessId" = o."BusinessId" AND p."To" = o."To"
                        AND {SendableSql.Still("p.\"Status\"")} AND p."Id" < o."Id" AND p."NextAttemptAt" <= @now)
        """;

    private static string Returned(string prefix) => string.Join(", ",
        new[] { "Id", "BusinessId", "Kind", "To", "From", "Body", "Status", "CreatedAt", "ExpiresAt", "Attempts", "AttemptStartedAt" }
            .Select(c => $"{prefix}\"{c}\""));

    /// <summary>Mail and push go to other services, not through a sending number: each is its own lane, unpaced.</summary>
    private static readonly string Unpaced = string.Join(", ", Enum.GetValues<OutboundKind>().Where(k => !k.IsSms()).Select(k => $"'{k}'"));

    /// <summary>Text-backs first, then keyword answers, then owner alerts: the order a number's texts take their turns in.</summary>
    public static int Priority(OutboundKind kind) => kind switch
    {
        OutboundKind.TextBack => 0,
        OutboundKind.OptOutConfirmation or OutboundKind.HelpReply or OutboundKind.OptInConfirmation or OutboundKind.OwnerReply => 1,
        _ => 2,
    };

    private static readonly string Rank = "CASE o.\"Kind\" " + string.Join(" ", Enum.GetValues<OutboundKind>().Where(k => Priority(k) < 2)
        .Select(k => $"WHEN '{k}' THEN {Priority(k)}")) + " ELSE 2 END";

    /// <summary>How many of the oldest claimable rows one claim looks at, per row it may take (docs/product/sending.md, "A backlog").</summary>
    public const int ScanPerRow = 8;

    /// <summary>
    /// The first <c>@perSender</c> due rows of each sending number whose pacing gate is open now (docs/product/sending.md,
    /// step 2): a busy number's later texts stay where they are in the queue rather than being claimed and given back.
    /// Only the <c>@scan</c> oldest claimable rows are looked at, read in the due index's order (exactly its order, so the
    /// scan stops there: with a tie-breaker added, PostgreSQL sorted the whole backlog first), so a claim costs the same with
    /// a backlog of thousands as with a handful. A number whose rows were cut off may have more due (<c>more</c>).
    /// </summary>
    private static string Candidates(string skipSenders, string idAsText, bool withMore) => $"""
        SELECT c."Id"{(withMore ? ", c.due > @perSender OR c.scanned >= @scan AS more" : "")} FROM (
            SELECT o."Id", o."NextAttemptAt",
                row_number() OVER (PARTITION BY {Lane(idAsText)} ORDER BY {Rank}, o."Id") AS n,
                count(*) OVER (PARTITION BY {Lane(idAsText)}) AS due,
                count(*) OVER () AS scanned
            FROM (SELECT o."Id", o."Kind", o."From", o."NextAttemptAt" FROM "OutboundMessages" o
                  WHERE {Claimable}{skipSenders}
                    AND (o."Kind" IN ({Unpaced}) OR NOT EXISTS (SELECT 1 FROM "SenderSlots" s WHERE s."Sender" = o."From" AND s."NextSlotTicks" > @nowTicks))
                  ORDER BY o."NextAttemptAt" LIMIT @scan) AS o
        ) AS c
        WHERE c.n <= @perSender ORDER BY c."NextAttemptAt", c."Id" LIMIT @limit
        """;

    private static string Lane(string idAsText) => $"""CASE WHEN o."Kind" IN ({Unpaced}) THEN {idAsText} ELSE o."From" END""";

    /// <summary>
    /// SQLite's RETURNING cannot name the candidates, so a claim there reads them (and whether their numbers have more due)
    /// first and then leases them by id. The write gate, held across both, keeps out every other writer of the process, and
    /// SQLite has no other; the lease is checked again anyway.
    /// </summary>
    private static string SqliteCandidatesSql(string skipSenders) => Candidates(skipSenders, "CAST(o.\"Id\" AS TEXT)", withMore: true);

    private static string SqliteLeaseSql(string ids) => $"""
        UPDATE "OutboundMessages" SET "LeaseOwner" = @worker, "LeaseUntil" = @until
        WHERE {ids} AND {SendableSql.Still("\"Status\"")} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < @now)
        RETURNING {Returned("")}
        """;

    /// <summary>The lease is checked again on the locked row: a candidate another dispatcher claimed meanwhile is skipped.</summary>
    private static string PostgresClaimSql(string skipSenders) => $"""
        UPDATE "OutboundMessages" AS o SET "LeaseOwner" = @worker, "LeaseUntil" = @until
        FROM (SELECT o."Id", c.more FROM "OutboundMessages" o
              JOIN ({Candidates(skipSenders, "o.\"Id\"::text", withMore: true)}) AS c ON c."Id" = o."Id"
              WHERE {SendableSql.Still("o.\"Status\"")} AND (o."LeaseUntil" IS NULL OR o."LeaseUntil" < @now)
              FOR UPDATE OF o SKIP LOCKED) AS due
        WHERE o."Id" = due."Id"
        RETURNING {Returned("o.")}, due.more
        """;

    /// <summary>
    /// PostgreSQL's claim that also paces and fences what it claims (docs/product/sending.md, step 2): the rows are locked and
    /// leased as in <see cref="PostgresClaimSql"/>; in the same statement every paced number among them has its gate opened
    /// (<c>@span</c>, or the number's own from <c>@rateSenders</c>/<c>@rateSpans</c>; 0 = unpaced), and each text that needs
    /// no reconciling is fenced if its number is unpaced or its gate just opened. Each row says whether the fence was tried
    /// (<c>tried</c>), whether it held (<c>fenced</c>: also unexpired and allowed by consent) and, when its number's gate
    /// opened, the number's next slot (<c>slot</c>); the status and attempt returned are those the row had when claimed.
    /// A row is written once, where the claim and the fence apart wrote it twice.
    /// </summary>
    private static string PostgresClaimAndFenceSql(string skipSenders, bool ownRates)
    {
        var span = ownRates ? "COALESCE(r.span, @span)" : "@span";
        var rates = ownRates ? """LEFT JOIN unnest(@rateSenders, @rateSpans) AS r(sender, span) ON r.sender = d."From" """ : "";
        return $"""
            WITH due AS (
                SELECT o."Id", o."BusinessId", o."Kind", o."To", o."From", o."Status", o."AttemptStartedAt", o."ExpiresAt", c.more
                FROM "OutboundMessages" o JOIN ({Candidates(skipSenders, "o.\"Id\"::text", withMore: true)}) AS c ON c."Id" = o."Id"
                WHERE {SendableSql.Still("o.\"Status\"")} AND (o."LeaseUntil" IS NULL OR o."LeaseUntil" < @now)
                FOR UPDATE OF o SKIP LOCKED),
            paced AS (
                SELECT DISTINCT d."From", {span} AS span FROM due d {rates}
                WHERE d."Kind" NOT IN ({Unpaced}) AND {span} > 0),
            gate AS (
                INSERT INTO "SenderSlots" ("Sender", "NextSlotTicks")
                SELECT p."From", @nowTicks + {StatementSoFar} * @measured + p.span FROM paced p ORDER BY p."From"
                {SendPacer.OpenWhenDue}, "NextSlotTicks"),
            tried AS (
                SELECT d.*, (SELECT g."NextSlotTicks" FROM gate g WHERE g."Sender" = d."From") AS slot,
                    d."Kind" NOT IN ({Unpaced}) AND d."Status" = '{OutboundStatus.Pending}' AND d."AttemptStartedAt" IS NULL
                    AND (d."From" IN (SELECT g."Sender" FROM gate g) OR d."From" NOT IN (SELECT p."From" FROM paced p)) AS tried
                FROM due d),
            fence AS (
                SELECT t.*, t.tried AND (t."ExpiresAt" IS NULL OR t."ExpiresAt" > @now) AND {ConsentLedger.SqlCondition("t")} AS fenced
                FROM tried t)
            UPDATE "OutboundMessages" AS o SET "LeaseOwner" = @worker, "LeaseUntil" = @until,
                "Status" = CASE WHEN f.fenced THEN '{OutboundStatus.Sending}' ELSE o."Status" END,
                "AttemptStartedAt" = CASE WHEN f.fenced THEN @now ELSE o."AttemptStartedAt" END,
                "PacedUntil" = CASE WHEN f.fenced THEN NULL ELSE o."PacedUntil" END
            FROM fence f
            WHERE o."Id" = f."Id"
            RETURNING o."Id", o."BusinessId", o."Kind", o."To", o."From", o."Body", f."Status", o."CreatedAt", o."ExpiresAt", o."Attempts",
                f."AttemptStartedAt", f.more, f.tried, f.fenced, f.slot
            """;
    }

    /// <summary>
    /// How long the statement has run so far, in ticks, by the database's clock. A claim's search can take tens of milliseconds
    /// on a busy database; a gate it opens counts from the claim's moment plus that, so the turn starts when the gate really
    /// opened rather than eating the turn's margin (docs/product/sending.md, step 3). Only a duration is taken from the
    /// database's clock, never a time of day, so the two clocks need not agree. Counted only where the process runs on the real
    /// clock (<c>@measured</c> = 1): under a fake clock, which stands still while the database works, a statement takes no time.
    /// </summary>
    private const string StatementSoFar = "GREATEST(0, (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 10000000)::bigint)";

    private static readonly string[] PostgresClaimAndFence =
    [
        PostgresClaimAndFenceSql("", ownRates: false), PostgresClaimAndFenceSql("", ownRates: true),
        PostgresClaimAndFenceSql(""" AND NOT (o."From" = ANY(@busy))""", ownRates: false),
        PostgresClaimAndFenceSql(""" AND NOT (o."From" = ANY(@busy))""", ownRates: true),
    ];

    private static readonly string PostgresClaim = PostgresClaimSql("");
    private static readonly string PostgresClaimSkipping = PostgresClaimSql(""" AND NOT (o."From" = ANY(@busy))""");
    private static readonly string SqliteCandidates = SqliteCandidatesSql("");

    /// <summary>
    /// Claims up to <paramref name="limit"/> due rows for <paramref name="lease"/>, at most <paramref name="perSender"/> per
    /// sending number and none from a number whose pacing gate is shut, leaving rows from the <paramref name="busySenders"/>
    /// (numbers with enough sends in flight here) to later or to other dispatchers. One statement.
    /// </summary>
    public async Task<List<ClaimedRow>> ClaimAsync(RecoverlyDb db, int limit, int perSender, DateTime now, TimeSpan lease,
        IReadOnlyCollection<string> busySenders, CancellationToken ct)
    {
        var postgres = db.Provider == DatabaseProvider.Postgres;
        var sql = busySenders.Count == 0 ? (postgres ? PostgresClaim : SqliteCandidates)
            : postgres ? PostgresClaimSkipping
            : SqliteCandidatesSql($""" AND o."From" NOT IN ({string.Join(", ", Enumerable.Range(0, busySenders.Count).Select(i => $"@busy{i}"))})""");
        List<ClaimedRow> rows;
        using (await db.EnterWriteGateAsync(ct))
        {
            await using var cmd = await CommandAsync(db, sql, ct);
            if (busySenders.Count > 0 && postgres) Add(cmd, "busy", busySenders.ToArray());
            else
            {
                var i = 0;
                foreach (var sender in busySenders) Add(cmd, $"busy{i++}", sender);
            }
            Add(cmd, "worker", WorkerId);
            Add(cmd, "until", now + lease);
            Add(cmd, "now", now);
            Add(cmd, "nowTicks", now.Ticks);
            Add(cmd, "perSender", perSender);
            Add(cmd, "limit", limit);
            Add(cmd, "scan", limit * ScanPerRow);
            rows = postgres ? await ClaimOnPostgresAsync(cmd, ct) : await LeaseOnSqliteAsync(db, cmd, now, lease, ct);
        }
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    /// <summary>
    /// On PostgreSQL with numbers paced by default: claims up to <paramref name="limit"/> due rows as <see cref="ClaimAsync"/> does with one
    /// text per number, and in the same statement opens the gates of their paced numbers and fences the texts that may go now, all at
    /// <paramref name="now"/> — plus, on the <paramref name="realClock"/>, the time the statement took until the gates opened
    /// (docs/product/sending.md, steps 2, 3 and 5). A fenced row comes back with <see cref="ClaimedRow.FencedAt"/>,
    /// one the fence refused with <see cref="ClaimedRow.FenceRefused"/>, and a row whose number's gate opened with its turn
    /// (<see cref="ClaimedRow.Gate"/>).
    /// </summary>
    public async Task<List<ClaimedRow>> ClaimAndFenceAsync(RecoverlyDb db, int limit, DateTime now, TimeSpan lease,
        IReadOnlyCollection<string> busySenders, PacingRates rates, bool realClock, CancellationToken ct)
    {
        if (!PacesAndFencesAtClaim(db, rates))
            throw new InvalidOperationException("A claim paces and fences its rows only on PostgreSQL with numbers paced by default.");
        var ownRates = rates.OwnRates.Count > 0;
        var rows = new List<ClaimedRow>();
        await using (var cmd = await CommandAsync(db, PostgresClaimAndFence[(busySenders.Count > 0 ? 2 : 0) + (ownRates ? 1 : 0)], ct))
        {
            if (busySenders.Count > 0) Add(cmd, "busy", busySenders.ToArray());
            if (ownRates)
            {
                Add(cmd, "rateSenders", rates.OwnRates.Keys.ToArray());
                Add(cmd, "rateSpans", rates.OwnRates.Values.Select(PacingRates.SpanTicks).ToArray());
            }
            Add(cmd, "span", PacingRates.SpanTicks(rates.DefaultRate));
            Add(cmd, "measured", realClock ? 1L : 0L);
            Add(cmd, "worker", WorkerId);
            Add(cmd, "until", now + lease);
            Add(cmd, "now", now);
            Add(cmd, "nowTicks", now.Ticks);
            Add(cmd, "perSender", 1);
            Add(cmd, "limit", limit);
            Add(cmd, "scan", limit * ScanPerRow);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = Read(reader) with { MoreDue = reader.GetBoolean(11) };
                if (reader.GetBoolean(12)) row = reader.GetBoolean(13) ? row with { FencedAt = now } : row with { FenceRefused = true };
                // The turn began when the gate opened, which is no earlier than the claim's moment.
                if (!reader.IsDBNull(14) && rates.Interval(row.From) is { } interval)
                    row = row with { Gate = new SendGate(reader.GetInt64(14), interval) { NotBeforeTicks = now.Ticks } };
                rows.Add(row);
            }
        }
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    /// <summary>Whether a dispatcher's claim also paces and fences its rows: on PostgreSQL, with numbers paced by default.</summary>
    public static bool PacesAndFencesAtClaim(RecoverlyDb db, PacingRates rates) => db.Provider == DatabaseProvider.Postgres && rates.PacesByDefault;

    /// <summary>
    /// The claim a dispatcher runs (docs/product/sending.md, step 2): the one that also paces and fences where
    /// <see cref="PacesAndFencesAtClaim"/> says so, otherwise the lease alone — one text per number when numbers are paced by
    /// default, up to <paramref name="perSenderUnpaced"/> when they are not.
    /// </summary>
    public async Task<List<ClaimedRow>> ClaimForDispatchAsync(RecoverlyDb db, int limit, int perSenderUnpaced, DateTime now, TimeSpan lease,
        IReadOnlyCollection<string> busySenders, PacingRates rates, bool realClock, CancellationToken ct) =>
        PacesAndFencesAtClaim(db, rates)
            ? await ClaimAndFenceAsync(db, limit, now, lease, busySenders, rates, realClock, ct)
            : await ClaimAsync(db, limit, rates.PacesByDefault ? 1 : perSenderUnpaced, now, lease, busySenders, ct);

    private static ClaimedRow Read(DbDataReader reader) => new(reader.GetInt64(0), reader.GetInt64(1), Enum.Parse<OutboundKind>(reader.GetString(2)),
        reader.GetString(3), reader.GetString(4), reader.GetString(5), Enum.Parse<OutboundStatus>(reader.GetString(6)), Utc(reader, 7)!.Value,
        Utc(reader, 8), reader.GetInt32(9), Utc(reader, 10));

    /// <summary>PostgreSQL's claim leases its candidates in the same statement and says, for each, whether its number has more due.</summary>
    private static async Task<List<ClaimedRow>> ClaimOnPostgresAsync(DbCommand claim, CancellationToken ct)
    {
        var rows = new List<ClaimedRow>();
        await using var reader = await claim.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader) with { MoreDue = reader.GetBoolean(11) });
        return rows;
    }

    private async Task<List<ClaimedRow>> LeaseOnSqliteAsync(RecoverlyDb db, DbCommand candidates, DateTime now, TimeSpan lease, CancellationToken ct)
    {
        var more = new Dictionary<long, bool>();
        await using (var reader = await candidates.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) more[reader.GetInt64(0)] = reader.GetBoolean(1);
        }
        var rows = new List<ClaimedRow>(more.Count);
        if (more.Count == 0) return rows;
        await using var cmd = await CommandAsync(db, SqliteLeaseSql(IdIn(db, more.Keys)), ct);
        AddIds(db, cmd, more.Keys);
        Add(cmd, "worker", WorkerId);
        Add(cmd, "until", now + lease);
        Add(cmd, "now", now);
        await using var leased = await cmd.ExecuteReaderAsync(ct);
        while (await leased.ReadAsync(ct))
        {
            var row = Read(leased);
            rows.Add(row with { MoreDue = more[row.Id] });
        }
        return rows;
    }

    /// <summary>
    /// Keeps the leases of rows still being worked on from running out. One statement for all of them. On PostgreSQL it
    /// passes over a row another statement is writing at that moment (docs/product/sending.md, "Leases are renewed"): that
    /// is this dispatcher's own fence or outcome, which sets the lease or ends it, and waiting for it could deadlock with a
    /// group of outcomes that locks its rows in another order. The next renewal, a third of a lease later, takes such a row.
    /// </summary>
    public async Task<int> RenewAsync(RecoverlyDb db, IReadOnlyCollection<long> ids, DateTime until, CancellationToken ct)
    {
        if (ids.Count == 0) return 0;
        using var _ = await db.EnterWriteGateAsync(ct);
        var mine = $"""
            "LeaseOwner" = @worker AND {IdIn(db, ids)}
            """;
        await using var cmd = await CommandAsync(db, db.Provider == DatabaseProvider.Postgres
            ? $"""
              UPDATE "OutboundMessages" AS o SET "LeaseUntil" = @until
              FROM (SELECT "Id" FROM "OutboundMessages" WHERE {mine} FOR UPDATE SKIP LOCKED) AS mine
              WHERE o."Id" = mine."Id"
              """
            : $"""UPDATE "OutboundMessages" SET "LeaseUntil" = @until WHERE {mine}""", ct);
        Add(cmd, "until", until);
        Add(cmd, "worker", WorkerId);
        AddIds(db, cmd, ids);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The fence's update: rows matching <paramref name="ids"/> (a condition on <c>o."Id"</c>) that are ours, still sendable, unexpired and allowed by consent.</summary>
    private static string FenceSql(string ids) => $"""
        UPDATE "OutboundMessages" AS o SET "Status" = '{OutboundStatus.Sending}', "LeaseUntil" = @until,
            "AttemptStartedAt" = COALESCE(o."AttemptStartedAt", @now), "PacedUntil" = NULL
        WHERE {ids} AND o."LeaseOwner" = @worker AND {SendableSql.Still("o.\"Status\"")}
          AND (o."ExpiresAt" IS NULL OR o."ExpiresAt" > @now)
          AND {ConsentLedger.SqlCondition("o")}
        RETURNING "Id"
        """;

    /// <summary>
    /// The fence: one statement marks rows as being sent by this worker — each only if its lease is still
    /// ours, it is still sendable and unexpired, and the consent ledger still allows it. A row may be sent
    /// only when its id is in the returned set. A reserved send slot is good for this one attempt: a row taken over
    /// after its dispatcher died waits for a new slot rather than going out next to the number's later texts.
    /// </summary>
    public async Task<HashSet<long>> FenceAsync(RecoverlyDb db, IReadOnlyCollection<long> ids, DateTime now, TimeSpan lease, CancellationToken ct)
    {
        var fenced = new HashSet<long>();
        if (ids.Count == 0) return fenced;
        using var _ = await db.EnterWriteGateAsync(ct);
        await using var cmd = await CommandAsync(db, FenceSql("o." + IdIn(db, ids)), ct);
        AddFence(cmd, now, lease);
        AddIds(db, cmd, ids);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) fenced.Add(reader.GetInt64(0));
        return fenced;
    }

    private void AddFence(DbCommand cmd, DateTime now, TimeSpan lease)
    {
        Add(cmd, "until", now + lease);
        Add(cmd, "now", now);
        Add(cmd, "worker", WorkerId);
    }

    /// <summary>
    /// On PostgreSQL the pacing gate and the batch fence in one statement: the gate opens what it can, and the fence takes the
    /// unpaced rows (<c>@free</c>) and each paced row (<c>@paced</c>) whose number's gate just opened. The gate's numbers come
    /// back with a null id, the fenced rows with a null number.
    /// </summary>
    private static readonly string PostgresPaceAndFence = $"""
        WITH gate AS ({SendPacer.PostgresGateSql}),
        fenced AS ({FenceSql("""o."Id" = ANY(@free || @paced) AND (o."Id" = ANY(@free) OR o."From" IN (SELECT "Sender" FROM gate))""")})
        SELECT "Sender", NULL::bigint FROM gate UNION ALL SELECT NULL, "Id" FROM fenced
        """;

    /// <summary>
    /// The same for one paced row, the usual case when texts come one at a time: plain parameters instead of arrays, so
    /// PostgreSQL plans the statement once rather than on every run (docs/benchmarks.md, "Grouped finishes").
    /// </summary>
    private static readonly string PostgresPaceAndFenceOne = $"""
        WITH gate AS ({SendPacer.GateSql(1)}),
        fenced AS ({FenceSql("""o."Id" = @paced AND o."From" IN (SELECT "Sender" FROM gate)""")})
        SELECT "Sender", NULL::bigint FROM gate UNION ALL SELECT NULL, "Id" FROM fenced
        """;

    /// <summary>
    /// Paces and fences a claimed batch (docs/product/sending.md, steps 3 and 5): opens the gate of every <paramref name="wanted"/>
    /// number and fences the <paramref name="free"/> rows (unpaced) and each <paramref name="paced"/> row whose number's gate
    /// opened, all at <paramref name="now"/>. One round trip on PostgreSQL (two when some gate stayed shut); on SQLite, where
    /// statements cost no round trip, the gate and the fence are their own statements.
    /// </summary>
    public async Task<(GateAnswers Gates, HashSet<long> Fenced)> PaceAndFenceAsync(RecoverlyDb db,
        IReadOnlyList<(string Sender, TimeSpan Interval)> wanted, IReadOnlyList<long> free, IReadOnlyList<(long Id, string Sender)> paced,
        DateTime now, TimeSpan lease, CancellationToken ct)
    {
        if (db.Provider != DatabaseProvider.Postgres || wanted.Count == 0)
        {
            var answers = await SendPacer.TakeAsync(db, wanted, now, ct);
            List<long> ids = [.. free, .. paced.Where(p => answers.Open.Contains(p.Sender)).Select(p => p.Id)];
            return (answers, await FenceAsync(db, ids, now, lease, ct));
        }
        var open = new HashSet<string>(StringComparer.Ordinal);
        var fenced = new HashSet<long>();
        var one = wanted.Count == 1 && paced.Count == 1 && free.Count == 0;
        await using (var cmd = await CommandAsync(db, one ? PostgresPaceAndFenceOne : PostgresPaceAndFence, ct))
        {
            SendPacer.AddGate(cmd, wanted, now, arrays: !one);
            AddFence(cmd, now, lease);
            if (one) Add(cmd, "paced", paced[0].Id);
            else
            {
                Add(cmd, "free", free.ToArray());
                Add(cmd, "paced", paced.Select(p => p.Id).ToArray());
            }
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(1)) open.Add(reader.GetString(0));
                else fenced.Add(reader.GetInt64(1));
            }
        }
        return (new(open, await SendPacer.ShutUntilAsync(db, wanted, open, now, ct)), fenced);
    }

    /// <summary>
    /// Gives a row back for a later attempt — at <paramref name="nextAttempt"/>, or in its place in the queue when null
    /// (its earlier-attempt stamp stays, so a resend still reconciles first).
    /// </summary>
    public async Task ReleaseAsync(RecoverlyDb db, long id, DateTime? nextAttempt, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await using var cmd = await CommandAsync(db, $"""
            UPDATE "OutboundMessages" SET "NextAttemptAt" = COALESCE(@next, "NextAttemptAt"), "PacedUntil" = NULL, "LeaseOwner" = NULL, "LeaseUntil" = NULL
            WHERE "Id" = @id AND "LeaseOwner" = @worker AND {SendableSql.Still("\"Status\"")}
            """, ct);
        Add(cmd, "next", (object?)nextAttempt ?? DBNull.Value);
        Add(cmd, "id", id);
        Add(cmd, "worker", WorkerId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// <see cref="ReleaseAsync"/> for many rows at once, each at its own time (null: in its place in the queue): one statement on PostgreSQL (a busy number's
    /// claimed rows go back together), one per row on SQLite, where statements cost no round trip.
    /// </summary>
    public async Task ReleaseManyAsync(RecoverlyDb db, IReadOnlyList<(long Id, DateTime? Next)> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        if (db.Provider != DatabaseProvider.Postgres)
        {
            foreach (var (id, next) in rows) await ReleaseAsync(db, id, next, ct);
            return;
        }
        await using var cmd = await CommandAsync(db, $"""
            UPDATE "OutboundMessages" AS o SET "NextAttemptAt" = COALESCE(r.next, o."NextAttemptAt"), "PacedUntil" = NULL, "LeaseOwner" = NULL, "LeaseUntil" = NULL
            FROM unnest(@ids, @nexts) AS r(id, next)
            WHERE o."Id" = r.id AND o."LeaseOwner" = @worker AND {SendableSql.Still("o.\"Status\"")}
            """, ct);
        Add(cmd, "ids", rows.Select(r => r.Id).ToArray());
        Add(cmd, "nexts", rows.Select(r => r.Next).ToArray());
        Add(cmd, "worker", WorkerId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Takes back the batch fence of a row that was never sent (it lost its pacing turn before the request) and
    /// returns it to the queue at <paramref name="nextAttempt"/>: no attempt was made, so it needs no reconciling.
    /// </summary>
    public async Task UnfenceAsync(RecoverlyDb db, long id, DateTime nextAttempt, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await using var cmd = await CommandAsync(db, $"""
            UPDATE "OutboundMessages" SET "Status" = '{OutboundStatus.Pending}', "AttemptStartedAt" = NULL, "NextAttemptAt" = @next,
                "LeaseOwner" = NULL, "LeaseUntil" = NULL
            WHERE "Id" = @id AND "LeaseOwner" = @worker AND "Status" = '{OutboundStatus.Sending}'
            """, ct);
        Add(cmd, "next", nextAttempt);
        Add(cmd, "id", id);
        Add(cmd, "worker", WorkerId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Ends a row that will not be sent (expired, consent refused, e-mail off), unless someone else already ended it.</summary>
    public async Task<bool> EndAsync(RecoverlyDb db, long id, OutboundStatus status, OutboxReason reason, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await using var cmd = await CommandAsync(db, $"""
            UPDATE "OutboundMessages" SET "Status" = @status, "Reason" = @reason, "LeaseOwner" = NULL, "LeaseUntil" = NULL, "AttemptStartedAt" = NULL
            WHERE "Id" = @id AND "LeaseOwner" = @worker AND {SendableSql.Still("\"Status\"")}
            """, ct);
        Add(cmd, "status", status.ToString());
        Add(cmd, "reason", reason.ToString());
        Add(cmd, "id", id);
        Add(cmd, "worker", WorkerId);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    internal static async Task<DbCommand> CommandAsync(RecoverlyDb db, string sql, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await db.Database.OpenConnectionAsync(ct);
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return cmd;
    }

    internal static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    /// <summary>
    /// PostgreSQL takes several ids as one array parameter (one prepared statement whatever the count), and a single id as
    /// itself: a statement over an array is planned afresh on every run, one over a single id once (docs/benchmarks.md,
    /// "Grouped finishes"). SQLite takes them as a list.
    /// </summary>
    internal static string IdIn(RecoverlyDb db, IReadOnlyCollection<long> ids) =>
        db.Provider == DatabaseProvider.Postgres && ids.Count > 1
            ? "\"Id\" = ANY(@ids)"
            : $"\"Id\" IN ({string.Join(", ", Enumerable.Range(0, ids.Count).Select(i => $"@id{i}"))})";

    internal static void AddIds(RecoverlyDb db, DbCommand cmd, IReadOnlyCollection<long> ids)
    {
        if (db.Provider == DatabaseProvider.Postgres && ids.Count > 1)
        {
            Add(cmd, "ids", ids.ToArray());
            return;
        }
        var i = 0;
        foreach (var id in ids) Add(cmd, $"id{i++}", id);
    }

    private static DateTime? Utc(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);
}
