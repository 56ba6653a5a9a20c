using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Businesses;

/// <summary>Which business a Recoverly number belongs to: the one lookup behind every voice and SMS webhook.</summary>
public static class BusinessByNumber
{
    /// <summary>Null when the number is not (or no longer) assigned to a business.</summary>
    /// <remarks>
    /// From the number's unique index to its business by key. Asked as "the business whose numbers include it", SQLite
    /// checked every business (docs/benchmarks.md, "The lookup's plan").
    /// </remarks>
    public static Task<Business?> FindAsync(RecoverlyDb db, string recoverlyNumber, CancellationToken ct) =>
        (from number in db.Numbers.AsNoTracking()
         where number.E164 == recoverlyNumber
         join business in db.Businesses.AsNoTracking() on number.BusinessId equals business.Id
         select business).FirstOrDefaultAsync(ct);
}
