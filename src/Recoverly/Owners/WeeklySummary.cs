using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Public;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>
/// The weekly summary e-mail (opt-in, docs/product/report.md): last week's report figures, queued once per business
/// and week on business-local Monday morning as an outbox row, which the dispatcher mails. "Once" is held by the
/// database twice over: a conditional update claims the week on the business row, and the row's dedupe key is unique.
/// </summary>
public static class WeeklySummary
{
    /// <summary>Business-local Monday at this time the summary of the week before is due.</summary>
    public static readonly TimeOnly DueAt = new(8, 0);

    /// <summary>Not queued by then (every dispatcher down all Monday), that week's summary is skipped: it would be news no more.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public const string StopPath = "/summary/stop";

    public static string NewStopToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    public static string StopLink(PublicUrls urls, long businessId, string token) =>
        urls.For($"{StopPath}?b={businessId.ToString(CultureInfo.InvariantCulture)}&t={token}");

    /// <summary>The token in a stop link belongs to this business (compared in constant time).</summary>
    public static bool TokenMatches(string? stored, string? given) =>
        stored is not null && given is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored), Encoding.UTF8.GetBytes(given));

    /// <summary>The business-local Monday whose morning makes a summary due at <paramref name="nowUtc"/> (the week before it is summed up), or null.</summary>
    public static DateOnly? DueWeek(DateTime nowUtc, TimeZoneInfo zone)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        var monday = RecoveryReport.WeekStart(today);
        var due = RecoveryReport.LocalMidnightUtc(monday, zone) + DueAt.ToTimeSpan();
        return nowUtc >= due && nowUtc < due + Window ? monday : null;
    }

    /// <summary>Queues every summary due now; returns how many. Safe to run from any number of dispatchers at once.</summary>
    public static async Task<int> QueueDueAsync(RecoverlyDb db, PublicUrls urls, DateTime nowUtc, CancellationToken ct)
    {
        var candidates = await db.Businesses.AsNoTracking()
            .Where(b => b.WeeklySummary && b.DeletedAt == null && b.OwnerEmail != null)
            .Select(b => new { b.Id, b.TimeZone, b.WeeklySummaryWeek })
            .ToListAsync(ct);
        var queued = 0;
        foreach (var candidate in candidates)
        {
            if (DueWeek(nowUtc, BusinessClock.Zone(candidate.TimeZone)) is not { } monday) continue;
            var lastWeek = monday.AddDays(-7);
            if (candidate.WeeklySummaryWeek == Day(lastWeek)) continue;
            if (await QueueAsync(db, candidate.Id, lastWeek, urls, nowUtc, ct)) queued++;
        }
        return queued;
    }

    /// <param name="monday">The first day of the week the summary is about.</param>
    private static async Task<bool> QueueAsync(RecoverlyDb db, long businessId, DateOnly monday, PublicUrls urls, DateTime now, CancellationToken ct)
    {
        var week = Day(monday);
        await using var tx = await db.BeginWriteAsync(ct);
        // The claim: of any number of dispatchers, one changes the row; the others find the week already taken.
        var claimed = await db.Businesses
            .Where(b => b.Id == businessId && b.WeeklySummary && b.DeletedAt == null && (b.WeeklySummaryWeek == null || b.WeeklySummaryWeek != week))
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.WeeklySummaryWeek, week), ct);
        if (claimed == 0) return false;

        var business = await db.Businesses.AsNoTracking().FirstAsync(b => b.Id == businessId, ct);
        business.SummaryStopToken ??= NewStopToken();
        await db.Businesses.Where(b => b.Id == businessId && b.SummaryStopToken == null)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.SummaryStopToken, business.SummaryStopToken), ct);
        var lastWeek = (await RecoveryReport.FiguresAsync(db, business, [(monday, monday.AddDays(7))], ct))[0];
        var body = Compose(business, lastWeek, urls.For("/app/report"), StopLink(urls, businessId, business.SummaryStopToken));
        Outbox.Enqueue(db, new OutboxItem(businessId, OutboundKind.OwnerSummaryEmail, OwnerAlerts.EmailRecipient(businessId), OwnerAlerts.EmailSender, body)
        {
            DedupeKey = $"weekly:{businessId}:{week}",
            ExpiresAt = now + Window,
        }, now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false; // the dedupe key: this week's summary is queued already
        }
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The e-mail: its first line is the subject; the figures and words are the report's.</summary>
    public static string Compose(Business business, PeriodFigures week, string reportLink, string stopLink)
    {
        var a = ReportAssumptions.Of(business);
        var money = Dollars(week.RevenueCents);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture,
                $"Recoverly: your week at {business.Name} ({RecoveryReport.Name(ReportPeriod.Week, week)}) — {Count(week.Missed, "missed call", "missed calls")}, {week.Booked} booked, {money} recovered")
            .Append("\n\n");
        foreach (var (label, count) in RecoveryReport.Stages) text.Append(CultureInfo.InvariantCulture, $"{label}: {count(week)}\n");
        text.Append(CultureInfo.InvariantCulture, $"({week.Calls} missed calls in all: repeat calls from one caller count once. \"You answered\" is a reply by text or \"I called them back\".)\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Revenue recovered: {money} (the job values you gave)\n");
        if (week.BookedWithoutValue > 0)
            text.Append(CultureInfo.InvariantCulture,
                $"Estimate, with the {Count(week.BookedWithoutValue, "booked job", "booked jobs")} without a value at your {MissedCallCost.Dollars(a.JobValue)} average: {Dollars(week.EstimatedRecoveredCents(a))}\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Estimate: these missed callers were worth about {Dollars(week.AtRiskCents(a))} to you ({a.Describe}).\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Your report: {reportLink}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"You get this because you turned on the weekly summary in Recoverly's settings. Stop it with one click: {stopLink}\n");
        return text.ToString();
    }

    private static string Dollars(long cents) => MissedCallCost.Dollars(Math.Round(cents / 100.0));

    private static string Count(int n, string one, string many) => n == 1 ? $"1 {one}" : $"{n} {many}";

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>
/// Queues the weekly summaries that are due, every few minutes, in processes with the dispatcher role (which then
/// mails them). Runs on <see cref="TimeProvider"/>, so tests drive it with fake time.
/// </summary>
public sealed class WeeklySummaryService(IServiceScopeFactory scopes, TimeProvider time, DispatchSignal signal, ILogger<WeeklySummaryService> log)
    : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Weekly summaries: pass failed; next pass in {Minutes} minutes", Every.TotalMinutes);
            }
            try
            {
                await Task.Delay(Every, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var queued = await WeeklySummary.QueueDueAsync(scope.ServiceProvider.GetRequiredService<RecoverlyDb>(),
            scope.ServiceProvider.GetRequiredService<PublicUrls>(), time.GetUtcNow().UtcDateTime, ct);
        if (queued > 0)
        {
            log.LogInformation("Weekly summaries: {Count} queued", queued);
            signal.Notify();
        }
        return queued;
    }
}
