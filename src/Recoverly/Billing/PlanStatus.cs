using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Billing;

public enum BannerTone { Info, Warning, Off }

/// <summary>What the owner is told about their plan in the app: whether texting is on, and why not.</summary>
public sealed record PlanStatus(PlanState Plan, bool MayText, string Label, string? Banner, BannerTone Tone)
{
    /// <summary>The trial banner appears on days 11–14 of the 14-day trial.</summary>
    public static readonly TimeSpan TrialWarning = TimeSpan.FromDays(4);

    public static PlanStatus For(Business business, DateTime nowUtc, bool billingEnabled)
    {
        var mayText = Entitlement.MayText(business, nowUtc, billingEnabled);
        if (!billingEnabled) return new(business.Plan, mayText, "Self-hosted (no billing)", null, BannerTone.Info);
        var zone = BusinessClock.Zone(business.TimeZone);
        string Day(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(utc, zone).ToString("MMMM d", CultureInfo.InvariantCulture);
        const string recording = "Missed calls are still recorded here, but callers aren't being texted back.";

        switch (business.Plan)
        {
            case PlanState.Founding:
                return new(business.Plan, mayText, "Founding user — free for life", null, BannerTone.Info);
            case PlanState.Active:
                return new(business.Plan, mayText, "Subscribed — $29/month", null, BannerTone.Info);
            case PlanState.Trial when mayText:
                var left = business.TrialEndsAt - nowUtc;
                var days = (int)Math.Ceiling(left.TotalDays);
                var label = $"Free trial — ends {Day(business.TrialEndsAt)}";
                return left > TrialWarning
                    ? new(business.Plan, mayText, label, null, BannerTone.Info)
                    : new(business.Plan, mayText, label,
                        $"Your free trial ends in {days} day{(days == 1 ? "" : "s")} ({Day(business.TrialEndsAt)}). Subscribe for $29/month to keep texting back the callers you miss.",
                        BannerTone.Warning);
            case PlanState.Trial:
                return new(business.Plan, mayText, "Free trial ended",
                    $"Your free trial has ended. {recording} Subscribe for $29/month to turn text-backs back on.", BannerTone.Off);
            case PlanState.PastDue when mayText:
                var until = business.PastDueSince!.Value + Entitlement.PastDueGrace;
                return new(business.Plan, mayText, "Payment failed",
                    $"Your last payment didn't go through. Text-backs continue until {Day(until)}; update your payment method to keep them on.",
                    BannerTone.Warning);
            case PlanState.PastDue:
                return new(business.Plan, mayText, "Payment overdue",
                    $"Your payment is overdue, so text-backs are off. {recording} Update your payment method to turn them back on.", BannerTone.Off);
            default:
                return new(business.Plan, mayText, "Subscription canceled",
                    $"Your subscription is canceled, so text-backs are off. {recording} Subscribe again to turn them back on.", BannerTone.Off);
        }
    }
}

/// <summary>The signed-in owner's plan status, for the banner partial (<c>Pages/Shared/_PlanBanner.cshtml</c>).</summary>
public sealed class OwnerPlan(CurrentOwner owner, RecoverlyDb db, TimeProvider time, BillingSettings billing)
{
    public async Task<PlanStatus?> CurrentAsync(CancellationToken ct = default)
    {
        if (owner.BusinessId is not { } id) return null;
        var business = await db.Businesses.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, ct);
        return business is null ? null : PlanStatus.For(business, time.GetUtcNow().UtcDateTime, billing.Enabled);
    }
}
