using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Recoverly.Billing;
using Recoverly.Data;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Pages.Operator;

/// <summary>The operator's overview: every business and its plan, texts sent, and delivery failures by provider error code.</summary>
public sealed class IndexModel(RecoverlyDb db, TimeProvider time, BillingSettings billing, FoundingProgram founding) : PageModel
{
    public sealed record BusinessRow(long Id, string Name, string Numbers, PlanStatus Plan, bool Paused, DateTime CreatedAt,
        int Sent, int Delivered, int Failed);

    /// <summary>One provider error code: texts with it (and their share of the texts handed to the provider) in the last 24 hours, 7 days and all time.</summary>
    public sealed record ErrorRow(int Code, int Count, double Share, ProviderError Error, int LastDay = 0, double LastDayShare = 0, int LastWeek = 0,
        double LastWeekShare = 0);

    /// <summary>Statuses of texts that were handed to the provider (the denominator of failure rates).</summary>
    public static readonly OutboundStatus[] Handed =
        [OutboundStatus.Queued, OutboundStatus.Sent, OutboundStatus.Delivered, OutboundStatus.Undelivered, OutboundStatus.Failed];

    public IReadOnlyList<BusinessRow> Businesses { get; private set; } = [];
    public IReadOnlyList<ErrorRow> Errors { get; private set; } = [];
    /// <summary>Settings or senders the operator must look at, newest first.</summary>
    public IReadOnlyList<Recoverly.Operator.OperatorNotice> Notices { get; private set; } = [];
    public int TotalSent { get; private set; }
    public int TotalDelivered { get; private set; }
    public int TotalFailed { get; private set; }
    public int SentLastDay { get; private set; }
    public int SentLastWeek { get; private set; }
    public int FailedLastDay { get; private set; }
    public int Pending { get; private set; }
    public int FoundingPlacesLeft { get; private set; }
    public bool BillingEnabled => billing.Enabled;

    public async Task OnGetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var dayAgo = now.AddDays(-1);
        var perBusiness = await db.OutboundMessages.AsNoTracking()
            .Where(m => Handed.Contains(m.Status))
            .GroupBy(m => m.BusinessId)
            .Select(g => new
            {
                BusinessId = g.Key,
                Sent = g.Count(),
                Delivered = g.Count(m => m.Status == OutboundStatus.Delivered),
                Failed = g.Count(m => m.Status == OutboundStatus.Undelivered || m.Status == OutboundStatus.Failed),
            })
            .ToDictionaryAsync(x => x.BusinessId, ct);
        var businesses = await db.Businesses.AsNoTracking().Include(b => b.Numbers).OrderBy(b => b.Id).ToListAsync(ct);
        Businesses = businesses.Select(b =>
        {
            var counts = perBusiness.GetValueOrDefault(b.Id);
            return new BusinessRow(b.Id, b.Name, string.Join(", ", b.Numbers.Select(n => n.E164)), PlanStatus.For(b, now, billing.Enabled),
                b.TextingPaused, b.CreatedAt, counts?.Sent ?? 0, counts?.Delivered ?? 0, counts?.Failed ?? 0);
        }).ToList();
        TotalSent = perBusiness.Values.Sum(c => c.Sent);
        TotalDelivered = perBusiness.Values.Sum(c => c.Delivered);
        TotalFailed = perBusiness.Values.Sum(c => c.Failed);
        SentLastDay = await db.OutboundMessages.CountAsync(m => Handed.Contains(m.Status) && m.CreatedAt >= dayAgo, ct);
        FailedLastDay = await db.OutboundMessages.CountAsync(m => (m.Status == OutboundStatus.Undelivered || m.Status == OutboundStatus.Failed)
            && m.CreatedAt >= dayAgo, ct);
        Pending = await db.OutboundMessages.CountAsync(m => m.Status == OutboundStatus.Pending || m.Status == OutboundStatus.InDoubt, ct);

        var weekAgo = now.AddDays(-7);
        SentLastWeek = await db.OutboundMessages.CountAsync(m => Handed.Contains(m.Status) && m.CreatedAt >= weekAgo, ct);
        // Codes come from send answers and status callbacks alike; a text counts in the window it was created in.
        var byCode = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.ErrorCode != null)
            .GroupBy(m => m.ErrorCode!.Value)
            .Select(g => new { Code = g.Key, Count = g.Count(), LastDay = g.Count(m => m.CreatedAt >= dayAgo), LastWeek = g.Count(m => m.CreatedAt >= weekAgo) })
            .ToListAsync(ct);
        static double Share(int count, int of) => of == 0 ? 0 : (double)count / of;
        Errors = byCode.OrderByDescending(e => e.LastDay).ThenByDescending(e => e.LastWeek).ThenByDescending(e => e.Count).ThenBy(e => e.Code)
            .Select(e => new ErrorRow(e.Code, e.Count, Share(e.Count, TotalSent), ProviderErrors.Describe(e.Code),
                e.LastDay, Share(e.LastDay, SentLastDay), e.LastWeek, Share(e.LastWeek, SentLastWeek)))
            .ToList();
        FoundingPlacesLeft = await founding.PlacesLeftAsync(ct);
        Notices = (await db.OperatorNotices.AsNoTracking().ToListAsync(ct)).OrderByDescending(n => n.LastAt).ToList();
    }

    public static string Percent(double share) => share.ToString("0.0%", System.Globalization.CultureInfo.InvariantCulture);
}
