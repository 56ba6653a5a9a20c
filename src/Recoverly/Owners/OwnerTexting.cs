using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Owners;

/// <summary>The owner-initiated texts, each with its own caps: "reply YES" requests, and replies to callers (from the app or relayed by SMS).</summary>
public enum OwnerTextKind { AlertRequest, Reply }

/// <summary>Why an owner-initiated text was refused, as data; <see cref="OwnerTexting.Words"/> says it to the owner.</summary>
public enum OwnerTextRefusal
{
    EmailUnverified,
    NotEntitled,
    CountryNotAllowed,
    /// <summary>The phone itself texted STOP to this business's alert texts (and has not texted START or YES since).</summary>
    PhoneOptedOut,
    /// <summary>The caller opted out of this business's texts.</summary>
    CallerOptedOut,
    AccountDailyCap,
    NumberDailyCap,
}

/// <summary>What the gate needs from configuration: whether plans are enforced and which countries may be texted.</summary>
public sealed record OwnerTextPolicy(bool BillingEnabled, IReadOnlyCollection<string> AllowedRegions)
{
    public static OwnerTextPolicy From(IServiceProvider services) => new(
        services.GetRequiredService<BillingSettings>().Enabled,
        services.GetRequiredService<IOptions<RecoverlyOptions>>().Value.AllowedRegions);
}

/// <summary>
/// The one gate for every text an owner causes to go to a phone (docs/product/owner-alerts.md, "Owner-initiated
/// texts"): the account must have a confirmed e-mail and a plan that texts, the recipient must be in an allowed
/// country, and per-account and per-number daily caps are taken atomically in the database, so several processes
/// share them. Text-backs to callers are not owner-initiated and never come here.
/// </summary>
public static class OwnerTexting
{
    /// <summary>"Reply YES" requests a business may send in one UTC day.</summary>
    public const int AlertRequestsPerAccountPerDay = 5;
    /// <summary>"Reply YES" requests one phone may get in one UTC day, from all businesses together.</summary>
    public const int AlertRequestsPerNumberPerDay = 3;
    /// <summary>Replies to callers (app and SMS relay together) a business may send in one UTC day.</summary>
    public const int RepliesPerAccountPerDay = 200;
    /// <summary>Owner replies one phone may get in one UTC day, from all businesses together.</summary>
    public const int RepliesPerNumberPerDay = 30;

    /// <summary>
    /// The account-level checks, before anything is written: a confirmed owner e-mail (a business the operator
    /// created has no owner login; the operator vouches for it), a plan that texts, and an allowed country.
    /// </summary>
    public static async Task<OwnerTextRefusal?> CheckAsync(RecoverlyDb db, Business business, string to, OwnerTextPolicy policy, DateTime now,
        CancellationToken ct)
    {
        var logins = await db.OwnerAccounts.AsNoTracking().Where(a => a.BusinessId == business.Id)
            .Select(a => a.EmailVerifiedAt != null).ToListAsync(ct);
        if (logins.Count > 0 && !logins.Contains(true)) return OwnerTextRefusal.EmailUnverified;
        if (!Entitlement.MayText(business, now, policy.BillingEnabled)) return OwnerTextRefusal.NotEntitled;
        if (!IsAllowedCountry(to, policy)) return OwnerTextRefusal.CountryNotAllowed;
        return null;
    }

    public static bool IsAllowedCountry(string e164, OwnerTextPolicy policy) =>
        Phones.ParseCaller(e164) is { Kind: CallerIdKind.Number, RegionCode: var region } && Phones.IsAllowedRegion(region, policy.AllowedRegions);

    /// <summary>
    /// Takes one slot of today's per-number cap and one of the per-account cap, each in one atomic statement.
    /// Call inside the write transaction that queues the text; when either cap is reached nothing stays taken.
    /// </summary>
    public static async Task<OwnerTextRefusal?> TakeSlotsAsync(RecoverlyDb db, long businessId, OwnerTextKind kind, string to, DateTime now,
        CancellationToken ct)
    {
        var (perAccount, perNumber) = Caps(kind);
        var day = now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var numberKey = $"{kind}:number:{to}";
        if (!await OwnerTextCounter.TakeAsync(db, numberKey, day, perNumber, ct)) return OwnerTextRefusal.NumberDailyCap;
        if (await OwnerTextCounter.TakeAsync(db, $"{kind}:account:{businessId}", day, perAccount, ct)) return null;
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE "OwnerTextCounters" SET "Count" = "Count" - 1 WHERE "Key" = {numberKey} AND "Day" = {day} AND "Count" > 0""", ct);
        return OwnerTextRefusal.AccountDailyCap;
    }

    public static (int PerAccount, int PerNumber) Caps(OwnerTextKind kind) => kind switch
    {
        OwnerTextKind.AlertRequest => (AlertRequestsPerAccountPerDay, AlertRequestsPerNumberPerDay),
        _ => (RepliesPerAccountPerDay, RepliesPerNumberPerDay),
    };

    /// <summary>Each refusal in one sentence the owner can act on (pages and the SMS notice).</summary>
    public static string Words(OwnerTextRefusal refusal, OwnerTextKind kind, string to) => refusal switch
    {
        OwnerTextRefusal.EmailUnverified => "Confirm your email address first (use the link we emailed you); until then we don't send texts for you.",
        OwnerTextRefusal.NotEntitled => "Texting is off because your subscription isn't active. Choose a plan to send texts.",
        OwnerTextRefusal.CountryNotAllowed => $"We can't text {Phones.FormatForDisplay(to)}: Recoverly only texts numbers in the countries it serves.",
        OwnerTextRefusal.PhoneOptedOut =>
            $"{Phones.FormatForDisplay(to)} replied STOP to our alert texts, so we won't text it again. To turn alerts back on, text START from that phone to your Recoverly number.",
        OwnerTextRefusal.CallerOptedOut => ContactActions.OptedOutRefusal,
        OwnerTextRefusal.AccountDailyCap when kind == OwnerTextKind.AlertRequest =>
            $"Your account has sent {AlertRequestsPerAccountPerDay} alert confirmation texts today, the daily limit. Try again tomorrow.",
        OwnerTextRefusal.AccountDailyCap => $"Your account has sent {RepliesPerAccountPerDay} replies today, the daily limit. Call instead, or try again tomorrow.",
        OwnerTextRefusal.NumberDailyCap when kind == OwnerTextKind.AlertRequest =>
            $"{Phones.FormatForDisplay(to)} has had {AlertRequestsPerNumberPerDay} alert confirmation texts today, the daily limit. Try again tomorrow.",
        _ => $"{Phones.FormatForDisplay(to)} has had {RepliesPerNumberPerDay} replies today, the daily limit. Call them instead, or try again tomorrow.",
    };
}

/// <summary>A daily cap's count under one key: owner-initiated texts per kind and account or number (UTC day), emergency alerts per business (local day).</summary>
public sealed class OwnerTextCounter
{
    public required string Key { get; set; }
    /// <summary>yyyy-MM-dd.</summary>
    public required string Day { get; set; }
    public int Count { get; set; }

    /// <summary>Takes one of <paramref name="cap"/> for <paramref name="key"/> on <paramref name="day"/>, in one atomic statement shared by every process.</summary>
    public static async Task<bool> TakeAsync(RecoverlyDb db, string key, string day, int cap, CancellationToken ct)
    {
        var taken = await db.Database.SqlQuery<int>($"""
            INSERT INTO "OwnerTextCounters" AS c ("Key", "Day", "Count") VALUES ({key}, {day}, 1)
            ON CONFLICT ("Key") DO UPDATE SET "Count" = CASE WHEN c."Day" = {day} THEN c."Count" + 1 ELSE 1 END, "Day" = {day}
            WHERE c."Day" <> {day} OR c."Count" < {cap}
            RETURNING 1 AS "Value"
            """).ToListAsync(ct);
        return taken.Count > 0;
    }
}
