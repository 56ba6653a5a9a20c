using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Data;
using Recoverly.Public;

namespace Recoverly.Owners;

public enum ReportPeriod { Week, Month }

/// <summary>The cost calculator's assumptions, set per business, which the report's estimates use.</summary>
public sealed record ReportAssumptions(double WouldBookPercent, double JobValue, double ClosePercent)
{
    public static ReportAssumptions Of(Business business) =>
        new(business.EstimateBookPercent, business.EstimateJobValue, business.EstimateClosePercent);

    /// <summary>As the report and the weekly e-mail state them.</summary>
    public string Describe =>
        $"{Percent(WouldBookPercent)} of missed callers would have booked, you win {Percent(ClosePercent)} of those, an average job is {MissedCallCost.Dollars(JobValue)}";

    private static string Percent(double value) => value.ToString("0.#", CultureInfo.InvariantCulture) + "%";
}

/// <summary>
/// One week or month: the missed-call episodes that started in it (repeat calls from one caller count once) and
/// what became of them, however much later that happened (docs/product/report.md).
/// </summary>
/// <param name="End">Exclusive: the first day of the next period.</param>
/// <param name="Calls">Every missed call, repeats included.</param>
/// <param name="Missed">Episodes: the callers who were missed.</param>
/// <param name="Answered">The owner replied by text or noted "I called them back".</param>
/// <param name="RevenueCents">The job values the owner gave for the episodes marked booked.</param>
public sealed record PeriodFigures(DateOnly Start, DateOnly End, int Calls, int Missed, int Texted, int Replied, int Answered, int Booked,
    long RevenueCents, int BookedWithoutValue)
{
    /// <summary>Recorded revenue, plus each booked job without a value at the assumed average job value.</summary>
    public long EstimatedRecoveredCents(ReportAssumptions a) => RevenueCents + (long)Math.Round(BookedWithoutValue * a.JobValue * 100);

    /// <summary>What these missed callers were worth by the cost calculator's formula (without its per-month scaling).</summary>
    public long AtRiskCents(ReportAssumptions a) =>
        (long)Math.Round(Missed * (a.WouldBookPercent / 100) * (a.ClosePercent / 100) * a.JobValue * 100);

    public bool Contains(DateOnly day) => day >= Start && day < End;
}

/// <summary>The counts of some calls (a day's or a period's), which add up.</summary>
public readonly record struct Tally(int Calls, int Missed, int Texted, int Replied, int Answered, int Booked, long RevenueCents, int BookedWithoutValue)
{
    public static Tally operator +(Tally a, Tally b) => new(a.Calls + b.Calls, a.Missed + b.Missed, a.Texted + b.Texted, a.Replied + b.Replied,
        a.Answered + b.Answered, a.Booked + b.Booked, a.RevenueCents + b.RevenueCents, a.BookedWithoutValue + b.BookedWithoutValue);

    public PeriodFigures For(DateOnly start, DateOnly end) =>
        new(start, end, Calls, Missed, Texted, Replied, Answered, Booked, RevenueCents, BookedWithoutValue);
}

/// <summary>A report: the latest periods, newest first (the first one is the current, unfinished period).</summary>
public sealed record Report(ReportPeriod Kind, IReadOnlyList<PeriodFigures> Periods, ReportAssumptions Assumptions);

/// <summary>
/// The money recovered, per week or month (/app/report, its CSV and the weekly e-mail compute it here). Grouped
/// queries over the business's calls on the report index: what became of an episode is kept on its first call
/// (<see cref="ConversationActivity"/>, <see cref="ContactActions"/>), so no message table is read; the page sums
/// finished days kept in <see cref="ReportDays"/> and counts only the rest.
/// </summary>
public static class RecoveryReport
{
    public const int Weeks = 12;
    public const int Months = 12;

    /// <summary>The stages of the funnel, in order, with the words the page, the CSV and the e-mail use.</summary>
    public static readonly IReadOnlyList<(string Label, Func<PeriodFigures, int> Count)> Stages =
    [
        ("Missed calls", p => p.Missed),
        ("Texted back", p => p.Texted),
        ("Caller replied", p => p.Replied),
        ("You answered", p => p.Answered),
        ("Booked / won", p => p.Booked),
    ];

    public static async Task<Report> BuildAsync(RecoverlyDb db, Business business, ReportPeriod kind, DateTime nowUtc, CancellationToken ct)
    {
        var zone = BusinessClock.Zone(business.TimeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        var periods = kind == ReportPeriod.Week ? WeeksEndingWith(today, Weeks) : MonthsEndingWith(today, Months);
        return new Report(kind, await ReportDays.FiguresAsync(db, business, periods, nowUtc, ct), ReportAssumptions.Of(business));
    }

    /// <summary>Monday of the week <paramref name="day"/> is in (weeks run Monday to Sunday, business-local).</summary>
    public static DateOnly WeekStart(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    /// <summary>The <paramref name="count"/> weeks up to the one holding <paramref name="today"/>, newest first.</summary>
    public static List<(DateOnly Start, DateOnly End)> WeeksEndingWith(DateOnly today, int count)
    {
        var monday = WeekStart(today);
        return Enumerable.Range(0, count).Select(i => (monday.AddDays(-7 * i), monday.AddDays(-7 * i + 7))).ToList();
    }

    public static List<(DateOnly Start, DateOnly End)> MonthsEndingWith(DateOnly today, int count)
    {
        var first = new DateOnly(today.Year, today.Month, 1);
        return Enumerable.Range(0, count).Select(i => (first.AddMonths(-i), first.AddMonths(-i + 1))).ToList();
    }

    /// <summary>
    /// The figures of each period (contiguous, newest first), in the business's time zone, counted from the calls
    /// themselves: the weekly e-mail's figures, and what the kept days (<see cref="ReportDays"/>) must always equal.
    /// </summary>
    public static async Task<List<PeriodFigures>> FiguresAsync(RecoverlyDb db, Business business, IReadOnlyList<(DateOnly Start, DateOnly End)> periods,
        CancellationToken ct)
    {
        var zone = BusinessClock.Zone(business.TimeZone);
        var ascending = periods.OrderBy(p => p.Start).ToList();
        // Boundaries in UTC: bounds[i] starts period i, bounds[^1] ends the last; a local midnight can differ in length (DST).
        var bounds = ascending.Select(p => LocalMidnightUtc(p.Start, zone)).Append(LocalMidnightUtc(ascending[^1].End, zone)).ToArray();
        var tallies = await CountAsync(db, business.Id, bounds, ct);
        return ascending.Select((p, i) => tallies.GetValueOrDefault(i).For(p.Start, p.End)).Reverse().ToList();
    }

    /// <summary>
    /// The business's calls counted per bucket, bucket i holding the calls at or after <c>bounds[i]</c> and before
    /// <c>bounds[i + 1]</c>: one grouped query, so only a row per non-empty bucket comes back.
    /// </summary>
    internal static async Task<Dictionary<int, Tally>> CountAsync(RecoverlyDb db, long businessId, DateTime[] bounds, CancellationToken ct)
    {
        var (from, until) = (bounds[0], bounds[^1]);
        var rows = await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == businessId && c.At >= from && c.At < until)
            .GroupBy(Bucket(bounds))
            .Select(g => new
            {
                Bucket = g.Key,
                Calls = g.Count(),
                Missed = g.Count(c => c.EpisodeFirstCallId == null),
                Texted = g.Count(c => c.Outcome == CallOutcome.Texted),
                Replied = g.Count(c => c.CallerRepliedAt != null),
                Answered = g.Count(c => c.OwnerRepliedAt != null || c.CalledBackAt != null),
                Booked = g.Count(c => c.WonAt != null),
                Revenue = g.Sum(c => c.WonAt != null ? c.JobValueCents ?? 0 : 0),
                WithoutValue = g.Count(c => c.WonAt != null && c.JobValueCents == null),
            })
            .ToListAsync(ct);
        return rows.ToDictionary(r => r.Bucket, r => new Tally(r.Calls, r.Missed, r.Texted, r.Replied, r.Answered, r.Booked, r.Revenue, r.WithoutValue));
    }

    /// <summary>The UTC instant a business-local day begins (a zone that jumps at midnight begins it at 01:00).</summary>
    public static DateTime LocalMidnightUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    private sealed record Boundary(DateTime At);

    /// <summary>
    /// <c>c => c.At &lt; b2 ? (c.At &lt; b1 ? 0 : 1) : …</c>: the bucket a call falls in, as one SQL CASE (the boundaries as
    /// parameters) nested as a binary search, so a year of days costs each call ~9 comparisons rather than 365.
    /// </summary>
    private static Expression<Func<MissedCall, int>> Bucket(DateTime[] bounds)
    {
        var call = Expression.Parameter(typeof(MissedCall), "c");
        var at = Expression.Property(call, nameof(MissedCall.At));
        // The calls are already limited to bounds[0]..bounds[^1]; buckets lo..hi-1 split at the middle boundary.
        Expression Search(int lo, int hi)
        {
            if (hi - lo == 1) return Expression.Constant(lo);
            var mid = (lo + hi) / 2;
            var boundary = Expression.Property(Expression.Constant(new Boundary(bounds[mid])), nameof(Boundary.At));
            return Expression.Condition(Expression.LessThan(at, boundary), Search(lo, mid), Search(mid, hi));
        }
        return Expression.Lambda<Func<MissedCall, int>>(Search(0, bounds.Length - 1), call);
    }

    /// <summary>How a period is named: "Nov 23 – 29" for a week, "November 2026" for a month.</summary>
    public static string Name(ReportPeriod kind, PeriodFigures p)
    {
        var inv = CultureInfo.InvariantCulture;
        if (kind == ReportPeriod.Month) return p.Start.ToString("MMMM yyyy", inv);
        var last = p.End.AddDays(-1);
        return last.Month == p.Start.Month
            ? $"{p.Start.ToString("MMM d", inv)} – {last.ToString("%d", inv)}"
            : $"{p.Start.ToString("MMM d", inv)} – {last.ToString("MMM d", inv)}";
    }

    /// <summary>The report as CSV: one line per period, oldest first, the estimates in their own columns.</summary>
    public static string Csv(Report report)
    {
        var inv = CultureInfo.InvariantCulture;
        var a = report.Assumptions;
        var csv = new StringBuilder("period_start,period_end,missed_calls_all,missed_callers,texted_back,caller_replied,you_answered,booked_won,"
                                    + "revenue_recorded_usd,booked_without_value,revenue_estimate_usd,at_risk_estimate_usd,"
                                    + "assumed_would_book_percent,assumed_close_rate_percent,assumed_job_value_usd\n");
        foreach (var p in report.Periods.Reverse())
        {
            csv.AppendJoin(',', p.Start.ToString("yyyy-MM-dd", inv), p.End.AddDays(-1).ToString("yyyy-MM-dd", inv),
                    p.Calls.ToString(inv), p.Missed.ToString(inv), p.Texted.ToString(inv), p.Replied.ToString(inv), p.Answered.ToString(inv),
                    p.Booked.ToString(inv), Usd(p.RevenueCents), p.BookedWithoutValue.ToString(inv), Usd(p.EstimatedRecoveredCents(a)),
                    Usd(p.AtRiskCents(a)), a.WouldBookPercent.ToString(inv), a.ClosePercent.ToString(inv), a.JobValue.ToString(inv))
                .Append('\n');
        }
        return csv.ToString();
    }

    private static string Usd(long cents) => (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
}
