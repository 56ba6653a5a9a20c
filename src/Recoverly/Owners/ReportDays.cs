using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Data;

namespace Recoverly.Owners;

/// <summary>
/// The report's finished days, kept (<see cref="ReportDay"/>) so /app/report sums a year of days instead of counting a
/// year of calls (docs/product/report.md, "How the figures are kept"). A kept day is recounted when a mark changes on
/// one of its calls (<see cref="EpisodeChangedAsync"/>), when the business's time zone is not the one it was counted
/// in, or when it is missing; days that have not ended yet are always counted live.
/// </summary>
public static class ReportDays
{
    /// <summary>
    /// A day is kept once it ended this long ago: calls are recorded when they arrive, so by then no write still in
    /// flight can add a call to it (marks can, and they bump the day).
    /// </summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMinutes(15);

    /// <summary>The figures of each period (contiguous, newest first), equal to <see cref="RecoveryReport.FiguresAsync"/>'s.</summary>
    public static async Task<List<PeriodFigures>> FiguresAsync(RecoverlyDb db, Business business, IReadOnlyList<(DateOnly Start, DateOnly End)> periods,
        DateTime nowUtc, CancellationToken ct)
    {
        var zone = BusinessClock.Zone(business.TimeZone);
        var ascending = periods.OrderBy(p => p.Start).ToList();
        var (first, end) = (ascending[0].Start, ascending[^1].End);
        var settled = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc - Settle, zone));
        var keptEnd = settled < first ? first : settled > end ? end : settled;

        var days = keptEnd > first ? await KeptAsync(db, business, zone, first, keptEnd, ct) : [];
        if (end > keptEnd)
        {
            foreach (var (day, tally) in await CountDaysAsync(db, business.Id, zone, keptEnd, end, ct)) days[day] = tally;
        }
        return ascending.Select(p =>
            {
                var sum = default(Tally);
                for (var d = p.Start; d < p.End; d = d.AddDays(1)) sum += days.GetValueOrDefault(d);
                return sum.For(p.Start, p.End);
            })
            .Reverse()
            .ToList();
    }

    /// <summary>
    /// After a change to what became of an episode (its first call's marks), in the writer's transaction and after the
    /// change itself: the kept days that call may fall in are recounted at the next read.
    /// </summary>
    public static async Task EpisodeChangedAsync(RecoverlyDb db, IQueryable<MissedCall> episodeStart, CancellationToken ct)
    {
        var call = await episodeStart.Select(c => new { c.BusinessId, c.At }).FirstOrDefaultAsync(ct);
        if (call is null) return;
        // The call's local day is its UTC day or one either side in every time zone, so bumping three needs no zone.
        var day = DateOnly.FromDateTime(call.At).DayNumber;
        var (before, after, id) = (day - 1, day + 1, call.BusinessId);
        // A bump that finds no row inserts one already stale, so a count that read the calls before this change cannot
        // later be stored as current (the reader only inserts where no row exists).
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "ReportDays" AS r ("BusinessId", "Day", "Zone", "Generation", "CountedGeneration",
                "Calls", "Missed", "Texted", "Replied", "Answered", "Booked", "RevenueCents", "BookedWithoutValue")
            VALUES ({id}, {before}, '', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0), ({id}, {day}, '', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                ({id}, {after}, '', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            ON CONFLICT ("BusinessId", "Day") DO UPDATE SET "Generation" = r."Generation" + 1
            """, ct);
    }

    /// <summary>
    /// The kept days from <paramref name="first"/> up to <paramref name="end"/>, recounting (and storing) the stale or
    /// missing ones. The generation is read before the recount and stored only if it is still the same, so a mark that
    /// lands during the recount leaves the day stale rather than wrong.
    /// </summary>
    private static async Task<Dictionary<DateOnly, Tally>> KeptAsync(RecoverlyDb db, Business business, TimeZoneInfo zone, DateOnly first, DateOnly end,
        CancellationToken ct)
    {
        var (id, from, until) = (business.Id, first.DayNumber, end.DayNumber);
        var rows = await db.ReportDays.AsNoTracking()
            .Where(r => r.BusinessId == id && r.Day >= from && r.Day < until)
            .ToDictionaryAsync(r => r.Day, ct);
        var days = new Dictionary<DateOnly, Tally>();
        var stale = new List<DateOnly>();
        for (var d = first; d < end; d = d.AddDays(1))
        {
            if (rows.TryGetValue(d.DayNumber, out var r) && r.CountedGeneration == r.Generation && r.Zone == business.TimeZone)
                days[d] = new Tally(r.Calls, r.Missed, r.Texted, r.Replied, r.Answered, r.Booked, r.RevenueCents, r.BookedWithoutValue);
            else stale.Add(d);
        }
        if (stale.Count == 0) return days;

        var counted = await CountDaysAsync(db, id, zone, stale[0], stale[^1].AddDays(1), ct);
        var zoneId = business.TimeZone;
        await using var tx = await db.BeginWriteAsync(ct);
        foreach (var d in stale)
        {
            var t = counted.GetValueOrDefault(d);
            days[d] = t;
            var day = d.DayNumber;
            if (rows.TryGetValue(day, out var r))
            {
                var generation = r.Generation;
                await db.Database.ExecuteSqlAsync($"""
                    UPDATE "ReportDays" SET "Zone" = {zoneId}, "CountedGeneration" = {generation}, "Calls" = {t.Calls}, "Missed" = {t.Missed},
                        "Texted" = {t.Texted}, "Replied" = {t.Replied}, "Answered" = {t.Answered}, "Booked" = {t.Booked},
                        "RevenueCents" = {t.RevenueCents}, "BookedWithoutValue" = {t.BookedWithoutValue}
                    WHERE "BusinessId" = {id} AND "Day" = {day} AND "Generation" = {generation}
                    """, ct);
            }
            else
            {
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "ReportDays" ("BusinessId", "Day", "Zone", "Generation", "CountedGeneration",
                        "Calls", "Missed", "Texted", "Replied", "Answered", "Booked", "RevenueCents", "BookedWithoutValue")
                    VALUES ({id}, {day}, {zoneId}, 0, 0, {t.Calls}, {t.Missed}, {t.Texted}, {t.Replied}, {t.Answered}, {t.Booked},
                        {t.RevenueCents}, {t.BookedWithoutValue})
                    ON CONFLICT ("BusinessId", "Day") DO NOTHING
                    """, ct);
            }
        }
        await tx.CommitAsync(ct);
        return days;
    }

    /// <summary>The business's calls counted per local day from <paramref name="first"/> up to <paramref name="end"/>.</summary>
    private static async Task<Dictionary<DateOnly, Tally>> CountDaysAsync(RecoverlyDb db, long businessId, TimeZoneInfo zone, DateOnly first, DateOnly end,
        CancellationToken ct)
    {
        var count = end.DayNumber - first.DayNumber;
        var bounds = Enumerable.Range(0, count + 1).Select(i => RecoveryReport.LocalMidnightUtc(first.AddDays(i), zone)).ToArray();
        var tallies = await RecoveryReport.CountAsync(db, businessId, bounds, ct);
        return tallies.ToDictionary(kv => first.AddDays(kv.Key), kv => kv.Value);
    }
}
