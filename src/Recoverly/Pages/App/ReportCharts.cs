using System.Globalization;
using Recoverly.Owners;
using Recoverly.Public;

namespace Recoverly.Pages.App;

/// <summary>
/// The report's two charts as plain SVG geometry, drawn on the server (Report.cshtml): no chart library, nothing to
/// run in the browser. Both are 340 units wide, about a phone's card width, so their 11–13 unit text reads at 390 px.
/// </summary>
public static class ReportCharts
{
    public const int Width = 340;

    public sealed record FunnelBar(string Label, int Count, string Share, double Y, double BarWidth, int Stage);

    public sealed record Funnel(IReadOnlyList<FunnelBar> Bars, int Height);

    private const int FunnelRow = 44;

    /// <summary>One bar per stage, as wide as its share of the missed callers.</summary>
    public static Funnel FunnelOf(PeriodFigures period)
    {
        var top = Math.Max(1, period.Missed);
        var bars = RecoveryReport.Stages.Select((stage, i) =>
        {
            var count = stage.Count(period);
            var share = i == 0 || period.Missed == 0 ? "" : $"{Math.Round(100.0 * count / period.Missed).ToString(CultureInfo.InvariantCulture)}%";
            var width = count == 0 ? 0 : Math.Max(3, Width * Math.Min(1.0, (double)count / top));
            return new FunnelBar(stage.Label, count, share, i * FunnelRow, Math.Round(width, 1), i);
        }).ToList();
        return new Funnel(bars, bars.Count * FunnelRow);
    }

    public sealed record MoneyBar(string Label, string Title, double X, double RecordedY, double RecordedHeight, double EstimateY, double EstimateHeight,
        bool ShowLabel);

    public sealed record MoneyChart(IReadOnlyList<MoneyBar> Bars, string Top, double BarWidth, bool Empty);

    public const int MoneyTop = 18, MoneyBase = 150, MoneyHeight = 176;

    /// <summary>Revenue recovered per period, oldest on the left: the recorded part, and the estimate's extra above it.</summary>
    public static MoneyChart MoneyOf(Report report)
    {
        var periods = report.Periods.Reverse().ToList();
        var max = periods.Max(p => p.EstimatedRecoveredCents(report.Assumptions));
        var slot = (double)Width / periods.Count;
        var barWidth = Math.Round(slot * 0.62, 1);
        var scale = max == 0 ? 0 : (MoneyBase - MoneyTop) / (double)max;
        var bars = periods.Select((p, i) =>
        {
            var estimate = p.EstimatedRecoveredCents(report.Assumptions);
            var recordedHeight = Math.Round(p.RevenueCents * scale, 1);
            var estimateHeight = Math.Round((estimate - p.RevenueCents) * scale, 1);
            var recordedY = MoneyBase - recordedHeight;
            var label = report.Kind == ReportPeriod.Month
                ? p.Start.ToString("MMM", CultureInfo.InvariantCulture)
                : p.Start.ToString("M/d", CultureInfo.InvariantCulture);
            var title = $"{RecoveryReport.Name(report.Kind, p)}: {JobValue.Format(p.RevenueCents)} recorded"
                        + (estimate > p.RevenueCents ? $", {JobValue.Format(estimate)} estimated" : "");
            // Weeks are labelled every other bar (newest included) so the dates don't run into each other.
            var show = report.Kind == ReportPeriod.Month || (periods.Count - 1 - i) % 2 == 0;
            return new MoneyBar(label, title, Math.Round(i * slot + (slot - barWidth) / 2, 1), recordedY, recordedHeight,
                recordedY - estimateHeight, estimateHeight, show);
        }).ToList();
        return new MoneyChart(bars, max == 0 ? "" : JobValue.Format(max), barWidth, max == 0);
    }

    public static string Num(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    public static string Dollars(long cents) => MissedCallCost.Dollars(Math.Round(cents / 100.0));
}
