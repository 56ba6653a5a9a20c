using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Consent;

public enum CallerConsent { Subscribed, OptedOut }

public enum OwnerAlertConsent { None, Requested, Confirmed, OptedOut }

/// <summary>
/// Reads and appends the consent ledger. <see cref="MayTextAsync"/> is the one place that decides
/// whether a text may go to a number for a business; it runs at schedule time and again
/// immediately before every send.
/// </summary>
public static class ConsentLedger
{
    private static readonly ConsentKind[] CallerKinds = [ConsentKind.OptOut, ConsentKind.OptIn];
    private static readonly ConsentKind[] OwnerKinds = [ConsentKind.OwnerOptIn, ConsentKind.OwnerConfirmed, ConsentKind.OwnerOptOut];

    public static async Task<CallerConsent> CallerStateAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct)
    {
        var latest = await LatestAsync(db, businessId, phone, CallerKinds, ct);
        return latest == ConsentKind.OptOut ? CallerConsent.OptedOut : CallerConsent.Subscribed;
    }

    public static async Task<OwnerAlertConsent> OwnerStateAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct)
    {
        var latest = await LatestAsync(db, businessId, phone, OwnerKinds, ct);
        return latest switch
        {
            ConsentKind.OwnerOptIn => OwnerAlertConsent.Requested,
            ConsentKind.OwnerConfirmed => OwnerAlertConsent.Confirmed,
            ConsentKind.OwnerOptOut => OwnerAlertConsent.OptedOut,
            _ => OwnerAlertConsent.None,
        };
    }

    /// <summary>May a text of this kind go to this number for this business now?</summary>
    public static async Task<bool> MayTextAsync(RecoverlyDb db, long businessId, string phone, OutboundKind kind, CancellationToken ct) =>
        kind switch
        {
            // Answers to a keyword go to anyone: the STOP confirmation and HELP are owed even to an opted-out number.
            OutboundKind.OptOutConfirmation or OutboundKind.HelpReply => true,
            OutboundKind.TextBack or OutboundKind.OptInConfirmation or OutboundKind.OwnerReply =>
                await CallerStateAsync(db, businessId, phone, ct) == CallerConsent.Subscribed,
            OutboundKind.OwnerOptInRequest =>
                await OwnerStateAsync(db, businessId, phone, ct) == OwnerAlertConsent.Requested,
            // Confirmation of STOP/YES from the owner, and HELP answers to the owner.
            OutboundKind.OwnerConfirmation => true,
            OutboundKind.OwnerAlert or OutboundKind.OwnerReplyAlert or OutboundKind.OwnerNotice or OutboundKind.OwnerDigest =>
                await OwnerStateAsync(db, businessId, phone, ct) == OwnerAlertConsent.Confirmed,
            _ => false,
        };

    public static ConsentEvent Append(RecoverlyDb db, long businessId, string phone, ConsentKind kind, ConsentSource source,
        string? evidenceRef, string? evidenceText, DateTime at)
    {
        var e = new ConsentEvent
        {
            BusinessId = businessId,
            Phone = phone,
            Kind = kind,
            Source = source,
            EvidenceRef = evidenceRef,
            EvidenceText = evidenceText is { Length: > 2000 } ? evidenceText[..2000] : evidenceText,
            At = at,
        };
        db.ConsentEvents.Add(e);
        return e;
    }

    /// <summary>Cancels every text to this caller from this business that has not gone yet.</summary>
    public static Task<int> CancelPendingAsync(RecoverlyDb db, long businessId, string phone, string reason, CancellationToken ct) =>
        db.OutboundMessages
            .Where(m => m.BusinessId == businessId && m.To == phone && m.Status == OutboundStatus.Pending
                        && m.Kind != OutboundKind.OptOutConfirmation && m.Kind != OutboundKind.HelpReply)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboundStatus.Cancelled)
                .SetProperty(m => m.StatusReason, reason), ct);

    private static async Task<ConsentKind?> LatestAsync(RecoverlyDb db, long businessId, string phone, ConsentKind[] kinds, CancellationToken ct)
    {
        var rows = await db.ConsentEvents
            .Where(e => e.BusinessId == businessId && e.Phone == phone && kinds.Contains(e.Kind))
            .OrderByDescending(e => e.Id)
            .Select(e => (ConsentKind?)e.Kind)
            .Take(1)
            .ToListAsync(ct);
        return rows.Count == 0 ? null : rows[0];
    }
}
