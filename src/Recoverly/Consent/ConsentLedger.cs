using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Hosting;
using Recoverly.Texts;

namespace Recoverly.Consent;

public enum CallerConsent { Subscribed, OptedOut }

public enum OwnerAlertConsent { None, Requested, Confirmed, OptedOut }

/// <summary>
/// Reads and appends the consent ledger (docs/product/consent.md). <see cref="MayTextAsync"/> is the one
/// place that decides whether a text may go to a number for a business; it runs when a text is queued
/// and again in the dispatcher's fence right before every send. Changes go through
/// <see cref="CallerConsentChanges"/> and <see cref="OwnerAlertSubscription"/>, never through <see cref="Append"/> directly.
/// </summary>
public static class ConsentLedger
{
    internal static readonly ConsentKind[] CallerKinds = [ConsentKind.OptOut, ConsentKind.OptIn];
    internal static readonly ConsentKind[] OwnerKinds = [ConsentKind.OwnerOptIn, ConsentKind.OwnerConfirmed, ConsentKind.OwnerOptOut];

    public static async Task<CallerConsent> CallerStateAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct)
    {
        var latest = await LatestAsync(db, businessId, phone, CallerKinds, ct);
        return latest == ConsentKind.OptOut ? CallerConsent.OptedOut : CallerConsent.Subscribed;
    }

    public static async Task<OwnerAlertConsent> OwnerStateAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct) =>
        OwnerState(await LatestAsync(db, businessId, phone, OwnerKinds, ct));

    public static OwnerAlertConsent OwnerState(ConsentKind? latest) => latest switch
    {
        ConsentKind.OwnerOptIn => OwnerAlertConsent.Requested,
        ConsentKind.OwnerConfirmed => OwnerAlertConsent.Confirmed,
        ConsentKind.OwnerOptOut => OwnerAlertConsent.OptedOut,
        _ => OwnerAlertConsent.None,
    };

    /// <summary>May a text of this kind go to this number for this business now?</summary>
    public static async Task<bool> MayTextAsync(RecoverlyDb db, long businessId, string phone, OutboundKind kind, CancellationToken ct) =>
        Requirement(kind) switch
        {
            TextRequirement.Nothing => true,
            TextRequirement.CallerSubscribed => await CallerStateAsync(db, businessId, phone, ct) == CallerConsent.Subscribed,
            TextRequirement.OwnerRequested => await OwnerStateAsync(db, businessId, phone, ct) == OwnerAlertConsent.Requested,
            TextRequirement.OwnerConfirmed => await OwnerStateAsync(db, businessId, phone, ct) == OwnerAlertConsent.Confirmed,
            _ => false,
        };

    /// <summary>What the ledger must say for a text of this kind to go.</summary>
    public static TextRequirement Requirement(OutboundKind kind) => kind switch
    {
        // Answers to a keyword go to anyone: the STOP confirmation and HELP are owed even to an opted-out number.
        OutboundKind.OptOutConfirmation or OutboundKind.HelpReply => TextRequirement.Nothing,
        OutboundKind.TextBack or OutboundKind.OptInConfirmation or OutboundKind.OwnerReply => TextRequirement.CallerSubscribed,
        OutboundKind.OwnerOptInRequest => TextRequirement.OwnerRequested,
        // Confirmation of STOP/YES from the owner, and HELP answers to the owner.
        OutboundKind.OwnerConfirmation => TextRequirement.Nothing,
        OutboundKind.OwnerAlert or OutboundKind.OwnerReplyAlert or OutboundKind.OwnerNotice or OutboundKind.OwnerDigest
            or OutboundKind.OwnerVoicemailAlert or OutboundKind.OwnerEmergencyAlert => TextRequirement.OwnerConfirmed,
        // E-mail alerts do not text anyone; the dispatcher checks the e-mail setting instead.
        OutboundKind.OwnerEmail or OutboundKind.OwnerSummaryEmail => TextRequirement.Nothing,
        // Push texts nobody either: the device's subscription is its consent, checked when it is sent.
        OutboundKind.OwnerPush => TextRequirement.Nothing,
        _ => TextRequirement.Never,
    };

    /// <summary>
    /// <see cref="Requirement"/> as a SQL condition on an outbox row aliased <paramref name="row"/>: the
    /// dispatcher's fence evaluates it in the same statement that marks the row as being sent, so a STOP
    /// that commits before the fence always wins. Built from <see cref="Requirement"/>, never written twice.
    /// </summary>
    public static string SqlCondition(string row)
    {
        string Latest(ConsentKind[] kinds) =>
            $"""(SELECT e."Kind" FROM "ConsentEvents" e WHERE e."BusinessId" = {row}."BusinessId" AND e."Phone" = {row}."To" AND e."Kind" IN ({Quoted(kinds)}) ORDER BY e."Id" DESC LIMIT 1)""";
        string KindsNeeding(TextRequirement requirement) =>
            Quoted(Enum.GetValues<OutboundKind>().Where(k => Requirement(k) == requirement));

        var parts = new List<string>();
        foreach (var requirement in Enum.GetValues<TextRequirement>())
        {
            if (!Enum.GetValues<OutboundKind>().Any(k => Requirement(k) == requirement)) continue;
            var condition = requirement switch
            {
                TextRequirement.Nothing => "1 = 1",
                TextRequirement.CallerSubscribed => $"COALESCE({Latest(CallerKinds)}, '') <> '{ConsentKind.OptOut}'",
                TextRequirement.OwnerRequested => $"{Latest(OwnerKinds)} = '{ConsentKind.OwnerOptIn}'",
                TextRequirement.OwnerConfirmed => $"{Latest(OwnerKinds)} = '{ConsentKind.OwnerConfirmed}'",
                _ => "1 = 0",
            };
            parts.Add($"""({row}."Kind" IN ({KindsNeeding(requirement)}) AND {condition})""");
        }
        return "(" + string.Join(" OR ", parts) + ")";
    }

    private static string Quoted<T>(IEnumerable<T> values) where T : struct, Enum => string.Join(", ", values.Select(v => $"'{v}'"));

    /// <summary>The only write to the ledger; callers are the change functions in this folder.</summary>
    internal static ConsentEvent Append(RecoverlyDb db, long businessId, string phone, ConsentKind kind, ConsentEvidence evidence, DateTime at)
    {
        var e = new ConsentEvent
        {
            BusinessId = businessId,
            Phone = phone,
            Kind = kind,
            Source = evidence.Source,
            EvidenceRef = evidence.Ref is { Length: > 200 } r ? r[..200] : evidence.Ref,
            EvidenceText = evidence.Text is { Length: > 2000 } t ? t[..2000] : evidence.Text,
            At = at,
        };
        db.ConsentEvents.Add(e);
        RecoverlyMetrics.ConsentRecorded(kind);
        return e;
    }

    /// <summary>
    /// Consent changes for one (business, phone) happen one at a time, so two STOPs handled at the same
    /// moment see each other and confirm once. Call first thing inside the write transaction.
    /// </summary>
    internal static Task SerializeAsync(RecoverlyDb db, long businessId, string phone, CancellationToken ct) =>
        KeyLock.LockAsync(db, $"consent:{businessId}:{phone}", ct);

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

public enum TextRequirement { Nothing, CallerSubscribed, OwnerRequested, OwnerConfirmed, Never }
