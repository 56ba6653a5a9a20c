using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>How far behind the outbox is: rows waiting to be sent, and how long the oldest due one has waited.</summary>
public sealed record OutboxBacklog(int Waiting, TimeSpan OldestDueAge)
{

    /// <summary>Two index reads on (Status, NextAttemptAt): cheap enough for every health probe and scrape.</summary>
    public static async Task<OutboxBacklog> ReadAsync(RecoverlyDb db, DateTime now, CancellationToken ct)
    {
        var waiting = await db.OutboundMessages.AsNoTracking().CountAsync(m => SendableSql.Statuses.Contains(m.Status), ct);
        var oldest = await db.OutboundMessages.AsNoTracking()
            .Where(m => SendableSql.Statuses.Contains(m.Status) && m.NextAttemptAt <= now)
            .OrderBy(m => m.NextAttemptAt).Select(m => (DateTime?)m.NextAttemptAt).FirstOrDefaultAsync(ct);
        return new OutboxBacklog(waiting, oldest is { } due && due < now ? now - due : TimeSpan.Zero);
    }
}
