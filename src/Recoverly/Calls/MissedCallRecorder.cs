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
/// Turns a missed-call webhook into a recorded call with exactly one outcome and, when eligible, one
/// queued text-back — all in one transaction. It gathers the facts, asks <see cref="MissedCallClassifier"/>,
/// and performs the two atomic claims the outcome needs (the episode's one text-back, the daily cap).
/// It never talks to the provider.
/// </summary>
public sealed class MissedCallRecorder(RecoverlyDb db, TimeProvider time, IOptions<RecoverlyOptions> options,
    BillingSettings billing, DispatchSignal signal, PublicUrls urls, ILogger<MissedCallRecorder> log)
{
    public static readonly TimeSpan TextBackLifetime = TimeSpan.FromMinutes(60);

    /// <summary>Null when the called number is not one of ours.</summary>
    public async Task<RecordedCall?> RecordAsync(IncomingCall incoming, CancellationToken ct)
    {
        var business = await BusinessByNumber.FindAsync(db, incoming.To, ct);
        return business is null ? null : await RecordAsync(business, incoming, ct);
    }

    /// <summary>Records a missed call for a business the caller already looked up by the called number.</summary>
    public async Task<RecordedCall> RecordAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {
        var existing = await db.MissedCalls.AsNoTracking().FirstOrDefaultAsync(c => c.CallSid == incoming.CallSid, ct);
        if (existing is not null) return new RecordedCall(business, existing, Replayed: true);

        MissedCall call;
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
        log.LogInformation("Missed call {CallSid} for business {BusinessId} from {Caller}: {Outcome}",
            call.CallSid, business.Id, Phones.Mask(call.FromE164 ?? call.FromRaw), call.Outcome);
        signal.Notify();
        return new RecordedCall(business, call, Replayed: false);
    }

    private async Task<MissedCall> RecordInTransactionAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var caller = Phones.ParseCaller(incoming.From);
        await using var tx = await db.BeginWriteAsync(ct);

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

        var facts = new CallFacts { Caller = caller.Kind };
        Contact? contact = null;
        if (caller.Kind == CallerIdKind.Number && caller.E164 is { } phone)
        {
            if (await IsInternalAsync(business, phone, ct)) facts = facts with { Internal = true };
            else
            {
                contact = await JoinEpisodeAsync(business, phone, call, now, ct);
                call.ContactId = contact.Id;
                facts = await CallerFactsAsync(business, caller, incoming, contact, facts, now, ct);
            }
        }

        call.Outcome = MissedCallClassifier.Classify(facts);
        if (call.Outcome == CallOutcome.Texted) call.Outcome = await ClaimTextBackAsync(business, contact!, facts, now, ct);
        if (call.Outcome == CallOutcome.Texted)
        {
            Outbox.Enqueue(db, new OutboxItem(business.Id, OutboundKind.TextBack, contact!.Phone, incoming.To, TextTemplates.TextBack(business, now))
            {
                ContactId = contact.Id,
                MissedCallId = call.Id,
                DedupeKey = $"textback:{call.Id}",
                ExpiresAt = now + TextBackLifetime,
            }, now);
        }
        await OwnerAlerts.QueueMissedCallAlertAsync(db, business, call, contact?.EpisodeCallCount ?? 1, urls, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return call;
    }

    /// <summary>The facts about a real, outside caller; the episode and cap claims are assumed won until tried.</summary>
    private async Task<CallFacts> CallerFactsAsync(Business business, CallerId caller, IncomingCall incoming, Contact contact, CallFacts facts,
        DateTime now, CancellationToken ct) => facts with
        {
            CountryAllowed = Phones.IsAllowedRegion(caller.RegionCode, options.Value.AllowedRegions),
            CallerIdFailedVerification = MissedCallClassifier.FailedVerification(incoming.StirVerstat),
            Landline = await db.LearnedLineTypes.AnyAsync(l => l.Phone == contact.Phone, ct),
            OptedOut = await ConsentLedger.CallerStateAsync(db, business.Id, contact.Phone, ct) == CallerConsent.OptedOut,
            TextedThisEpisode = contact.LastTextBackAt > EpisodeCutoff(business, now),
            Entitled = Entitlement.MayText(business, now, billing.Enabled),
            Paused = business.TextingPaused,
        };

    /// <summary>
    /// The two atomic claims: this episode's one text-back (concurrent calls from one caller race on the
    /// contact row), then a slot under the business's daily cap. Losing either changes the outcome.
    /// </summary>
    private async Task<CallOutcome> ClaimTextBackAsync(Business business, Contact contact, CallFacts facts, DateTime now, CancellationToken ct)
    {
        var cutoff = EpisodeCutoff(business, now);
        var previous = contact.LastTextBackAt;
        var won = await db.Contacts
            .Where(c => c.Id == contact.Id && (c.LastTextBackAt == null || c.LastTextBackAt <= cutoff))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastTextBackAt, now), ct);
        if (won == 0) return MissedCallClassifier.Classify(facts with { TextedThisEpisode = true });

        var today = BusinessClock.LocalDay(now, business.TimeZone);
        var counted = await db.Businesses
            .Where(b => b.Id == business.Id && (b.CapDay != today || b.CapCount < b.DailyTextBackCap))
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.CapCount, b => b.CapDay == today ? b.CapCount + 1 : 1)
                .SetProperty(b => b.CapDay, today), ct);
        if (counted > 0) return CallOutcome.Texted;
        await db.Contacts.Where(c => c.Id == contact.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastTextBackAt, previous), ct);
        return MissedCallClassifier.Classify(facts with { UnderDailyCap = false });
    }

    private static DateTime EpisodeCutoff(Business business, DateTime now) => now - TimeSpan.FromMinutes(business.EpisodeWindowMinutes);

    private async Task<bool> IsInternalAsync(Business business, string phone, CancellationToken ct) =>
        phone == business.BusinessPhone || phone == business.OwnerPhone || await db.Numbers.AnyAsync(n => n.E164 == phone, ct);

    /// <summary>Finds or creates the caller's contact and adds this call to its current episode (or starts one).</summary>
    private async Task<Contact> JoinEpisodeAsync(Business business, string phone, MissedCall call, DateTime now, CancellationToken ct)
    {
        var contact = await ContactsFor.UpsertAsync(db, business.Id, phone, now, ct);
        var cutoff = EpisodeCutoff(business, now);
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
