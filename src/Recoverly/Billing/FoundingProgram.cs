using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;

namespace Recoverly.Billing;

public enum FoundingOutcome { Granted, AlreadyFounding, Full, NotEligible, NotVerified }

public sealed record FoundingResult(FoundingOutcome Outcome, int? Slot = null);

/// <summary>
/// Founding User Program: free lifetime access for the first ten businesses, no card, once the owner's email is
/// confirmed and call forwarding verified.
/// The database decides who is in: each of the ten slots is a primary key, and a business may hold
/// at most one (unique BusinessId), so simultaneous claims can never grant an eleventh place.
/// </summary>
public sealed class FoundingProgram(RecoverlyDb db, IWriteGate gate, TimeProvider time, ILogger<FoundingProgram> log)
{
    public const int Places = 10;

    public async Task<int> PlacesLeftAsync(CancellationToken ct = default) =>
        Math.Max(0, Places - await db.FoundingClaims.CountAsync(ct));

    public async Task<FoundingResult> ClaimAsync(long businessId, CancellationToken ct = default)
    {
        if (await SlotOfAsync(businessId, ct) is { } held) return new(FoundingOutcome.AlreadyFounding, held);
        var business = await db.Businesses.AsNoTracking().FirstOrDefaultAsync(b => b.Id == businessId, ct);
        if (business is null || business.DeletedAt is not null) return new(FoundingOutcome.NotEligible);
        // Free-for-life places go to real businesses, not to throw-away sign-ups: a confirmed email and a forwarded test call first.
        if (!await IsVerifiedAsync(business, ct)) return new(FoundingOutcome.NotVerified);
        // A running paid subscription would keep charging: the owner cancels it first.
        if (business.Plan is PlanState.Active or PlanState.PastDue && business.StripeSubscriptionId is not null)
            return new(FoundingOutcome.NotEligible);

        var taken = (await db.FoundingClaims.AsNoTracking().Select(c => c.Slot).ToListAsync(ct)).ToHashSet();
        for (var slot = 1; slot <= Places; slot++)
        {
            if (taken.Contains(slot)) continue;
            if (await TryTakeAsync(slot, businessId, ct)) return new(FoundingOutcome.Granted, slot);
            // Lost the race for this slot — or another request of this same business won a slot meanwhile.
            if (await SlotOfAsync(businessId, ct) is { } won) return new(FoundingOutcome.AlreadyFounding, won);
        }
        return new(FoundingOutcome.Full);
    }

    /// <summary>The owner's email is confirmed and forwarding was verified with a test call.</summary>
    public async Task<bool> IsVerifiedAsync(Business business, CancellationToken ct) =>
        business.ForwardingVerifiedAt is not null && await Accounts.IsEmailVerifiedAsync(db, business.Id, ct);

    private async Task<int?> SlotOfAsync(long businessId, CancellationToken ct) =>
        await db.FoundingClaims.AsNoTracking().Where(c => c.BusinessId == businessId).Select(c => (int?)c.Slot).FirstOrDefaultAsync(ct);

    /// <summary>One short transaction per slot: insert the claim (the keys decide) and mark the business Founding.</summary>
    private async Task<bool> TryTakeAsync(int slot, long businessId, CancellationToken ct)
    {
        using var _ = await gate.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            db.FoundingClaims.Add(new FoundingClaim { Slot = slot, BusinessId = businessId, ClaimedAt = time.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync(ct);
            await db.Businesses.Where(b => b.Id == businessId)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.Plan, PlanState.Founding).SetProperty(b => b.PastDueSince, (DateTime?)null), ct);
            await tx.CommitAsync(ct);
            log.LogInformation("Founding slot {Slot} granted to business {BusinessId}", slot, businessId);
            return true;
        }
        catch (DbUpdateException)
        {
            await tx.RollbackAsync(CancellationToken.None);
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}
