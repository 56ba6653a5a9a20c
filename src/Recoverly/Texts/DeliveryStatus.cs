using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Operator;
using Recoverly.Telephony;

namespace Recoverly.Texts;

/// <summary>
/// Applies a provider's message status to the outbox row. Callbacks may arrive out of order or
/// twice, so a status only ever moves forward.
/// </summary>
public static class DeliveryStatus
{
    /// <summary>Twilio's statuses and Telnyx's (<c>delivery_failed</c>, <c>sending_failed</c>, <c>delivery_unconfirmed</c>, <c>expired</c>).</summary>
    public static OutboundStatus? Map(string? providerStatus) => providerStatus?.Trim().ToLowerInvariant() switch
    {
        "accepted" or "queued" or "scheduled" => OutboundStatus.Queued,
        // Telnyx: the carrier took it but never confirmed delivery — as far as we know, sent.
        "sending" or "sent" or "delivery_unconfirmed" => OutboundStatus.Sent,
        "delivered" or "read" => OutboundStatus.Delivered,
        "undelivered" or "delivery_failed" => OutboundStatus.Undelivered,
        // Telnyx: "expired" left its queue unsent.
        "failed" or "sending_failed" or "expired" => OutboundStatus.Failed,
        "canceled" => OutboundStatus.Cancelled,
        _ => null,
    };

    public static int Rank(OutboundStatus status) => status switch
    {
        OutboundStatus.Pending or OutboundStatus.InDoubt or OutboundStatus.Sending => 0,
        OutboundStatus.Queued => 1,
        OutboundStatus.Sent => 2,
        _ => 3,
    };

    public static bool IsFinal(OutboundStatus status) => Rank(status) == 3;

    /// <summary>Recoverly's own answers to an inbound keyword (a 21610 on one means the provider answered the keyword first).</summary>
    public static bool IsKeywordAnswer(OutboundKind kind) => kind is OutboundKind.OptOutConfirmation or OutboundKind.OptInConfirmation
        or OutboundKind.HelpReply or OutboundKind.OwnerConfirmation;

    /// <summary>Returns false when no outbox row carries this SID (yet).</summary>
    public static async Task<bool> ApplyAsync(RecoverlyDb db, string sid, string providerStatus, int? errorCode, DateTime now, CancellationToken ct)
    {
        var message = await db.OutboundMessages.FirstOrDefaultAsync(m => m.ProviderSid == sid, ct);
        if (message is null) return false;
        if (Map(providerStatus) is not { } status || Rank(status) <= Rank(message.Status)) return true;

        message.Status = status;
        message.ProviderStatus = providerStatus;
        if (status == OutboundStatus.Delivered) message.DeliveredAt = now;
        if (errorCode is { } code and > 0)
        {
            var error = ProviderErrors.Describe(code);
            message.ErrorCode = code;
            message.Reason = OutboxReason.ProviderError;
            if (error.Category == ErrorCategory.Expired)
            {
                // The provider dropped it when its validity period ran out: the owner reads "expired", not "failed".
                message.Status = OutboundStatus.Expired;
                message.Reason = OutboxReason.NotSentInTime;
            }
            await LearnFromErrorAsync(db, message, error, now, ct);
        }
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>
    /// Provider errors that teach us something lasting: 21610 is an opt-out (the ledger and the
    /// provider must agree, and on a keyword answer it means the keyword setting is wrong); 21614/21635 mark the number
    /// as a landline for this business, for 90 days; a carrier volume limit is the operator's to see.
    /// </summary>
    public static async Task LearnFromErrorAsync(RecoverlyDb db, OutboundMessage message, ProviderError error, DateTime now, CancellationToken ct)
    {
        if (error.Category == ErrorCategory.OptedOut)
        {
            var evidence = ConsentEvidence.ProviderError(error.Code, message.ProviderSid);
            if (message.Kind.IsToOwner())
                await OwnerAlertSubscription.TurnOffAsync(db, message.BusinessId, message.To, evidence, now, ct);
            else
                await CallerConsentChanges.OptOutAsync(db, message.BusinessId, message.To, evidence, now, ct);
            if (IsKeywordAnswer(message.Kind))
                await OperatorNotices.RaiseAsync(db, OperatorNotices.KeywordRepliesMismatch, OperatorNotices.ConfirmationRefusedAsOptedOut, now, ct);
        }
        else if (error.Category == ErrorCategory.Throttled)
        {
            await OperatorNotices.RaiseAsync(db, OperatorNotices.SenderThrottled,
                $"Carriers are limiting sender {message.From}: error {error.Code} ({error.Reason}). Check its 10DLC or toll-free registration and volume.", now, ct);
        }
        else if (error.Category == ErrorCategory.Landline)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "LearnedLineTypes" ("BusinessId", "Phone", "LineType", "ErrorCode", "LearnedAt")
                VALUES ({message.BusinessId}, {message.To}, {"landline"}, {error.Code}, {now})
                ON CONFLICT ("BusinessId", "Phone") DO UPDATE SET "ErrorCode" = excluded."ErrorCode", "LearnedAt" = excluded."LearnedAt"
                """, ct);
        }
    }
}
