using System.Collections.Frozen;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Dispatch;

/// <summary>
/// Per-number send pacing shared by every dispatcher on the database (docs/product/sending.md): each
/// sending number has one row holding the earliest time it may send again, and one atomic statement
/// lets a send through only when that time has come, so N dispatchers together never send faster than
/// the number's rate. A burst waits in the outbox for its turn instead of drawing 429s or carrier filtering.
/// </summary>
public sealed class SendPacer(IOptions<TelephonyOptions> options, DispatchScopes scopes, TimeProvider time)
{
    private static readonly TimeSpan OverridesRefresh = TimeSpan.FromSeconds(60);
    private FrozenDictionary<string, double> _overrides = FrozenDictionary<string, double>.Empty;
    private DateTime _overridesLoadedAt = DateTime.MinValue;
    private readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>Time between two texts from this number; null = unpaced (rate 0).</summary>
    public async ValueTask<TimeSpan?> IntervalAsync(string sender, CancellationToken ct) => (await RatesAsync(ct)).Interval(sender);

    /// <summary>Every number's rate as known now: one dispatcher pass reads them once, so its claim and its sorting agree.</summary>
    public async ValueTask<PacingRates> RatesAsync(CancellationToken ct) => new(options.Value.SendRatePerSecond, await OverridesAsync(ct));

    /// <summary>The most a turn holds beyond the number's interval (<see cref="Margin"/>).</summary>
    public static readonly TimeSpan MaxMargin = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// What an opened gate holds beyond the number's interval: a tenth of it, at most <see cref="MaxMargin"/>. A request that
    /// leaves within that much of its gate's opening needs no statement of its own to confirm its turn, which under load is most
    /// of them (docs/product/sending.md, step 3); the price is that a number with a queue sends up to a tenth slower than its rate.
    /// </summary>
    public static TimeSpan Margin(TimeSpan interval) => TimeSpan.FromTicks(Math.Min(interval.Ticks / 10, MaxMargin.Ticks));

    /// <summary>How far an opened gate moves the number's next slot: its interval and the <see cref="Margin"/>.</summary>
    public static TimeSpan Span(TimeSpan interval) => interval + Margin(interval);

    /// <summary>
    /// Opens each number's gate for one send now, in one statement for all of them: a number whose previous
    /// send was less than its interval ago stays shut. Returns the numbers that may send now, and for each shut
    /// one when it opens again (one more statement, only when some stayed shut), so its texts ask again right
    /// then rather than an interval from now — which would miss every other turn. No time is held for later:
    /// a text that must wait simply asks again, so no reservation can go stale when a dispatcher is late or
    /// dies, and two sends from one number are always an interval apart.
    /// </summary>
    public static async Task<GateAnswers> TakeAsync(RecoverlyDb db, IReadOnlyList<(string Sender, TimeSpan Interval)> wanted, DateTime now,
        CancellationToken ct)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        if (wanted.Count == 0) return new(open, []);
        var postgres = db.Provider == DatabaseProvider.Postgres;
        using var _ = await db.EnterWriteGateAsync(ct);
        var arrays = postgres && wanted.Count > 1;
        await using var cmd = await OutboxLeases.CommandAsync(db, arrays ? PostgresGateSql : GateSql(wanted.Count), ct);
        AddGate(cmd, wanted, now, arrays);
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) open.Add(reader.GetString(0));
        return new(open, await ShutUntilAsync(db, wanted, open, now, ct));
    }

    internal const string OpenWhenDue = """
        ON CONFLICT ("Sender") DO UPDATE SET "NextSlotTicks" = excluded."NextSlotTicks" WHERE "SenderSlots"."NextSlotTicks" <= @nowTicks
        RETURNING "Sender"
        """;

    /// <summary>
    /// The gate on PostgreSQL: every wanted number (<c>@senders</c>, <c>@spans</c>) in one statement, returning those that
    /// opened. Written to stand alone or as a common table expression another statement builds on (the batch fence,
    /// <see cref="OutboxLeases.PaceAndFenceAsync"/>); its parameters are added by <see cref="AddGate"/>.
    /// </summary>
    internal const string PostgresGateSql = $"""
        INSERT INTO "SenderSlots" ("Sender", "NextSlotTicks") SELECT s, @nowTicks + d FROM unnest(@senders, @spans) AS t(s, d)
        {OpenWhenDue}
        """;

    /// <summary>
    /// The gate for <paramref name="numbers"/> numbers as one pair of parameters each (<c>@s0</c>, <c>@d0</c>, …): SQLite's form,
    /// and PostgreSQL's for one number, which it plans once where arrays are planned on every run.
    /// </summary>
    internal static string GateSql(int numbers) => $"""
        INSERT INTO "SenderSlots" ("Sender", "NextSlotTicks") VALUES {string.Join(", ", Enumerable.Range(0, numbers).Select(i => $"(@s{i}, @nowTicks + @d{i})"))}
        {OpenWhenDue}
        """;

    /// <summary>The gate's parameters: arrays for <see cref="PostgresGateSql"/>, one pair per number otherwise.</summary>
    internal static void AddGate(DbCommand cmd, IReadOnlyList<(string Sender, TimeSpan Interval)> wanted, DateTime now, bool arrays)
    {
        OutboxLeases.Add(cmd, "nowTicks", now.Ticks);
        if (arrays)
        {
            OutboxLeases.Add(cmd, "senders", wanted.Select(w => w.Sender).ToArray());
            OutboxLeases.Add(cmd, "spans", wanted.Select(w => Span(w.Interval).Ticks).ToArray());
            return;
        }
        for (var i = 0; i < wanted.Count; i++)
        {
            OutboxLeases.Add(cmd, $"s{i}", wanted[i].Sender);
            OutboxLeases.Add(cmd, $"d{i}", Span(wanted[i].Interval).Ticks);
        }
    }

    /// <summary>When each wanted number that stayed shut opens again: one more statement, only when some stayed shut.</summary>
    internal static async Task<Dictionary<string, DateTime>> ShutUntilAsync(RecoverlyDb db, IReadOnlyList<(string Sender, TimeSpan Interval)> wanted,
        HashSet<string> open, DateTime now, CancellationToken ct)
    {
        var shut = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var stillShut = wanted.Select(w => w.Sender).Where(s => !open.Contains(s)).Distinct().ToList();
        if (stillShut.Count == 0) return shut;
        var postgres = db.Provider == DatabaseProvider.Postgres;
        await using var read = await OutboxLeases.CommandAsync(db, postgres
            ? """SELECT "Sender", "NextSlotTicks" FROM "SenderSlots" WHERE "Sender" = ANY(@shut)"""
            : $"""SELECT "Sender", "NextSlotTicks" FROM "SenderSlots" WHERE "Sender" IN ({string.Join(", ", stillShut.Select((_, i) => $"@shut{i}"))})""",
            ct);
        if (postgres) OutboxLeases.Add(read, "shut", stillShut.ToArray());
        else
            for (var i = 0; i < stillShut.Count; i++) OutboxLeases.Add(read, $"shut{i}", stillShut[i]);
        await using (var slots = await read.ExecuteReaderAsync(ct))
            while (await slots.ReadAsync(ct)) shut[slots.GetString(0)] = new DateTime(Math.Max(slots.GetInt64(1), now.Ticks), DateTimeKind.Utc);
        return shut;
    }

    /// <summary>Moves a number's next slot from the turn a dispatcher holds (@taken) to @next; no row changes when somebody else took it.</summary>
    private const string MoveSlotSql = """
        UPDATE "SenderSlots" SET "NextSlotTicks" = @next WHERE "Sender" = @sender AND "NextSlotTicks" = @taken
        """;

    /// <summary>How late past what its turn covers a request may leave and still count as covered (docs/product/sending.md, step 3).</summary>
    public static readonly TimeSpan ConfirmSlack = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The send-time half of the gate, for a request about to leave later than its turn covers: moves the number's next slot to
    /// an interval and a <see cref="Margin"/> after this moment, but only if nobody has opened the gate since this dispatcher did
    /// (the slot still holds what this dispatcher wrote). Returns the turn confirmed, or null when another text from the number
    /// got through after this one's turn lapsed, so this one must not go now. The interval therefore separates provider requests,
    /// not only claims, however long a dispatcher took from claim to send.
    /// The moment is read once the connection is open and (on SQLite) the writer is ours, so no wait for either falls between the
    /// stamp and the request; if the statement itself finished later than the new turn covers, the stamp is moved to when it
    /// finished (up to three times), so the next text's turn counts from when this request really leaves.
    /// </summary>
    public static async Task<SendGate?> ConfirmTurnAsync(RecoverlyDb db, string sender, SendGate gate, TimeProvider time, CancellationToken ct)
    {
        var taken = gate.SlotTicks;
        for (var attempt = 1; ; attempt++)
        {
            await using var cmd = await OutboxLeases.CommandAsync(db, MoveSlotSql, ct);
            SendGate confirmed;
            DateTime done;
            using (await db.EnterWriteGateAsync(ct))
            {
                confirmed = new SendGate((time.GetUtcNow().UtcDateTime + Span(gate.Interval)).Ticks, gate.Interval);
                OutboxLeases.Add(cmd, "next", confirmed.SlotTicks);
                OutboxLeases.Add(cmd, "sender", sender);
                OutboxLeases.Add(cmd, "taken", taken);
                if (await cmd.ExecuteNonQueryAsync(ct) != 1) return null;
                done = time.GetUtcNow().UtcDateTime;
            }
            if (confirmed.Covers(done) || attempt == 3) return confirmed;
            taken = confirmed.SlotTicks;
        }
    }

    /// <summary>
    /// A paced request that left later than its turn covers (a busy process: a collection, a thread-pool queue between the turn
    /// and the request) moves the number's next turn to one interval after it really left — if nobody has taken that turn
    /// meanwhile, which nobody can have unless the request left a whole interval late (docs/product/sending.md, step 3). Runs while
    /// the request is on its way, so it delays no text. False when the turn was not moved.
    /// </summary>
    public static async Task<bool> MoveTurnAsync(RecoverlyDb db, string sender, SendGate turn, DateTime left, CancellationToken ct)
    {
        await using var cmd = await OutboxLeases.CommandAsync(db, MoveSlotSql, ct);
        OutboxLeases.Add(cmd, "next", (left + turn.Interval).Ticks);
        OutboxLeases.Add(cmd, "sender", sender);
        OutboxLeases.Add(cmd, "taken", turn.SlotTicks);
        using (await db.EnterWriteGateAsync(ct))
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private async ValueTask<FrozenDictionary<string, double>> OverridesAsync(CancellationToken ct)
    {
        if (time.GetUtcNow().UtcDateTime - _overridesLoadedAt < OverridesRefresh) return _overrides;
        await _loading.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            if (now - _overridesLoadedAt < OverridesRefresh) return _overrides;
            await using var scope = scopes.Create();
            var rows = await scope.Db.Numbers.AsNoTracking().Where(n => n.SendRatePerSecond != null)
                .Select(n => new { n.E164, Rate = n.SendRatePerSecond!.Value }).ToListAsync(ct);
            _overrides = rows.ToFrozenDictionary(r => r.E164, r => r.Rate);
            _overridesLoadedAt = now;
            return _overrides;
        }
        finally
        {
            _loading.Release();
        }
    }
}

/// <summary>The default rate (<c>Telephony:SendRatePerSecond</c>) and the numbers with a rate of their own, in texts a second.</summary>
public sealed record PacingRates(double DefaultRate, FrozenDictionary<string, double> OwnRates)
{
    /// <summary>Whether a number without its own rate is paced.</summary>
    public bool PacesByDefault => DefaultRate > 0;

    /// <summary>Time between two texts from this number; null = unpaced (rate 0).</summary>
    public TimeSpan? Interval(string sender) => IntervalAt(OwnRates.TryGetValue(sender, out var own) ? own : DefaultRate);

    /// <summary>How far an opened gate moves a number's next slot (<see cref="SendPacer.Span"/>), in ticks; 0 for an unpaced number.</summary>
    public static long SpanTicks(double rate) => IntervalAt(rate) is { } interval ? SendPacer.Span(interval).Ticks : 0;

    private static TimeSpan? IntervalAt(double rate) => rate <= 0 ? null : TimeSpan.FromSeconds(1 / rate);
}

/// <summary>What the gate said: the numbers that may send one text now, and when each shut one opens again.</summary>
public sealed record GateAnswers(HashSet<string> Open, Dictionary<string, DateTime> ShutUntil);

/// <summary>
/// The turn a claimed text holds: the next-slot value its gate's opening (or its confirmation) wrote, and the number's interval.
/// The slot lies an interval and a <see cref="SendPacer.Margin"/> after the moment the turn was taken, so a request leaving within
/// that margin still leaves a whole interval before the number's next turn.
/// </summary>
public readonly record struct SendGate(long SlotTicks, TimeSpan Interval)
{
    /// <summary>When the number's gate opens again.</summary>
    public DateTime OpensAt => new(SlotTicks, DateTimeKind.Utc);

    /// <summary>The latest moment a request may leave and still be a whole interval before <see cref="OpensAt"/>.</summary>
    public DateTime CoversUntil => OpensAt - Interval;

    /// <summary>The moment the turn was taken: the gate's opening, or its confirmation.</summary>
    public DateTime TakenAt => CoversUntil - SendPacer.Margin(Interval);

    /// <summary>
    /// Whether a request leaving at <paramref name="now"/> is covered by this turn with no statement of its own: at most
    /// <see cref="SendPacer.ConfirmSlack"/> past <see cref="CoversUntil"/>, so the number's next turn is an interval after it less
    /// at most that slack. A turn on an interval shorter than twice the slack is never covered.
    /// </summary>
    public bool Covers(DateTime now) => now - CoversUntil <= SendPacer.ConfirmSlack && SendPacer.ConfirmSlack * 2 < Interval;

    /// <summary>
    /// The earliest moment a request may leave on this turn, when that is before <see cref="TakenAt"/>: a gate opened by a claim
    /// counts from the claim's moment plus the time the claim's statement took by the database's clock, and the process's own
    /// clock may not have moved as far (a test's fake clock does not move at all). Null: <see cref="TakenAt"/>.
    /// </summary>
    public long? NotBeforeTicks { get; init; }

    /// <summary>Whether a request leaving at <paramref name="now"/> may go on this turn as taken, without confirming it again.</summary>
    public bool FreshAt(DateTime now) => now.Ticks >= (NotBeforeTicks ?? TakenAt.Ticks) && Covers(now);
}
