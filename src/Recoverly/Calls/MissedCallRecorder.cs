using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Hosting;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Calls;

/// <param name="CallerName">The provider's CNAM caller name, raw (cleaned by <see cref="CallerNames.Clean"/> before it is kept).</param>
public sealed record IncomingCall(string CallSid, string From, string To, string? StirVerstat, string? ForwardedFrom, string? CallerName = null);

public sealed record RecordedCall(Business Business, MissedCall Call, bool Replayed)
{
    /// <summary>When the call's text-back goes, if the owner's overnight option holds it; null when it goes at once or not at all.</summary>
    public DateTime? TextBackHeldUntil => Call.Outcome == CallOutcome.Texted ? OvernightHold.Until(Business, Call.FromE164, Call.At) : null;
}

/// <summary>Everything known about a missed call before it is written: the business the number belongs to and the caller's facts.</summary>
public sealed record CallLookup(Business Business, Contact? Contact, bool Replayed, bool FromOurNumber, bool KnownLandline,
    ConsentKind? CallerConsent, ConsentKind? OwnerConsent, bool HasPushDevices);

/// <summary>
/// Turns a missed-call webhook into a recorded call with exactly one outcome and, when eligible, one
/// queued text-back and the owner's alert (docs/product/missed-calls.md). Two round trips to the
/// database: one query gathers the facts (<see cref="LookupAsync"/>), <see cref="MissedCallClassifier"/>
/// decides, and one write (a single statement on PostgreSQL) records the call and performs the two
/// atomic claims the outcome needs — a slot under the daily cap, then the episode's one text-back — with
/// the outcome the classifier gave for each way the claims can end. It never talks to the provider.
/// </summary>
public sealed class MissedCallRecorder(RecoverlyDb db, TimeProvider time, IOptions<RecoverlyOptions> options,
    BillingSettings billing, DispatchSignal signal, PublicUrls urls, TwilioLookup lineTypes, ILogger<MissedCallRecorder> log,
    CallWriteBatcher? batcher = null)
{
    public static readonly TimeSpan TextBackLifetime = TimeSpan.FromMinutes(60);

    /// <summary>A compiled query belongs to one model, so each database's context type has its own.</summary>
    private static class Compiled<TDb> where TDb : RecoverlyDb
    {
        public static readonly Func<TDb, string, string, string, DateTime, bool, DateTime, CancellationToken, Task<CallLookup?>> Lookup =
            EF.CompileAsyncQuery((TDb db, string to, string from, string callSid, DateTime landlineSince, bool lookupsOn, DateTime lookedUpSince,
                CancellationToken ct) =>
                // Found through indexes only, whatever the number of businesses and contacts: the called number by its unique
                // index, its business by key, the caller's contact by (business, phone). Written as "the business whose numbers
                // include it" and "the first such contact", the business was found by checking every business on SQLite, and
                // the contact by reading every business's contacts with that phone (docs/benchmarks.md, "The lookup's plan").
                (from number in db.Numbers.AsNoTracking()
                 where number.E164 == to
                 join b in db.Businesses.AsNoTracking() on number.BusinessId equals b.Id
                 from contact in db.Contacts.AsNoTracking().Where(c => c.BusinessId == b.Id && c.Phone == @from).DefaultIfEmpty()
                 select new CallLookup(
                        b,
                        contact,
                        db.MissedCalls.Any(m => m.CallSid == callSid),
                        db.Numbers.Any(n => n.E164 == @from),
                        db.LearnedLineTypes.Any(l => l.BusinessId == b.Id && l.Phone == @from && l.LearnedAt >= landlineSince)
                        || (lookupsOn && !b.LineTypeLookupOff
                            && db.LineTypeLookups.Any(l => l.Phone == @from && !l.Textable && l.LookedUpAt >= lookedUpSince)),
                        db.ConsentEvents
                            .Where(e => e.BusinessId == b.Id && e.Phone == @from && (e.Kind == ConsentKind.OptOut || e.Kind == ConsentKind.OptIn))
                            .OrderByDescending(e => e.Id).Select(e => (ConsentKind?)e.Kind).FirstOrDefault(),
                        db.ConsentEvents
                            .Where(e => e.BusinessId == b.Id && e.Phone == b.OwnerPhone
                                        && (e.Kind == ConsentKind.OwnerOptIn || e.Kind == ConsentKind.OwnerConfirmed || e.Kind == ConsentKind.OwnerOptOut))
                            .OrderByDescending(e => e.Id).Select(e => (ConsentKind?)e.Kind).FirstOrDefault(),
                        db.PushDevices.Any(d => d.BusinessId == b.Id)))
                    .FirstOrDefault());
    }

    /// <summary>The first round trip: the business of the called number and the facts about this caller; null when the number is not ours.</summary>
    public Task<CallLookup?> LookupAsync(IncomingCall incoming, CancellationToken ct)
    {
        var from = Phones.ParseCaller(incoming.From).E164 ?? "";
        var now = time.GetUtcNow().UtcDateTime;
        var landlineSince = now - LearnedLineType.Lifetime;
        // A cached "can't take texts" answer decides here, so a repeat landline caller costs no lookup and queues no text.
        var lookupsOn = lineTypes.Enabled;
        var lookedUpSince = now - LineTypeLookup.Lifetime;
        return db switch
        {
            PostgresRecoverlyDb pg => Compiled<PostgresRecoverlyDb>.Lookup(pg, incoming.To, from, incoming.CallSid, landlineSince, lookupsOn, lookedUpSince, ct),
            SqliteRecoverlyDb sqlite => Compiled<SqliteRecoverlyDb>.Lookup(sqlite, incoming.To, from, incoming.CallSid, landlineSince, lookupsOn,
                lookedUpSince, ct),
            _ => throw new InvalidOperationException($"No lookup for {db.GetType().Name}"),
        };
    }

    /// <summary>Null when the called number is not one of ours.</summary>
    public async Task<RecordedCall?> RecordAsync(IncomingCall incoming, CancellationToken ct) =>
        await LookupAsync(incoming, ct) is { } lookup ? await RecordAsync(lookup, incoming, ct) : null;

    /// <summary>Records a missed call whose facts <see cref="LookupAsync"/> gathered.</summary>
    public async Task<RecordedCall> RecordAsync(CallLookup lookup, IncomingCall incoming, CancellationToken ct)
    {
        if (lookup.Replayed) return await ReplayedAsync(lookup.Business, incoming, ct);
        var plan = Plan(lookup, incoming, time.GetUtcNow().UtcDateTime);
        MissedCall call;
        try
        {
            call = db.Provider == DatabaseProvider.Postgres ? await WritePostgresAsync(plan, ct) : await WriteSqliteAsync(plan, ct);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            // Twilio retried while the first delivery was still being recorded: the unique CallSid index decided.
            return await ReplayedAsync(lookup.Business, incoming, ct);
        }
        if (plan.Channel != OwnerAlerts.AlertChannel.None && plan.Alert is null)
            await OwnerAlerts.HoldMissedCallForDigestAsync(db, lookup.Business, plan.Channel, incoming.To, urls, plan.Now, ct);
        // Push alerts cost a lookup only for a business with devices, so the hot path stays two round trips for the rest.
        if (lookup.HasPushDevices)
            await OwnerAlerts.PushMissedCallAsync(db, lookup.Business, call, CallerNames.Clean(incoming.CallerName), plan.Now, ct);
        if (Rehearsal.Active) return new RecordedCall(lookup.Business, call, Replayed: false);
        log.LogInformation("Missed call {CallSid} for business {BusinessId} from {Caller}: {Outcome}",
            call.CallSid, lookup.Business.Id, Phones.Mask(call.FromE164 ?? call.FromRaw), call.Outcome);
        signal.Notify();
        return new RecordedCall(lookup.Business, call, Replayed: false);
    }

    private async Task<RecordedCall> ReplayedAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {
        var existing = await db.MissedCalls.AsNoTracking().FirstAsync(c => c.CallSid == incoming.CallSid, ct);
        return new RecordedCall(business, existing, Replayed: true);
    }

    /// <summary>
    /// What the write must do. <see cref="Tentative"/> is the outcome if both claims succeed (or the final one
    /// when no claim is needed); <see cref="IfCapReached"/> and <see cref="IfEpisodeTaken"/> the outcomes when
    /// the cap claim or the episode claim is lost — all three decided by <see cref="MissedCallClassifier"/>.
    /// </summary>
    private sealed record CallPlan(Business Business, IncomingCall Incoming, CallerId Caller, DateTime Now, bool HasContact, bool TryText,
        CallOutcome Tentative, CallOutcome IfCapReached, CallOutcome IfEpisodeTaken, string? TextBack, OwnerAlerts.AlertChannel Channel,
        OwnerAlerts.MissedCallAlertPlan? Alert, DateTime? HeldUntil, DateTime AlertAt)
    {
        /// <summary>When the text-back may go: now, or 8 am for the caller under the overnight option.</summary>
        public DateTime TextBackAt => HeldUntil ?? Now;
        public OutboxReason TextBackReason => HeldUntil is null ? OutboxReason.None : OutboxReason.HeldOvernight;

        public DateTime EpisodeCutoff => Now - TimeSpan.FromMinutes(Business.EpisodeWindowMinutes);
        public string Today => BusinessClock.LocalDay(Now, Business.TimeZone);
    }

    private CallPlan Plan(CallLookup lookup, IncomingCall incoming, DateTime now)
    {
        var business = lookup.Business;
        var caller = Phones.ParseCaller(incoming.From);
        var isNumber = caller.Kind == CallerIdKind.Number;
        var facts = new CallFacts
        {
            Caller = caller.Kind,
            Internal = isNumber && (caller.E164 == business.BusinessPhone || caller.E164 == business.OwnerPhone || lookup.FromOurNumber),
            CountryAllowed = Phones.IsAllowedRegion(caller.RegionCode, options.Value.AllowedRegions),
            CallerIdFailedVerification = MissedCallClassifier.FailedVerification(incoming.StirVerstat),
            Landline = lookup.KnownLandline,
            OptedOut = lookup.CallerConsent == ConsentKind.OptOut,
            TextedThisEpisode = lookup.Contact?.LastTextBackAt > now - TimeSpan.FromMinutes(business.EpisodeWindowMinutes),
            Entitled = Entitlement.MayText(business, now, billing.Enabled),
            Paused = business.TextingPaused,
        };
        var hasContact = isNumber && !facts.Internal;
        var tentative = MissedCallClassifier.Classify(facts);
        var tryText = tentative == CallOutcome.Texted;
        var ifCapReached = MissedCallClassifier.Classify(facts with { UnderDailyCap = false });
        var ifEpisodeTaken = MissedCallClassifier.Classify(facts with { TextedThisEpisode = true });

        var channel = OwnerAlerts.ChannelFor(business, ConsentLedger.OwnerState(lookup.OwnerConsent));
        OwnerAlerts.MissedCallAlertPlan? alert = null;
        if (QuietHours.Current(business, now) is null)
        {
            var episodeGoesOn = lookup.Contact?.EpisodeStartedAt > now - TimeSpan.FromMinutes(business.EpisodeWindowMinutes);
            var callCount = episodeGoesOn ? lookup.Contact!.EpisodeCallCount + 1 : 1;
            alert = OwnerAlerts.PlanMissedCallAlert(business, channel, incoming.To, caller.E164, hasContact,
                [tentative, ifCapReached, ifEpisodeTaken], callCount, urls, now, CallerNames.Clean(incoming.CallerName));
        }
        // Costs nothing with the option off (the default): one flag read.
        var heldUntil = tryText ? OvernightHold.Until(business, caller.E164, now) : null;
        // The alert waits for the text-back's line-type check, which releases it (or rewrites it for a landline): docs/product/texts.md.
        var alertAt = tryText && heldUntil is null && lineTypes.Enabled && !business.LineTypeLookupOff ? now + LineTypeCheck.AlertHold(lineTypes) : now;
        return new CallPlan(business, incoming, caller, now, hasContact, tryText, tentative, ifCapReached, ifEpisodeTaken,
            tryText ? TextTemplates.TextBack(business, now) : null, channel, alert, heldUntil, alertAt);
    }

    /// <summary>
    /// The outcome once the claims are known: the one place the write's results meet the classifier's answers. A call
    /// whose episode another call already claimed is a repeat, whether or not it also found the cap full: the repeat
    /// check comes before the daily limit (docs/product/missed-calls.md).
    /// </summary>
    private static CallOutcome Settle(CallPlan plan, bool capTaken, bool episodeClaimed, bool claimedByAnother) =>
        !plan.TryText || episodeClaimed ? plan.Tentative
        : claimedByAnother ? plan.IfEpisodeTaken
        : !capTaken ? plan.IfCapReached
        : plan.IfEpisodeTaken;

    /// <summary>
    /// The cap is not spent on a caller whose episode already has its text-back (a burst of calls from one phone).
    /// </summary>
    private const string NoClaimInWindow = """
        NOT EXISTS (SELECT 1 FROM "Contacts" k WHERE k."BusinessId" = @business AND k."Phone" = @from AND k."LastTextBackAt" > @cutoff)
        """;

    /// <summary>
    /// PostgreSQL: plans the write (EXPLAIN, nothing runs or is written) for a call to <paramref name="business"/>, so this
    /// connection's server process has the tables' catalog entries loaded before the first real call (docs/deploy.md).
    /// </summary>
    public async Task PlanWriteAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {
        if (db.Provider != DatabaseProvider.Postgres) return;
        var plan = Plan(new CallLookup(business, null, false, false, false, null, null, false), incoming, time.GetUtcNow().UtcDateTime);
        await using var cmd = await OutboxLeases.CommandAsync(db, "EXPLAIN " + PostgresWriteSql, ct);
        AddWriteParameters(cmd, plan);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
        }
    }

    /// <summary>
    /// PostgreSQL: plans the write on the connection that writes calls together (<see cref="CallWriteBatcher"/>), as
    /// <see cref="PlanWriteAsync"/> does on a pooled one. False when calls are written alone.
    /// </summary>
    public async Task<bool> PlanWriteTogetherAsync(Business business, IncomingCall incoming, CancellationToken ct)
    {
        if (batcher is null) return false;
        var plan = Plan(new CallLookup(business, null, false, false, false, null, null, false), incoming, time.GetUtcNow().UtcDateTime);
        await batcher.PrimeAsync("EXPLAIN " + PostgresWriteSql, WriteParameters(plan), ct);
        return true;
    }

    /// <summary>PostgreSQL: the whole write in one statement (one round trip, one transaction).</summary>
    private async Task<MissedCall> WritePostgresAsync(CallPlan plan, CancellationToken ct)
    {
        // Written with the calls that come in with it (one commit for all); inside a transaction it must be the transaction's.
        var written = batcher is not null && db.Database.CurrentTransaction is null
            ? await batcher.WriteAsync(PostgresWriteSql, plan.Business.Id, plan.Caller.E164 ?? "", WriteParameters(plan)).WaitAsync(ct)
            : null;
        if (written is null)
        {
            await using var cmd = await OutboxLeases.CommandAsync(db, PostgresWriteSql, ct);
            AddWriteParameters(cmd, plan);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            written = WrittenCall.Read(reader);
        }
        var call = NewCall(plan);
        call.Id = written.Id;
        call.Outcome = Enum.Parse<CallOutcome>(written.Outcome);
        call.ContactId = written.ContactId;
        call.EpisodeFirstCallId = written.EpisodeFirstCallId;
        return call;
    }

    /// <summary>
    /// The cap is claimed first (only when the call would be texted), then the contact joins or starts its
    /// episode and claims the text-back only if the cap slot was taken — so a cap slot may be spent on a
    /// call that then loses the episode race, never the other way round. The outcome picks among the
    /// classifier's three answers by what the claims returned.
    /// </summary>
    private static readonly string PostgresWriteSql = $"""
        WITH ids AS (
            SELECT nextval(pg_get_serial_sequence('"MissedCalls"', 'Id')) AS call_id
        ), cap AS (
            UPDATE "Businesses" SET "CapCount" = CASE WHEN "CapDay" = @today THEN "CapCount" + 1 ELSE 1 END, "CapDay" = @today
            WHERE "Id" = @business AND @tryText AND ("CapDay" IS DISTINCT FROM @today OR "CapCount" < "DailyTextBackCap")
                AND {NoClaimInWindow}
            RETURNING 1
        ), contact AS (
            INSERT INTO "Contacts" AS c ("BusinessId", "Phone", "CreatedAt", "LastActivityAt", "EpisodeStartedAt", "EpisodeFirstCallId",
                "EpisodeCallCount", "LastTextBackAt", "TextBackCallId")
            SELECT @business, @from, @now, @now, @now, ids.call_id, 1,
                CASE WHEN EXISTS (SELECT 1 FROM cap) THEN @now END, CASE WHEN EXISTS (SELECT 1 FROM cap) THEN ids.call_id END
            FROM ids WHERE @hasContact
            ON CONFLICT ("BusinessId", "Phone") DO UPDATE SET
                {ContactUpsertSet}
            RETURNING c."Id", c."EpisodeFirstCallId", c."TextBackCallId", c."LastTextBackAt"
        ), call AS (
            INSERT INTO "MissedCalls" ("Id", "BusinessId", "CallSid", "FromRaw", "FromE164", "To", "At", "LastActivityAt", "StirVerstat",
                "ForwardedFrom", "CallerName", "ContactId", "EpisodeFirstCallId", "Outcome")
            SELECT ids.call_id, @business, @sid, @fromRaw, @fromE164, @to, @now, @now, @stir, @forwarded, @callerName, contact."Id",
                NULLIF(contact."EpisodeFirstCallId", ids.call_id),
                CASE WHEN NOT @tryText OR contact."TextBackCallId" = ids.call_id THEN @tentative
                     WHEN contact."LastTextBackAt" > @cutoff THEN @ifEpisodeTaken
                     WHEN NOT EXISTS (SELECT 1 FROM cap) THEN @ifCapReached
                     ELSE @ifEpisodeTaken END
            FROM ids LEFT JOIN contact ON TRUE
            RETURNING "Id", "Outcome", "ContactId", "EpisodeFirstCallId"
        ), textback AS (
            INSERT INTO "OutboundMessages" ({OutboxColumns})
            SELECT @business, call."ContactId", call."Id", '{OutboundKind.TextBack}', @from, @to, @textBack, '{OutboundStatus.Pending}',
                @textBackReason, 'textback:' || call."Id", @now, @textBackAt, @textBackExpires, 0
            FROM call WHERE call."Outcome" = '{CallOutcome.Texted}'
        ), alertslot AS (
            INSERT INTO "OwnerAlertCounters" AS a ("BusinessId", "Day", "Count") SELECT @business, @alertDay, 1 WHERE @alert
            ON CONFLICT ("BusinessId") DO UPDATE SET "Count" = CASE WHEN a."Day" = EXCLUDED."Day" THEN a."Count" + 1 ELSE 1 END, "Day" = EXCLUDED."Day"
            WHERE a."Day" <> EXCLUDED."Day" OR a."Count" < @alertCap
            RETURNING 1
        ), alert AS (
            INSERT INTO "OutboundMessages" ({OutboxColumns})
            SELECT @business, call."ContactId", call."Id", @alertKind, @alertTo, @alertFrom,
                CASE call."Outcome" WHEN @ifCapReached THEN @alertIfCapReached WHEN @ifEpisodeTaken THEN @alertIfEpisodeTaken ELSE @alertBody END
                    || COALESCE(@alertLink || call."ContactId", ''),
                '{OutboundStatus.Pending}', '{OutboxReason.None}', 'alert:call:' || call."Id", @now, @alertAt, @alertExpires, 0
            FROM call WHERE EXISTS (SELECT 1 FROM alertslot)
        )
        SELECT "Id", "Outcome", "ContactId", "EpisodeFirstCallId" FROM call
        """;

    private const string OutboxColumns =
        "\"BusinessId\", \"ContactId\", \"MissedCallId\", \"Kind\", \"To\", \"From\", \"Body\", \"Status\", \"Reason\", \"DedupeKey\", \"CreatedAt\", \"NextAttemptAt\", \"ExpiresAt\", \"Attempts\"";

    /// <summary>A call within the window joins the episode; otherwise it starts one. The text-back is claimed only with a cap slot.</summary>
    private const string ContactUpsertSet = """
        "EpisodeFirstCallId" = CASE WHEN c."EpisodeStartedAt" IS NULL OR c."EpisodeStartedAt" <= @cutoff THEN EXCLUDED."EpisodeFirstCallId" ELSE c."EpisodeFirstCallId" END,
                "EpisodeCallCount" = CASE WHEN c."EpisodeStartedAt" IS NULL OR c."EpisodeStartedAt" <= @cutoff THEN 1 ELSE c."EpisodeCallCount" + 1 END,
                "EpisodeStartedAt" = CASE WHEN c."EpisodeStartedAt" IS NULL OR c."EpisodeStartedAt" <= @cutoff THEN EXCLUDED."EpisodeStartedAt" ELSE c."EpisodeStartedAt" END,
                "LastActivityAt" = EXCLUDED."LastActivityAt",
                "TextBackCallId" = CASE WHEN EXCLUDED."TextBackCallId" IS NOT NULL AND (c."LastTextBackAt" IS NULL OR c."LastTextBackAt" <= @cutoff)
                    THEN EXCLUDED."TextBackCallId" ELSE c."TextBackCallId" END,
                "LastTextBackAt" = CASE WHEN EXCLUDED."TextBackCallId" IS NOT NULL AND (c."LastTextBackAt" IS NULL OR c."LastTextBackAt" <= @cutoff)
                    THEN EXCLUDED."LastTextBackAt" ELSE c."LastTextBackAt" END
        """;

    /// <summary>SQLite: the same steps as statements in one transaction (in-process, so a statement costs no network round trip).</summary>
    private async Task<MissedCall> WriteSqliteAsync(CallPlan plan, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var call = NewCall(plan);
        call.Id = Convert.ToInt64(await ScalarAsync(plan, """
            INSERT INTO "MissedCalls" ("BusinessId", "CallSid", "FromRaw", "FromE164", "To", "At", "LastActivityAt", "StirVerstat", "ForwardedFrom",
                "CallerName", "Outcome")
            VALUES (@business, @sid, @fromRaw, @fromE164, @to, @now, @now, @stir, @forwarded, @callerName, @tentative) RETURNING "Id"
            """, null, ct), System.Globalization.CultureInfo.InvariantCulture);
        var capTaken = plan.TryText && await ScalarAsync(plan, $"""
            UPDATE "Businesses" SET "CapCount" = CASE WHEN "CapDay" = @today THEN "CapCount" + 1 ELSE 1 END, "CapDay" = @today
            WHERE "Id" = @business AND ("CapDay" IS NULL OR "CapDay" <> @today OR "CapCount" < "DailyTextBackCap") AND {NoClaimInWindow} RETURNING 1
            """, call.Id, ct) is not null;
        var episodeClaimed = false;
        var claimedByAnother = false;
        if (plan.HasContact)
        {
            await using var cmd = await OutboxLeases.CommandAsync(db, $"""
                INSERT INTO "Contacts" AS c ("BusinessId", "Phone", "CreatedAt", "LastActivityAt", "EpisodeStartedAt", "EpisodeFirstCallId",
                    "EpisodeCallCount", "LastTextBackAt", "TextBackCallId")
                VALUES (@business, @from, @now, @now, @now, @callId, 1, @claimAt, @claimCall)
                ON CONFLICT ("BusinessId", "Phone") DO UPDATE SET
                    {ContactUpsertSet}
                RETURNING "Id", "EpisodeFirstCallId", "TextBackCallId", "LastTextBackAt"
                """, ct);
            AddWriteParameters(cmd, plan);
            OutboxLeases.Add(cmd, "callId", call.Id);
            OutboxLeases.Add(cmd, "claimAt", capTaken ? plan.Now : DBNull.Value);
            OutboxLeases.Add(cmd, "claimCall", capTaken ? call.Id : DBNull.Value);
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                call.ContactId = reader.GetInt64(0);
                var first = reader.IsDBNull(1) ? (long?)null : reader.GetInt64(1);
                call.EpisodeFirstCallId = first == call.Id ? null : first;
                episodeClaimed = !reader.IsDBNull(2) && reader.GetInt64(2) == call.Id;
                claimedByAnother = !episodeClaimed && !reader.IsDBNull(3) && reader.GetDateTime(3) > plan.EpisodeCutoff;
            }
        }
        call.Outcome = Settle(plan, capTaken, episodeClaimed, claimedByAnother);
        await ScalarAsync(plan, """
            UPDATE "MissedCalls" SET "Outcome" = @outcome, "ContactId" = @contactId, "EpisodeFirstCallId" = @episodeFirst WHERE "Id" = @callId
            """, call.Id, ct, ("outcome", call.Outcome.ToString()), ("contactId", call.ContactId), ("episodeFirst", call.EpisodeFirstCallId));
        if (call.Outcome == CallOutcome.Texted)
            Outbox.Enqueue(db, new OutboxItem(plan.Business.Id, OutboundKind.TextBack, call.FromE164!, call.To, plan.TextBack!)
            {
                ContactId = call.ContactId,
                MissedCallId = call.Id,
                DedupeKey = $"textback:{call.Id}",
                SendAt = plan.HeldUntil,
                ExpiresAt = plan.TextBackAt + TextBackLifetime,
                Reason = plan.TextBackReason,
            }, plan.Now);
        if (plan.Alert is { } alert && await ScalarAsync(plan, """
                INSERT INTO "OwnerAlertCounters" AS a ("BusinessId", "Day", "Count") VALUES (@business, @alertDay, 1)
                ON CONFLICT ("BusinessId") DO UPDATE SET "Count" = CASE WHEN a."Day" = EXCLUDED."Day" THEN a."Count" + 1 ELSE 1 END, "Day" = EXCLUDED."Day"
                WHERE a."Day" <> EXCLUDED."Day" OR a."Count" < @alertCap RETURNING 1
                """, call.Id, ct) is not null)
            Outbox.Enqueue(db, new OutboxItem(plan.Business.Id, alert.Kind, alert.To, alert.From,
                alert.Bodies[call.Outcome] + (alert.LinkPrefix is { } link ? link + call.ContactId : ""))
            {
                ContactId = call.ContactId,
                MissedCallId = call.Id,
                DedupeKey = $"alert:call:{call.Id}",
                SendAt = plan.AlertAt,
                ExpiresAt = alert.ExpiresAt,
            }, plan.Now);
        // A failed insert abandons the whole transaction, so EF's savepoint around it (two more statements) would protect nothing.
        db.Database.AutoSavepointsEnabled = false;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            db.Database.AutoSavepointsEnabled = true;
        }
        db.ChangeTracker.Clear();
        await tx.CommitAsync(ct);
        return call;
    }

    private async Task<object?> ScalarAsync(CallPlan plan, string sql, long? callId, CancellationToken ct, params (string Name, object? Value)[] extra)
    {
        await using var cmd = await OutboxLeases.CommandAsync(db, sql, ct);
        AddWriteParameters(cmd, plan);
        if (callId is { } id) OutboxLeases.Add(cmd, "callId", id);
        foreach (var (name, value) in extra) OutboxLeases.Add(cmd, name, value ?? DBNull.Value);
        var result = await cmd.ExecuteScalarAsync(ct);
        return result is DBNull ? null : result;
    }

    private static Npgsql.NpgsqlParameter[] WriteParameters(CallPlan plan)
    {
        var parameters = new List<Npgsql.NpgsqlParameter>(40);
        AddWriteParameters(PostgresWriteSql, plan, (name, value) => parameters.Add(new Npgsql.NpgsqlParameter(name, value)));
        return [.. parameters];
    }

    private static void AddWriteParameters(DbCommand cmd, CallPlan plan) =>
        AddWriteParameters(cmd.CommandText, plan, (name, value) => OutboxLeases.Add(cmd, name, value));

    /// <summary>The parameters <paramref name="sql"/> names, each given to <paramref name="add"/> (null as <see cref="DBNull"/>).</summary>
    private static void AddWriteParameters(string sql, CallPlan plan, Action<string, object> add)
    {
        void Add(string name, object? value) => add(name, value ?? DBNull.Value);
        var alert = plan.Alert;
        Add("business", plan.Business.Id);
        Add("sid", plan.Incoming.CallSid);
        Add("fromRaw", Truncate(plan.Incoming.From, 64));
        Add("fromE164", plan.Caller.E164);
        Add("from", plan.Caller.E164 ?? "");
        Add("to", plan.Incoming.To);
        Add("now", plan.Now);
        Add("stir", Truncate(plan.Incoming.StirVerstat, 64));
        Add("forwarded", Truncate(plan.Incoming.ForwardedFrom, 64));
        Add("callerName", CallerNames.Clean(plan.Incoming.CallerName));
        Add("hasContact", plan.HasContact);
        Add("tryText", plan.TryText);
        Add("cutoff", plan.EpisodeCutoff);
        Add("today", plan.Today);
        Add("tentative", plan.Tentative.ToString());
        Add("ifCapReached", plan.IfCapReached.ToString());
        Add("ifEpisodeTaken", plan.IfEpisodeTaken.ToString());
        if (sql.Contains("@textBack", StringComparison.Ordinal))
        {
            Add("textBack", plan.TextBack ?? "");
            Add("textBackAt", plan.TextBackAt);
            Add("textBackExpires", plan.TextBackAt + TextBackLifetime);
            Add("textBackReason", plan.TextBackReason.ToString());
        }
        Add("alert", alert is not null);
        Add("alertDay", alert?.Day ?? "");
        Add("alertCap", alert?.DailyCap ?? 0);
        if (!sql.Contains("@alertKind", StringComparison.Ordinal)) return;
        Add("alertKind", (alert?.Kind ?? OutboundKind.OwnerAlert).ToString());
        Add("alertTo", alert?.To ?? "");
        Add("alertFrom", alert?.From ?? "");
        Add("alertBody", alert?.Bodies[plan.Tentative] ?? "");
        Add("alertIfCapReached", alert?.Bodies[plan.IfCapReached] ?? "");
        Add("alertIfEpisodeTaken", alert?.Bodies[plan.IfEpisodeTaken] ?? "");
        Add("alertLink", alert?.LinkPrefix);
        Add("alertExpires", alert?.ExpiresAt);
        Add("alertAt", plan.AlertAt);
    }

    private static MissedCall NewCall(CallPlan plan) => new()
    {
        BusinessId = plan.Business.Id,
        CallSid = plan.Incoming.CallSid,
        FromRaw = Truncate(plan.Incoming.From, 64)!,
        FromE164 = plan.Caller.E164,
        To = plan.Incoming.To,
        At = plan.Now,
        StirVerstat = Truncate(plan.Incoming.StirVerstat, 64),
        ForwardedFrom = Truncate(plan.Incoming.ForwardedFrom, 64),
        CallerName = CallerNames.Clean(plan.Incoming.CallerName),
    };

    private static bool IsUniqueViolation(DbException e) =>
        e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation }
        || e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 };

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
