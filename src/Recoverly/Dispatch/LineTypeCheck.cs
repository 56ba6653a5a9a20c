using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Data;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>
/// The line-type check right before a text-back goes (docs/product/texts.md, "Landlines"): the cached answer when
/// there is one younger than <see cref="LineTypeLookup.Lifetime"/>, otherwise one provider lookup with a short
/// deadline. A number that clearly cannot take texts ends the row unsent and the call's outcome becomes
/// <see cref="CallOutcome.Landline"/>; no answer in time means the text goes as it would have.
/// </summary>
public sealed class LineTypeCheck(TwilioLookup lookup, TimeProvider time, ILogger<LineTypeCheck> log)
{
    public bool Enabled => lookup.Enabled;

    /// <summary>The line type that stops this text, or null to send it.</summary>
    public async Task<string?> NotTextableAsync(RecoverlyDb db, long businessId, string to, CancellationToken ct)
    {
        var since = time.GetUtcNow().UtcDateTime - LineTypeLookup.Lifetime;
        // One statement: the owner's switch and the cached answer.
        var facts = await db.Businesses.AsNoTracking().Where(b => b.Id == businessId)
            .Select(b => new
            {
                b.LineTypeLookupOff,
                // Scalar subqueries: SQLite has no APPLY for a nested object.
                CachedType = db.LineTypeLookups.Where(l => l.Phone == to && l.LookedUpAt >= since).Select(l => l.LineType).FirstOrDefault(),
                CachedTextable = db.LineTypeLookups.Where(l => l.Phone == to && l.LookedUpAt >= since).Select(l => (bool?)l.Textable).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        if (facts is null || facts.LineTypeLookupOff) return null;
        if (facts.CachedTextable is { } textableThen) return textableThen ? null : facts.CachedType;

        await db.ReleaseConnectionAsync();
        var answer = await lookup.LineTypeAsync(to, ct);
        if (answer is null) return null;
        var textable = LineTypes.Textable(answer.Type);
        var now = time.GetUtcNow().UtcDateTime;
        using (await db.EnterWriteGateAsync(ct))
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "LineTypeLookups" ("Phone", "LineType", "Textable", "CarrierName", "LookedUpAt")
                VALUES ({to}, {answer.Type}, {textable}, {answer.CarrierName}, {now})
                ON CONFLICT ("Phone") DO UPDATE SET "LineType" = excluded."LineType", "Textable" = excluded."Textable",
                    "CarrierName" = excluded."CarrierName", "LookedUpAt" = excluded."LookedUpAt"
                """, ct);
        log.LogInformation("Line-type lookup for {Phone}: {Type}", Phones.Mask(to), answer.Type);
        return textable ? null : answer.Type;
    }


    /// <summary>
    /// How long a missed-call alert waits for its text-back's line-type check (docs/product/texts.md, "Landlines"): the lookup's
    /// deadline and a little for a dispatcher to take the text-back. The check releases it sooner.
    /// </summary>
    public static TimeSpan AlertHold(TwilioLookup lookup) => lookup.Timeout + TimeSpan.FromSeconds(2);

    /// <summary>The text-back's call's missed-call alert (one indexed row), while no dispatcher has taken it.</summary>
    private static readonly string HeldAlert = $"""
        "DedupeKey" = 'alert:call:' || CAST((SELECT "MissedCallId" FROM "OutboundMessages" WHERE "Id" = @id) AS TEXT)
            AND "Status" = '{OutboundStatus.Pending}' AND "LeaseOwner" IS NULL
        """;

    /// <summary>The check let the text-back go: its call's alert, held for the check, may go now with the words it has.</summary>
    public static async Task ReleaseAlertAsync(RecoverlyDb db, long id, CancellationToken ct)
    {
        using (await db.EnterWriteGateAsync(ct))
        {
            await using var cmd = await OutboxLeases.CommandAsync(db, $"""
                UPDATE "OutboundMessages" SET "NextAttemptAt" = "CreatedAt" WHERE {HeldAlert} AND "NextAttemptAt" > "CreatedAt"
                """, ct);
            OutboxLeases.Add(cmd, "id", id);
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The outcome part of a missed-call alert (<see cref="TextTemplates.MissedCallAlert"/>), dash included so nothing else matches.</summary>
    private static string AlertOutcome(CallOutcome outcome) => " — " + TextTemplates.OutcomeForOwner(outcome);

    /// <summary>
    /// Ends the text-back unsent and makes its call a landline call, in one transaction: the row (if still this
    /// worker's), the call's outcome, the episode's text-back claim (nothing was texted, so a repeat call is not "already texted"),
    /// and the call's missed-call alert if no dispatcher has taken it yet ("please call them back", not "we're texting them back").
    /// </summary>
    public static async Task<bool> EndAsync(RecoverlyDb db, OutboxLeases leases, long id, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await using (var cmd = await OutboxLeases.CommandAsync(db, $"""
            UPDATE "OutboundMessages" SET "Status" = '{OutboundStatus.Cancelled}', "Reason" = '{OutboxReason.NotTextableLine}',
                "LeaseOwner" = NULL, "LeaseUntil" = NULL, "AttemptStartedAt" = NULL, "PacedUntil" = NULL
            WHERE "Id" = @id AND "LeaseOwner" = @worker AND {SendableSql.Still("\"Status\"")}
            """, ct))
        {
            OutboxLeases.Add(cmd, "id", id);
            OutboxLeases.Add(cmd, "worker", leases.WorkerId);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) return false;
        }
        await using (var cmd = await OutboxLeases.CommandAsync(db, $"""
            UPDATE "MissedCalls" SET "Outcome" = '{CallOutcome.Landline}'
            WHERE "Id" = (SELECT "MissedCallId" FROM "OutboundMessages" WHERE "Id" = @id) AND "Outcome" = '{CallOutcome.Texted}';
            UPDATE "Contacts" SET "LastTextBackAt" = NULL, "TextBackCallId" = NULL
            WHERE "TextBackCallId" = (SELECT "MissedCallId" FROM "OutboundMessages" WHERE "Id" = @id);
            UPDATE "OutboundMessages" SET "Body" = REPLACE("Body", @texted, @landline), "NextAttemptAt" = "CreatedAt"
            WHERE {HeldAlert}
            """, ct))
        {
            OutboxLeases.Add(cmd, "id", id);
            // The call's alert, if still waiting, says what is now true (docs/product/texts.md, "Landlines").
            OutboxLeases.Add(cmd, "texted", AlertOutcome(CallOutcome.Texted));
            OutboxLeases.Add(cmd, "landline", AlertOutcome(CallOutcome.Landline));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }
}
