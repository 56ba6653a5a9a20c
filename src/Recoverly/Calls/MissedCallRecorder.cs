using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Calls;

public sealed record IncomingCall(string CallSid, string From, string To, string? StirVerstat, string? ForwardedFrom);

public sealed record RecordedCall(Business Business, MissedCall Call, bool Replayed);

/// <summary>
/// Turns a missed-call webhook into a recorded call with exactly one outcome (SPEC 1.2) and, when
/// eligible, one queued text-back — all in one transaction. It never talks to the provider.
/// </summary>
public sealed class MissedCallRecorder(RecoverlyDb db, IWriteGate gate, TimeProvider time, IOptions<RecoverlyOptions> options,
    BillingSettings billing, DispatchSignal signal, PublicUrls urls, ILogger<MissedCallRecorder> log)
{
    public static readonly TimeSpan TextBackLifetime = TimeSpan.FromMinutes(60);

    /// <summary>Null when the called number is not one of ours.</summary>
    public async Task<RecordedCall?> RecordAsync(IncomingCall incoming, CancellationToken ct)
    {
        var business = await BusinessForNumberAsync(incoming.To, ct);
        return business is null ? null : await RecordAsync(business, incoming, ct);
    }

    /// <summary>Records a missed call for a business the caller already looked up by the called number.</summary>
    public async Task<RecordedCall> RecordAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {

        var existing = await db.MissedCalls.AsNoTracking().FirstOrDefaultAsync(c => c.CallSid == incoming.CallSid, ct);
        if (existing is not null) return new RecordedCall(business, existing, Replayed: true);

        MissedCall call;
        using (await gate.EnterAsync(ct))
        {
            try
            {
                call = await RecordInTransactionAsync(business, incoming, ct);
            }
            catch (DbUpdateException)
            {
                // Twilio retried while the first delivery was still being recorded: the unique CallSid index decided.
                db.ChangeTracker.Clear();
                var raced = await db.MissedCalls.AsNoTracking().FirstOrDefaultAsync(c => c.CallSid == incoming.CallSid, ct);
                if (raced is null) throw;
                return new RecordedCall(business, raced, Replayed: true);
            }
        }
        log.LogInformation("Missed call {CallSid} for business {BusinessId} from {Caller}: {Outcome}",
            call.CallSid, business.Id, Phones.Mask(call.FromE164 ?? call.FromRaw), call.Outcome);
        signal.Notify();
        return new RecordedCall(business, call, Replayed: false);
    }

    public Task<Business?> BusinessForNumberAsync(string to, CancellationToken ct) =>
        db.Businesses.AsNoTracking()
            .Where(b => db.Numbers.Any(n => n.BusinessId == b.Id && n.E164 == to))
            .FirstOrDefaultAsync(ct);

    private async Task<MissedCall> RecordInTransactionAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var caller = Phones.ParseCaller(incoming.From);
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        var call = new MissedCall
        {
            BusinessId = business.Id,
            CallSid = incoming.CallSid,
            FromRaw = Truncate(incoming.From, 64)!,
            FromE164 = caller.E164,
            To = incoming.To,
            At = now,
            StirVerstat = Truncate(incoming.StirVerstat, 64),
            ForwardedFrom = Truncate(incoming.ForwardedFrom, 64),
        };
        db.MissedCalls.Add(call);
        await db.SaveChangesAsync(ct);

        Contact? contact = null;
        if (caller.Kind == CallerIdKind.Number && caller.E164 is { } phone && !await IsInternalAsync(business, phone, ct))
        {
            contact = await JoinEpisodeAsync(business, phone, call, now, ct);
            call.ContactId = contact.Id;
        }

        call.Outcome = await DecideAsync(business, caller, incoming, contact, now, ct);
        if (call.Outcome == CallOutcome.Texted)
        {
            db.OutboundMessages.Add(new OutboundMessage
            {
                BusinessId = business.Id,
                ContactId = contact!.Id,
                MissedCallId = call.Id,
                Kind = OutboundKind.TextBack,
                To = contact.Phone,
                From = incoming.To,
                Body = TextTemplates.TextBack(business, now),
                DedupeKey = $"textback:{call.Id}",
                CreatedAt = now,
                NextAttemptAt = now,
                ExpiresAt = now + TextBackLifetime,
            });
        }
        await OwnerAlerts.QueueMissedCallAlertAsync(db, business, call, contact?.EpisodeCallCount ?? 1, urls, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return call;
    }

    private async Task<CallOutcome> DecideAsync(Business business, CallerId caller, IncomingCall incoming, Contact? contact,
        DateTime now, CancellationToken ct)
    {
        if (caller.Kind == CallerIdKind.Withheld) return CallOutcome.Withheld;
        if (caller.Kind == CallerIdKind.Number && contact is null) return CallOutcome.Internal;
        if (caller.Kind == CallerIdKind.ShortCode || contact is null) return CallOutcome.ShortCode;
        if (!Phones.IsAllowedRegion(caller.RegionCode, options.Value.AllowedRegions)) return CallOutcome.International;
        if (incoming.StirVerstat?.StartsWith("TN-Validation-Failed", StringComparison.OrdinalIgnoreCase) == true)
            return CallOutcome.UnverifiedCaller;
        if (await db.LearnedLineTypes.AnyAsync(l => l.Phone == contact.Phone, ct)) return CallOutcome.Landline;
        if (await ConsentLedger.CallerStateAsync(db, business.Id, contact.Phone, ct) == CallerConsent.OptedOut)
            return CallOutcome.OptedOut;

        var cutoff = now - TimeSpan.FromMinutes(business.EpisodeWindowMinutes);
        if (contact.LastTextBackAt > cutoff) return CallOutcome.Repeat;
        if (!Entitlement.MayText(business, now, billing.Enabled)) return CallOutcome.Inactive;
        if (business.TextingPaused) return CallOutcome.Paused;

        // Claim this episode's one text-back atomically: concurrent calls from the same caller race on this row.
        var previous = contact.LastTextBackAt;
        var won = await db.Contacts
            .Where(c => c.Id == contact.Id && (c.LastTextBackAt == null || c.LastTextBackAt <= cutoff))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastTextBackAt, now), ct);
        if (won == 0) return CallOutcome.Repeat;

        var today = BusinessClock.LocalDay(now, business.TimeZone);
        var counted = await db.Businesses
            .Where(b => b.Id == business.Id && (b.CapDay != today || b.CapCount < b.DailyTextBackCap))
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.CapCount, b => b.CapDay == today ? b.CapCount + 1 : 1)
                .SetProperty(b => b.CapDay, today), ct);
        if (counted == 0)
        {
            await db.Contacts.Where(c => c.Id == contact.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastTextBackAt, previous), ct);
            return CallOutcome.DailyLimit;
        }
        return CallOutcome.Texted;
    }

    private async Task<bool> IsInternalAsync(Business business, string phone, CancellationToken ct) =>
        phone == business.BusinessPhone || phone == business.OwnerPhone || await db.Numbers.AnyAsync(n => n.E164 == phone, ct);

    /// <summary>Finds or creates the caller's contact and adds this call to its current episode (or starts one).</summary>
    private async Task<Contact> JoinEpisodeAsync(Business business, string phone, MissedCall call, DateTime now, CancellationToken ct)
    {
        var contact = await ContactsFor.UpsertAsync(db, business.Id, phone, now, ct);
        var cutoff = now - TimeSpan.FromMinutes(business.EpisodeWindowMinutes);
        var started = await db.Contacts
            .Where(c => c.Id == contact.Id && (c.EpisodeStartedAt == null || c.EpisodeStartedAt <= cutoff))
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.EpisodeStartedAt, now)
                .SetProperty(c => c.EpisodeFirstCallId, call.Id)
                .SetProperty(c => c.EpisodeCallCount, 1)
                .SetProperty(c => c.LastActivityAt, now), ct);
        if (started == 0)
        {
            await db.Contacts.Where(c => c.Id == contact.Id)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.EpisodeCallCount, c => c.EpisodeCallCount + 1)
                    .SetProperty(c => c.LastActivityAt, now), ct);
        }
        var fresh = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == contact.Id, ct);
        if (fresh.EpisodeFirstCallId != call.Id) call.EpisodeFirstCallId = fresh.EpisodeFirstCallId;
        return fresh;
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
