using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Dispatch;

/// <summary>
/// Per-number send pacing shared by every dispatcher on the database (docs/product/sending.md): each
/// sending number has one row holding its next free slot, and one atomic statement takes the next
/// slots, so N dispatchers together never send faster than the number's rate. A burst waits in the
/// outbox for its slots instead of drawing 429s or carrier filtering.
/// </summary>
public sealed class SendPacer(IOptions<TelephonyOptions> options, IServiceScopeFactory scopes, TimeProvider time)
{
    private static readonly TimeSpan OverridesRefresh = TimeSpan.FromSeconds(60);
    private FrozenDictionary<string, double> _overrides = FrozenDictionary<string, double>.Empty;
    private DateTime _overridesLoadedAt = DateTime.MinValue;
    private readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>Time between two texts from this number; null = unpaced (rate 0).</summary>
    public async ValueTask<TimeSpan?> IntervalAsync(string sender, CancellationToken ct)
    {
        var overrides = await OverridesAsync(ct);
        var rate = overrides.TryGetValue(sender, out var own) ? own : options.Value.SendRatePerSecond;
        return rate <= 0 ? null : TimeSpan.FromSeconds(1 / rate);
    }

    /// <summary>
    /// Takes consecutive slots for several numbers in one statement: for each sender, <c>Span</c> worth of
    /// slots (count x interval). Returns each sender's first slot (now or later).
    /// </summary>
    public static async Task<Dictionary<string, DateTime>> ReserveAsync(RecoverlyDb db, IReadOnlyList<(string Sender, TimeSpan Span)> wanted, DateTime now,
        CancellationToken ct)
    {
        var first = new Dictionary<string, DateTime>(wanted.Count, StringComparer.Ordinal);
        if (wanted.Count == 0) return first;
        var postgres = db.Provider == DatabaseProvider.Postgres;
        // Each row's span rides in as "now + span" so the conflict branch can read it back from EXCLUDED.
        var rows = postgres
            ? """SELECT s, @now + d FROM unnest(@senders, @spans) AS t(s, d)"""
            : "VALUES " + string.Join(", ", wanted.Select((_, i) => $"(@s{i}, @now + @d{i})"));
        var greatest = postgres ? "GREATEST" : "MAX";
        using var _ = await db.EnterWriteGateAsync(ct);
        await using var cmd = await OutboxLeases.CommandAsync(db, $"""
            INSERT INTO "SenderSlots" ("Sender", "NextSlotTicks") {rows}
            ON CONFLICT ("Sender") DO UPDATE SET "NextSlotTicks" = {greatest}("SenderSlots"."NextSlotTicks", @now) + (excluded."NextSlotTicks" - @now)
            RETURNING "Sender", "NextSlotTicks"
            """, ct);
        OutboxLeases.Add(cmd, "now", now.Ticks);
        if (postgres)
        {
            OutboxLeases.Add(cmd, "senders", wanted.Select(w => w.Sender).ToArray());
            OutboxLeases.Add(cmd, "spans", wanted.Select(w => w.Span.Ticks).ToArray());
        }
        else
        {
            for (var i = 0; i < wanted.Count; i++)
            {
                OutboxLeases.Add(cmd, $"s{i}", wanted[i].Sender);
                OutboxLeases.Add(cmd, $"d{i}", wanted[i].Span.Ticks);
            }
        }
        var spans = wanted.ToDictionary(w => w.Sender, w => w.Span.Ticks, StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var sender = reader.GetString(0);
            first[sender] = new DateTime(reader.GetInt64(1) - spans[sender], DateTimeKind.Utc);
        }
        return first;
    }

    private async ValueTask<FrozenDictionary<string, double>> OverridesAsync(CancellationToken ct)
    {
        if (time.GetUtcNow().UtcDateTime - _overridesLoadedAt < OverridesRefresh) return _overrides;
        await _loading.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            if (now - _overridesLoadedAt < OverridesRefresh) return _overrides;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var rows = await db.Numbers.AsNoTracking().Where(n => n.SendRatePerSecond != null)
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
