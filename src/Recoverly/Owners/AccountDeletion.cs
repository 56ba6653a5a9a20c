using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>
/// Deleting an account removes what was said (message bodies, voicemail — here and at the provider) and the owner's login, and
/// gives up the Recoverly number; the consent ledger stays, because it is the evidence of every
/// opt-out for the TCPA limitation period (docs/product/consent.md) — its table refuses deletes anyway.
/// </summary>
public static class AccountDeletion
{
    public static async Task DeleteAsync(RecoverlyDb db, long businessId, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);

        await db.OutboundMessages
            .Where(m => m.BusinessId == businessId && (m.Status == OutboundStatus.Pending || m.Status == OutboundStatus.InDoubt))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboundStatus.Cancelled)
                .SetProperty(m => m.Reason, OutboxReason.AccountDeleted), ct);
        await db.OutboundMessages.Where(m => m.BusinessId == businessId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Body, ""), ct);
        await db.InboundMessages.Where(m => m.BusinessId == businessId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Body, ""), ct);
        // The recordings also live at the provider: queued here, deleted there by the dispatcher until it succeeds.
        await Telephony.ProviderDeletions.QueueAsync(db, businessId, now, ct);
        await db.MissedCalls.Where(c => c.BusinessId == businessId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.RecordingUrl, (string?)null)
                .SetProperty(c => c.Transcription, (string?)null), ct);

        // The number goes back to the pool: calls and texts to it no longer reach this business.
        await db.Numbers.Where(n => n.BusinessId == businessId).ExecuteDeleteAsync(ct);
        await db.LineVerificationCalls.Where(c => c.BusinessId == businessId).ExecuteDeleteAsync(ct);
        await db.ScreenedCalls.Where(c => c.BusinessId == businessId).ExecuteDeleteAsync(ct);
        // Its devices' push addresses and keys go too: nothing is pushed for a deleted account.
        await db.PushDevices.Where(d => d.BusinessId == businessId).ExecuteDeleteAsync(ct);

        var accounts = db.OwnerAccounts.Where(a => a.BusinessId == businessId).Select(a => a.Id);
        await db.PasswordResetTokens.Where(t => accounts.Contains(t.AccountId)).ExecuteDeleteAsync(ct);
        await db.OwnerAccounts.Where(a => a.BusinessId == businessId).ExecuteDeleteAsync(ct);

        await db.Businesses.Where(b => b.Id == businessId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.DeletedAt, now)
                .SetProperty(b => b.TextingPaused, true)
                .SetProperty(b => b.OwnerPhone, (string?)null)
                .SetProperty(b => b.OwnerEmail, (string?)null)
                .SetProperty(b => b.EmailAlerts, false)
                .SetProperty(b => b.TextBackTemplate, (string?)null)
                .SetProperty(b => b.AfterHoursTemplate, (string?)null), ct);
        await tx.CommitAsync(ct);
    }
}
