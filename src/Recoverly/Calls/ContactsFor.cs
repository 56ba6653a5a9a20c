using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Calls;

public static class ContactsFor
{
    /// <summary>Insert-if-absent on the (business, phone) unique index, so concurrent webhooks share one contact.</summary>
    public static async Task<Contact> UpsertAsync(RecoverlyDb db, long businessId, string phone, DateTime now, CancellationToken ct)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "Contacts" ("BusinessId", "Phone", "CreatedAt", "EpisodeCallCount", "LastActivityAt")
            VALUES ({businessId}, {phone}, {now}, {0}, {now})
            ON CONFLICT ("BusinessId", "Phone") DO NOTHING
            """, ct);
        return await db.Contacts.AsNoTracking().FirstAsync(c => c.BusinessId == businessId && c.Phone == phone, ct);
    }
}
