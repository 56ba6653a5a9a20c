using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Public;

namespace Recoverly.Pages.App;

/// <summary>
/// /app/report: the money recovered, per week or month — the funnel from missed calls to booked jobs, revenue
/// recorded and estimated, charts drawn here as SVG, a CSV, and the owner's estimate assumptions.
/// </summary>
public sealed class ReportModel(RecoverlyDb db, TimeProvider time) : AppPageModel
{
    /// <summary><c>week</c> (default) or <c>month</c>.</summary>
    [BindProperty(SupportsGet = true)] public string? By { get; set; }

    /// <summary>The first day (yyyy-MM-dd) of the period the funnel shows; default the current one.</summary>
    [BindProperty(SupportsGet = true)] public string? Period { get; set; }

    public Report Report { get; private set; } = null!;
    public PeriodFigures Selected { get; private set; } = null!;
    public ReportPeriod Kind { get; private set; }
    public string KindQuery => Kind == ReportPeriod.Month ? "month" : "week";
    public bool SelectedIsCurrent => Selected == Report.Periods[0];
    public Dictionary<string, string> Errors { get; } = [];
    public string? Saved { get; private set; }
    /// <summary>The assumption fields as typed, shown back when refused.</summary>
    public Dictionary<string, string?> Typed { get; } = [];

    public async Task<IActionResult> OnGetAsync(string? saved, CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFound();
        if (saved == "assumptions") Saved = "Assumptions saved: the estimates below use them.";
        return Page();
    }

    /// <summary>The same figures as CSV (linked as /app/report.csv).</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFound();
        var day = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return File(Encoding.UTF8.GetBytes(RecoveryReport.Csv(Report)), "text/csv; charset=utf-8",
            $"recoverly-report-{KindQuery}s-{Business.Id}-{day}.csv");
    }

    /// <summary>The estimate assumptions (the cost calculator's three), checked with the calculator's own ranges.</summary>
    public async Task<IActionResult> OnPostAssumptionsAsync(string? book, string? value, string? close, CancellationToken ct)
    {
        var b = MissedCallCost.ParseField(MissedCallCost.BookField, book);
        var v = MissedCallCost.ParseField(MissedCallCost.ValueField, value);
        var c = MissedCallCost.ParseField(MissedCallCost.CloseField, close);
        if (b is null) Errors[MissedCallCost.BookField] = MissedCallCost.Messages[MissedCallCost.BookField];
        if (v is null) Errors[MissedCallCost.ValueField] = MissedCallCost.Messages[MissedCallCost.ValueField];
        if (c is null) Errors[MissedCallCost.CloseField] = MissedCallCost.Messages[MissedCallCost.CloseField];
        if (Errors.Count > 0)
        {
            (Typed[MissedCallCost.BookField], Typed[MissedCallCost.ValueField], Typed[MissedCallCost.CloseField]) = (book, value, close);
            if (!await LoadAsync(ct)) return NotFound();
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        using (await db.EnterWriteGateAsync(ct))
        {
            await db.Businesses.Where(x => x.Id == Business.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.EstimateBookPercent, b!.Value)
                    .SetProperty(x => x.EstimateJobValue, v!.Value)
                    .SetProperty(x => x.EstimateClosePercent, c!.Value), ct);
        }
        return Redirect($"/app/report?by={(By == "month" ? "month" : "week")}&saved=assumptions#assumptions");
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        switch (By)
        {
            case null or "week": Kind = ReportPeriod.Week; break;
            case "month": Kind = ReportPeriod.Month; break;
            default: return false;
        }
        Report = await RecoveryReport.BuildAsync(db, Business, Kind, time.GetUtcNow().UtcDateTime, ct);
        Selected = Report.Periods[0];
        if (Period is null) return true;
        if (!DateOnly.TryParseExact(Period, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)) return false;
        var match = Report.Periods.FirstOrDefault(p => p.Start == start);
        if (match is null) return false;
        Selected = match;
        return true;
    }
}
