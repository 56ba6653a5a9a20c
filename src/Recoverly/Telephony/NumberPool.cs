using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Telephony;

/// <summary>
/// A number the operator put in the pool that sign-ups draw from (<c>numbers add</c>). Other numbers of the
/// operator's provider account are never listed to, taken by or rewired for a sign-up.
/// </summary>
public sealed class PoolNumber
{
    public long Id { get; set; }
    public required string E164 { get; set; }
    /// <summary>The provider's id for the number (Twilio <c>PN…</c>), looked up when it was added.</summary>
    public string? ProviderSid { get; set; }
    public string? Note { get; set; }
    public DateTime AddedAt { get; set; }
}

/// <summary>A pool number and the business that has it, if any (<c>numbers list</c>).</summary>
public sealed record PoolEntry(string Number, string? Note, long? BusinessId, DateTime AddedAt);

/// <summary>The operator's side of the pool: add, list, remove. Sign-ups only read it (<see cref="TwilioNumberPool"/>).</summary>
public static class NumberPool
{
    public const int MaxNoteLength = 200;

    /// <summary>Adds a number whose provider id is already known; returns the problem, or null.</summary>
    public static async Task<string?> AddAsync(RecoverlyDb db, IWriteGate gate, string e164, string? providerSid, string? note, DateTime now,
        CancellationToken ct)
    {
        if (note is { Length: > MaxNoteLength }) return $"--note: keep it under {MaxNoteLength} characters";
        using var _ = await gate.EnterAsync(ct);
        if (await db.PoolNumbers.AnyAsync(p => p.E164 == e164, ct)) return $"{e164} is already in the pool";
        db.PoolNumbers.Add(new PoolNumber { E164 = e164, ProviderSid = providerSid, Note = string.IsNullOrWhiteSpace(note) ? null : note.Trim(), AddedAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return $"{e164} is already in the pool";
        }
        return null;
    }

    public static async Task<List<PoolEntry>> ListAsync(RecoverlyDb db, CancellationToken ct) =>
        (await db.PoolNumbers.AsNoTracking().OrderBy(p => p.E164)
            .Select(p => new
            {
                p.E164, p.Note, p.AddedAt,
                BusinessId = db.Numbers.Where(n => n.E164 == p.E164).Select(n => (long?)n.BusinessId).FirstOrDefault(),
            })
            .ToListAsync(ct))
        .Select(p => new PoolEntry(p.E164, p.Note, p.BusinessId, p.AddedAt)).ToList();

    /// <summary>Takes a number out of the pool; a business that has it keeps it. Returns the problem, or null.</summary>
    public static async Task<string?> RemoveAsync(RecoverlyDb db, IWriteGate gate, string e164, CancellationToken ct)
    {
        using var _ = await gate.EnterAsync(ct);
        var removed = await db.PoolNumbers.Where(p => p.E164 == e164).ExecuteDeleteAsync(ct);
        return removed == 0 ? $"{e164} is not in the pool" : null;
    }
}
