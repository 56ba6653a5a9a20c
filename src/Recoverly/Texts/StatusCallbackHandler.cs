using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Texts;

/// <summary>A sent text's status event (Twilio /twilio/sms/status, Telnyx message.sent / message.finalized): each (message id, status) is kept once, then applied forward-only.</summary>
public sealed class StatusCallbackHandler(RecoverlyDb db, TimeProvider time, SenderRegistrations registrations, ILogger<StatusCallbackHandler> log)
{
    public async Task HandleAsync(string messageSid, string status, int? errorCode, CancellationToken ct)
    {
        var normalized = status.Trim().ToLowerInvariant();
        if (await db.MessageStatusEvents.AnyAsync(e => e.MessageSid == messageSid && e.Status == normalized, ct)) return;
        var now = time.GetUtcNow().UtcDateTime;
        // The write gate is held until the transaction is disposed: marking the sender unregistered below writes on its own.
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            // The dispatcher may be storing this SID right now; one of us must see the other's commit.
            await KeyLock.LockAsync(db, messageSid, ct);
            db.MessageStatusEvents.Add(new MessageStatusEvent { MessageSid = messageSid, Status = normalized, ErrorCode = errorCode, ReceivedAt = now });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                return; // the same callback, delivered twice at once
            }
            await DeliveryStatus.ApplyAsync(db, messageSid, normalized, errorCode, now, ct);
            await tx.CommitAsync(ct);
        }
        // Carriers say the sender is not registered: its later texts are held (docs/product/registration.md).
        if (errorCode is SenderRegistrations.UnregisteredTwilio or SenderRegistrations.UnverifiedTollFree && registrations.Enabled
            && await db.OutboundMessages.AsNoTracking().Where(m => m.ProviderSid == messageSid).Select(m => m.From).FirstOrDefaultAsync(ct) is { } from)
            await registrations.MarkUnregisteredAsync(from, errorCode.Value, ct);
        if (errorCode is { } code && ProviderErrors.Describe(code).Category is ErrorCategory.Throttled or ErrorCategory.Configuration)
            log.LogWarning("Message {MessageSid} failed after acceptance with {Code}: needs operator attention (operator page)", messageSid, code);
    }
}
