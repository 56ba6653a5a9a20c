using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Consent;

/// <summary>
/// The only ways a caller's consent to one business's texts changes (docs/product/consent.md): an opt-out
/// (STOP or a stop phrase, the carrier's 21610, or one the owner heard and recorded) and an opt-in (START,
/// or YES while opted out). Each runs inside the caller's write transaction, one change per (business,
/// phone) at a time, and returns whether the state actually changed — which decides the confirmation.
/// </summary>
public static class CallerConsentChanges
{
    /// <summary>
    /// Records the opt-out and cancels every text to this phone from this business that has not gone yet
    /// (answers to keywords excepted). A message the caller sent is always kept as evidence; an opt-out
    /// learned another way is appended only when it changes the state.
    /// </summary>
    /// <returns>True when the caller was subscribed until now (the first opt-out: confirm it once).</returns>
    public static async Task<bool> OptOutAsync(RecoverlyDb db, long businessId, string phone, ConsentEvidence evidence, DateTime now,
        CancellationToken ct)
    {
        await ConsentLedger.SerializeAsync(db, businessId, phone, ct);
        var wasSubscribed = await ConsentLedger.CallerStateAsync(db, businessId, phone, ct) == CallerConsent.Subscribed;
        if (wasSubscribed || IsOwnMessage(evidence))
            ConsentLedger.Append(db, businessId, phone, ConsentKind.OptOut, evidence, now);
        await CancelPendingAsync(db, businessId, phone, ct);
        return wasSubscribed;
    }

    /// <returns>True when the caller was opted out until now.</returns>
    public static async Task<bool> OptInAsync(RecoverlyDb db, long businessId, string phone, ConsentEvidence evidence, DateTime now,
        CancellationToken ct)
    {
        await ConsentLedger.SerializeAsync(db, businessId, phone, ct);
        var wasOptedOut = await ConsentLedger.CallerStateAsync(db, businessId, phone, ct) == CallerConsent.OptedOut;
        ConsentLedger.Append(db, businessId, phone, ConsentKind.OptIn, evidence, now);
        return wasOptedOut;
    }

    /// <summary>HELP changes nothing, but it is part of the record of what the caller asked.</summary>
    public static void RecordHelp(RecoverlyDb db, long businessId, string phone, ConsentEvidence evidence, DateTime now) =>
        ConsentLedger.Append(db, businessId, phone, ConsentKind.Help, evidence, now);

    private static bool IsOwnMessage(ConsentEvidence evidence) => evidence.Source is ConsentSource.Keyword or ConsentSource.Phrase;

    /// <summary>A fenced send (status Sending) is already on its way and is not touched; its fence re-checked consent.</summary>
    private static Task<int> CancelPendingAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct) =>
        db.OutboundMessages
            .Where(m => m.BusinessId == businessId && m.To == phone && m.Status == OutboundStatus.Pending
                        && m.Kind != OutboundKind.OptOutConfirmation && m.Kind != OutboundKind.HelpReply)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboundStatus.Cancelled)
                .SetProperty(m => m.Reason, OutboxReason.CallerOptedOut), ct);
}
