using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Businesses;

/// <summary>Which business a Recoverly number belongs to: the one lookup behind every voice and SMS webhook.</summary>
public static class BusinessByNumber
{
    /// <summary>Null when the number is not (or no longer) assigned to a business.</summary>
    public static Task<Business?> FindAsync(RecoverlyDb db, string recoverlyNumber, CancellationToken ct) =>
        db.Businesses.AsNoTracking()
            .Where(b => db.Numbers.Any(n => n.BusinessId == b.Id && n.E164 == recoverlyNumber))
            .FirstOrDefaultAsync(ct);
}
