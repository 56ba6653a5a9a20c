using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Consent;

public enum OwnerAlertRequest
{
    /// <summary>The opt-in is recorded and the "reply YES" text is queued.</summary>
    Requested,
    /// <summary>This phone already confirmed with YES: nothing to send.</summary>
    AlreadyOn,
    /// <summary>This phone was sent a request moments ago: it must answer that one.</summary>
    TooSoon,
    /// <summary>Refused for <see cref="OwnerAlertRequestResult.Refusal"/>: nothing is recorded or sent.</summary>
    Refused,
}

public readonly record struct OwnerAlertRequestResult(OwnerAlertRequest Outcome, OwnerTextRefusal? Refusal = null);

/// <summary>
/// Owner alerts by SMS, as a subscription of one phone to one business (docs/product/owner-alerts.md):
/// the owner asks (a ticked box, or the operator's CLI), Recoverly texts "reply YES", alerts start only
/// after that YES, and STOP, the Settings switch or the carrier's 21610 turn them off. Every page and
/// handler goes through these functions; none of them writes owner consent itself.
/// </summary>
public static class OwnerAlertSubscription
{
    /// <summary>The version of <see cref="Disclosure"/>; it is the evidence reference of every web opt-in.</summary>
    public const string DisclosureVersion = "owner-alerts-v1";

    /// <summary>Shown beside the unticked box (onboarding and Settings) and kept, word for word, with each opt-in.</summary>
    public const string Disclosure =
        "Text me Recoverly missed-call alerts at this mobile number: one text per missed call and per caller reply " +
        "(message frequency varies with your calls, at most 50 a day). Msg & data rates may apply. " +
        "Reply STOP to cancel, HELP for help. We'll text you first to confirm; alerts start only after you reply YES. " +
        "Alerts are optional: you can use Recoverly without them.";

    /// <summary>At most one "reply YES" text per phone in this long: the form must not become a way to text strangers.</summary>
    public static readonly TimeSpan RequestSpacing = TimeSpan.FromMinutes(10);

    public static Task<OwnerAlertConsent> StateAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct) =>
        ConsentLedger.OwnerStateAsync(db, businessId, phone, ct);

    /// <summary>
    /// Records the owner's opt-in request and queues the "reply YES" text from <paramref name="fromNumber"/>, unless
    /// the phone itself said STOP to this business's alerts, or (for an owner's request, <paramref name="policy"/> set)
    /// the owner-text gate refuses it. The operator's CLI passes no policy: it vouches for the phone, but a phone's
    /// STOP still wins. Call inside a write transaction; the caller commits only when the result is
    /// <see cref="OwnerAlertRequest.Requested"/> or <see cref="OwnerAlertRequest.AlreadyOn"/>.
    /// </summary>
    public static async Task<OwnerAlertRequestResult> RequestAsync(RecoverlyDb db, Business business, string phone, string fromNumber,
        ConsentEvidence evidence, OwnerTextPolicy? policy, DateTime now, CancellationToken ct)
    {
        await ConsentLedger.SerializeAsync(db, business.Id, phone, ct);
        if (policy is not null && await OwnerTexting.CheckAsync(db, business, phone, policy, now, ct) is { } refused)
            return new(OwnerAlertRequest.Refused, refused);
        var state = await StateAsync(db, business.Id, phone, ct);
        if (state == OwnerAlertConsent.Confirmed) return new(OwnerAlertRequest.AlreadyOn);
        if (state == OwnerAlertConsent.Requested)
        {
            var lastRequest = await db.OutboundMessages.AsNoTracking()
                .Where(m => m.BusinessId == business.Id && m.To == phone && m.Kind == OutboundKind.OwnerOptInRequest)
                .OrderByDescending(m => m.Id).Select(m => (DateTime?)m.CreatedAt).FirstOrDefaultAsync(ct);
            if (lastRequest > now - RequestSpacing) return new(OwnerAlertRequest.TooSoon);
        }
        if (await PhoneSaidStopAsync(db, business.Id, phone, ct)) return new(OwnerAlertRequest.Refused, OwnerTextRefusal.PhoneOptedOut);
        if (policy is not null && await OwnerTexting.TakeSlotsAsync(db, business.Id, OwnerTextKind.AlertRequest, phone, now, ct) is { } capped)
            return new(OwnerAlertRequest.Refused, capped);
        ConsentLedger.Append(db, business.Id, phone, ConsentKind.OwnerOptIn, evidence, now);
        Outbox.Enqueue(db, new OutboxItem(business.Id, OutboundKind.OwnerOptInRequest, phone, fromNumber,
            TextTemplates.OwnerOptInRequest(fromNumber)), now);
        return new(OwnerAlertRequest.Requested);
    }

    /// <summary>
    /// True when the phone's own STOP (a keyword, a stop phrase, or the carrier's opt-out error) is the latest word
    /// from it about this business's alerts: only its own START or YES undoes that, never a form.
    /// </summary>
    public static async Task<bool> PhoneSaidStopAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct)
    {
        var latest = await db.ConsentEvents.AsNoTracking()
            .Where(e => e.BusinessId == businessId && e.Phone == phone
                        && (e.Kind == ConsentKind.OwnerConfirmed || (e.Kind == ConsentKind.OwnerOptOut
                            && (e.Source == ConsentSource.Keyword || e.Source == ConsentSource.Phrase || e.Source == ConsentSource.ProviderError))))
            .OrderByDescending(e => e.Id)
            .Select(e => (ConsentKind?)e.Kind)
            .Take(1)
            .ToListAsync(ct);
        return latest is [ConsentKind.OwnerOptOut];
    }

    /// <summary>YES (or START) from the owner's phone while alerts wait for it or were turned off.</summary>
    /// <returns>True when alerts are now on because of this message (confirm it once).</returns>
    public static async Task<bool> ConfirmAsync(RecoverlyDb db, long businessId, string phone, ConsentEvidence evidence, DateTime now,
        CancellationToken ct)
    {
        await ConsentLedger.SerializeAsync(db, businessId, phone, ct);
        if (await StateAsync(db, businessId, phone, ct) is not (OwnerAlertConsent.Requested or OwnerAlertConsent.OptedOut)) return false;
        ConsentLedger.Append(db, businessId, phone, ConsentKind.OwnerConfirmed, evidence, now);
        return true;
    }

    /// <summary>
    /// Alerts off for this phone, and every pending text to it cancelled. Appended when it changes the
    /// state; the owner's own STOP is always kept as evidence.
    /// </summary>
    /// <returns>True when alerts were not already off (confirm the STOP once).</returns>
    public static async Task<bool> TurnOffAsync(RecoverlyDb db, long businessId, string phone, ConsentEvidence evidence, DateTime now,
        CancellationToken ct)
    {
        await ConsentLedger.SerializeAsync(db, businessId, phone, ct);
        var changed = await StateAsync(db, businessId, phone, ct) != OwnerAlertConsent.OptedOut;
        if (changed || evidence.Source is ConsentSource.Keyword or ConsentSource.Phrase)
            ConsentLedger.Append(db, businessId, phone, ConsentKind.OwnerOptOut, evidence, now);
        await db.OutboundMessages
            .Where(o => o.BusinessId == businessId && o.To == phone && o.Status == OutboundStatus.Pending)
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Status, OutboundStatus.Cancelled)
                .SetProperty(o => o.Reason, OutboxReason.OwnerAlertsOff), ct);
        return changed;
    }
}
