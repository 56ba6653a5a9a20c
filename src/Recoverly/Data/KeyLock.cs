using Microsoft.EntityFrameworkCore;

namespace Recoverly.Data;

/// <summary>
/// Serialises two transactions that touch the same key but no common row (PostgreSQL advisory
/// transaction lock; SQLite's single writer already serialises them).
/// </summary>
public static class KeyLock
{
    public static async Task LockAsync(RecoverlyDb db, string key, CancellationToken ct)
    {
        if (db.Provider != DatabaseProvider.Postgres) return;
        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtext({key}))", ct);
    }
}
