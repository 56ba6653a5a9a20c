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

    /// <summary>Takes <paramref name="count"/> consecutive slots of <paramref name="sender"/>; returns the first (now or later).</summary>
    public static async Task<DateTime> ReserveAsync(RecoverlyDb db, string sender, int count, TimeSpan interval, DateTime now, CancellationToken ct)
    {
        var greatest = db.Provider == DatabaseProvider.Postgres ? "GREATEST" : "MAX";
        using var _ = await db.EnterWriteGateAsync(ct);
        await using var cmd = await OutboxLeases.CommandAsync(db, $"""
            INSERT INTO "SenderSlots" ("Sender", "NextSlotTicks") VALUES (@sender, @now + @span)
            ON CONFLICT ("Sender") DO UPDATE SET "NextSlotTicks" = {greatest}("SenderSlots"."NextSlotTicks", @now) + @span
            RETURNING "NextSlotTicks" - @span
            """, ct);
        OutboxLeases.Add(cmd, "sender", sender);
        OutboxLeases.Add(cmd, "now", now.Ticks);
        OutboxLeases.Add(cmd, "span", interval.Ticks * count);
        var first = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        return new DateTime(first, DateTimeKind.Utc);
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
