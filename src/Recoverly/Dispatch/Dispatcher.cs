using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>
/// The outbox relay and the only code that calls the provider's send API. Rows are claimed with a
/// lease (row locks with SKIP LOCKED on PostgreSQL), consent is checked again right before each
/// send, and an attempt whose outcome is unknown is reconciled with the provider before any
/// resend (docs/decisions/0004-unknown-send-outcome.md).
/// </summary>
public sealed class Dispatcher(IServiceScopeFactory scopes, TwilioGateway gateway, SendPacer pacer, IWriteGate gate,
    TimeProvider time, IOptions<DispatchOptions> options, PublicUrls urls, ILogger<Dispatcher> log)
{
    public string WorkerId { get; } = $"{Environment.ProcessId}/{Guid.NewGuid():N}";

    private DispatchOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private sealed record Claim(OutboundMessage Message, DateTime? PriorAttempt)
    {
        /// <summary>An earlier attempt may have reached the provider: look before sending again.</summary>
        public bool NeedsReconcile => PriorAttempt is not null || Message.Status == OutboundStatus.InDoubt;
    }

    /// <summary>Claims one batch of due messages and works it to the end. Returns how many rows were claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var claims = await ClaimAsync(ct);
        if (claims.Count == 0) return 0;

        var now = Now;
        var ready = new List<Claim>(claims.Count);
        // Text-backs and keyword answers take a sender's first slot; owner alerts wait their turn.
        foreach (var claim in claims.OrderBy(c => Priority(c.Message.Kind)).ThenBy(c => c.Message.Id))
        {
            var m = claim.Message;
            // Email does not use a sending number, so it takes no rate-limit slot.
            if (m.Kind == OutboundKind.OwnerEmail || m.PacedUntil is { } paced && paced <= now) { ready.Add(claim); continue; }
            var slot = pacer.Reserve(m.From, now);
            if (slot <= now) ready.Add(claim);
            else await ReleaseAsync(claim, slot, pacedUntil: slot, ct);
        }

        // Texts to one phone go in the order they were queued (a STOP confirmation before a HELP answer); phones in parallel.
        var byRecipient = ready.GroupBy(c => c.Message.To).Select(g => g.OrderBy(c => c.Message.Id).ToList());
        await Parallel.ForEachAsync(byRecipient, new ParallelOptions { MaxDegreeOfParallelism = Options.Concurrency, CancellationToken = ct },
            async (queue, token) =>
            {
                foreach (var claim in queue) await ProcessAsync(claim, token);
            });
        return claims.Count;
    }

    private static int Priority(OutboundKind kind) => kind switch
    {
        OutboundKind.TextBack => 0,
        OutboundKind.OptOutConfirmation or OutboundKind.HelpReply or OutboundKind.OptInConfirmation or OutboundKind.OwnerReply => 1,
        _ => 2,
    };

    private async Task<List<Claim>> ClaimAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var now = Now;
        var found = new List<(long Id, DateTime? Attempt)>();
        using (await gate.EnterAsync(ct))
        {
            await db.Database.OpenConnectionAsync(ct);
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.CommandText = db.Provider == DatabaseProvider.Postgres ? PostgresClaimSql : SqliteClaimSql;
            Add(cmd, "worker", WorkerId);
            Add(cmd, "until", now.AddSeconds(Options.LeaseSeconds));
            Add(cmd, "now", now);
            Add(cmd, "limit", Options.BatchSize);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                DateTime? attempt = reader.IsDBNull(1) ? null : DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc);
                found.Add((reader.GetInt64(0), attempt));
            }
        }
        if (found.Count == 0) return [];

        var ids = found.Select(f => f.Id).ToList();
        var rows = await db.OutboundMessages.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
        // The claim stamps AttemptStartedAt with `now` when it was empty; an older stamp is a previous attempt.
        return found.Where(f => rows.ContainsKey(f.Id))
            .Select(f => new Claim(rows[f.Id], f.Attempt < now ? f.Attempt : null))
            .ToList();
    }

    private const string Claimable = """
        "Status" IN ('Pending', 'InDoubt') AND "NextAttemptAt" <= @now AND ("LeaseUntil" IS NULL OR "LeaseUntil" < @now)
        """;

    private static readonly string SqliteClaimSql = $"""
        UPDATE "OutboundMessages"
        SET "LeaseOwner" = @worker, "LeaseUntil" = @until, "AttemptStartedAt" = COALESCE("AttemptStartedAt", @now)
        WHERE "Id" IN (SELECT "Id" FROM "OutboundMessages" WHERE {Claimable} ORDER BY "NextAttemptAt", "Id" LIMIT @limit)
        RETURNING "Id", "AttemptStartedAt"
        """;

    private static readonly string PostgresClaimSql = $"""
        UPDATE "OutboundMessages" AS o
        SET "LeaseOwner" = @worker, "LeaseUntil" = @until, "AttemptStartedAt" = COALESCE(o."AttemptStartedAt", @now)
        FROM (SELECT "Id" FROM "OutboundMessages" WHERE {Claimable} ORDER BY "NextAttemptAt", "Id" LIMIT @limit FOR UPDATE SKIP LOCKED) AS due
        WHERE o."Id" = due."Id"
        RETURNING o."Id", o."AttemptStartedAt"
        """;

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    private async Task ProcessAsync(Claim claim, CancellationToken ct)
    {
        var m = claim.Message;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            if (m.Kind == OutboundKind.OwnerEmail)
            {
                await EmailAsync(scope.ServiceProvider, db, m, ct);
                return;
            }
            if (claim.NeedsReconcile && await FindAtProviderAsync(m, claim.PriorAttempt ?? m.CreatedAt, ct) is { } already)
            {
                log.LogInformation("Outbox {Id}: earlier attempt did reach the provider as {Sid}; not resending", m.Id, already.Sid);
                await FinishAsync(db, m, new SendResult(SendOutcome.Accepted, already.Sid, already.Status), claim, ct);
                return;
            }
            var now = Now;
            if (m.ExpiresAt is { } expires && expires <= now)
            {
                await EndAsync(db, m, OutboundStatus.Expired, ExpiredReason(m.Kind), ct);
                return;
            }
            if (!await ConsentLedger.MayTextAsync(db, m.BusinessId, m.To, m.Kind, ct))
            {
                await EndAsync(db, m, OutboundStatus.Cancelled, m.Kind is OutboundKind.TextBack or OutboundKind.OwnerReply or OutboundKind.OptInConfirmation
                    ? "Cancelled — the caller opted out" : "Cancelled — owner alerts are not confirmed", ct);
                return;
            }

            SendResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(Options.SendTimeoutSeconds));
                result = await gateway.SendAsync(new OutgoingText(m.To, m.From, m.Body, new Uri(urls.For("/twilio/sms/status"))), timeout.Token);
            }
            await FinishAsync(db, m, result, claim, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogError(e, "Outbox {Id}: dispatch failed; will retry", m.Id);
            await ReleaseAsync(claim, Now + DispatchOptions.Backoff(m.Attempts + 1), pacedUntil: null, CancellationToken.None);
        }
    }

    /// <summary>
    /// Owner alerts by email: sent to the address the business has now, only while email alerts are
    /// on. A failed attempt is retried with backoff until the row expires; a duplicate email is harmless.
    /// </summary>
    private async Task EmailAsync(IServiceProvider services, RecoverlyDb db, OutboundMessage m, CancellationToken ct)
    {
        var business = await db.Businesses.AsNoTracking().Where(b => b.Id == m.BusinessId)
            .Select(b => new { b.OwnerEmail, b.EmailAlerts, b.DeletedAt }).FirstOrDefaultAsync(ct);
        if (business is not { EmailAlerts: true, DeletedAt: null, OwnerEmail: { Length: > 0 } to })
        {
            await EndAsync(db, m, OutboundStatus.Cancelled, "Cancelled — email alerts are off", ct);
            return;
        }
        if (m.ExpiresAt is { } expires && expires <= Now)
        {
            await EndAsync(db, m, OutboundStatus.Expired, "Expired — not sent in time", ct);
            return;
        }
        var mailer = services.GetService<IMailer>() ?? throw new InvalidOperationException("No mailer is configured in this process");
        var newline = m.Body.IndexOf('\n', StringComparison.Ordinal);
        var subject = newline < 0 ? m.Body : m.Body[..newline];
        try
        {
            await mailer.SendAsync(to, subject.Length <= 200 ? subject : subject[..197] + "...", m.Body, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Outbox {Id}: email failed; will retry", m.Id);
            var retryAt = Now + DispatchOptions.Backoff(m.Attempts + 1);
            using (await gate.EnterAsync(CancellationToken.None))
            {
                await db.OutboundMessages.Where(o => o.Id == m.Id && o.LeaseOwner == WorkerId)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(o => o.Attempts, o => o.Attempts + 1)
                        .SetProperty(o => o.NextAttemptAt, retryAt)
                        .SetProperty(o => o.StatusReason, "Email not accepted yet; retrying")
                        .SetProperty(o => o.LeaseOwner, (string?)null)
                        .SetProperty(o => o.LeaseUntil, (DateTime?)null)
                        .SetProperty(o => o.AttemptStartedAt, (DateTime?)null), CancellationToken.None);
            }
            return;
        }
        var now = Now;
        using var _ = await gate.EnterAsync(CancellationToken.None);
        await db.OutboundMessages.Where(o => o.Id == m.Id && o.LeaseOwner == WorkerId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Status, OutboundStatus.Sent)
                .SetProperty(o => o.ProviderStatus, "emailed")
                .SetProperty(o => o.SentAt, now)
                .SetProperty(o => o.Attempts, o => o.Attempts + 1)
                .SetProperty(o => o.LeaseOwner, (string?)null)
                .SetProperty(o => o.LeaseUntil, (DateTime?)null)
                .SetProperty(o => o.AttemptStartedAt, (DateTime?)null), CancellationToken.None);
        log.LogInformation("Outbox {Id} ({Kind}): emailed", m.Id, m.Kind);
    }

    private async Task<ProviderMessage?> FindAtProviderAsync(OutboundMessage m, DateTime since, CancellationToken ct)
    {
        var recent = await gateway.FindRecentAsync(m.To, m.From, ct);
        // A minute of slack covers clock skew between us and the provider.
        return recent.FirstOrDefault(p => p.Body == m.Body && (p.CreatedAt is null || p.CreatedAt >= since.AddMinutes(-1)));
    }

    private async Task FinishAsync(RecoverlyDb db, OutboundMessage m, SendResult result, Claim claim, CancellationToken ct)
    {
        var now = Now;
        using var _ = await gate.EnterAsync(CancellationToken.None);
        var row = await db.OutboundMessages.FirstOrDefaultAsync(o => o.Id == m.Id && o.LeaseOwner == WorkerId, CancellationToken.None);
        if (row is null) return; // our lease expired and another dispatcher took the row
        row.Attempts++;
        row.LeaseOwner = null;
        row.LeaseUntil = null;
        row.PacedUntil = null;
        row.ErrorCode = result.ErrorCode;
        row.StatusReason = result.Reason;
        switch (result.Outcome)
        {
            case SendOutcome.Accepted:
                row.Status = DeliveryStatus.Map(result.ProviderStatus) is { } s && DeliveryStatus.Rank(s) > 0 ? s : OutboundStatus.Queued;
                row.ProviderSid = result.Sid;
                row.ProviderStatus = result.ProviderStatus;
                row.SentAt = now;
                row.AttemptStartedAt = null;
                break;
            case SendOutcome.Retry:
                var next = now + (result.RetryAfter ?? DispatchOptions.Backoff(row.Attempts));
                if (row.ExpiresAt is { } expires && next > expires)
                {
                    row.Status = OutboundStatus.Expired;
                    // The next try would be past the deadline: it is already certain the text will not go in time.
                    row.StatusReason = $"{ExpiredReason(row.Kind)} (the provider kept refusing it)";
                }
                else
                {
                    row.Status = OutboundStatus.Pending;
                    row.NextAttemptAt = next;
                }
                // This attempt was never processed; only an earlier in-doubt attempt still needs checking.
                row.AttemptStartedAt = claim.PriorAttempt;
                break;
            case SendOutcome.InDoubt:
                row.Status = OutboundStatus.InDoubt;
                row.NextAttemptAt = now + DispatchOptions.Backoff(row.Attempts);
                break;
            default:
                row.Status = OutboundStatus.Failed;
                row.AttemptStartedAt = null;
                if (result.ErrorCode is { } code)
                    await DeliveryStatus.LearnFromErrorAsync(db, row, ProviderErrors.Describe(code), now, CancellationToken.None);
                if (result.Outcome == SendOutcome.Configuration)
                    log.LogWarning("Outbox {Id}: provider error {Code} needs operator action", row.Id, result.ErrorCode);
                break;
        }
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (row.ProviderSid is { } lockedSid) await KeyLock.LockAsync(db, lockedSid, CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
        if (row.ProviderSid is { } sid)
        {
            // Status callbacks can beat our own bookkeeping; apply any that arrived first.
            var early = await db.MessageStatusEvents.AsNoTracking().Where(e => e.MessageSid == sid).ToListAsync(CancellationToken.None);
            foreach (var e in early.OrderBy(e => DeliveryStatus.Map(e.Status) is { } st ? DeliveryStatus.Rank(st) : 0))
                await DeliveryStatus.ApplyAsync(db, sid, e.Status, e.ErrorCode, now, CancellationToken.None);
        }
        await tx.CommitAsync(CancellationToken.None);
        log.LogInformation("Outbox {Id} ({Kind}) to {To}: {Outcome} {Code}", row.Id, row.Kind, Phones.Mask(row.To), result.Outcome, result.ErrorCode);
    }

    private static string ExpiredReason(OutboundKind kind) =>
        kind == OutboundKind.TextBack ? "Expired — not sent within 60 minutes of the call" : "Expired — not sent in time";

    private async Task EndAsync(RecoverlyDb db, OutboundMessage m, OutboundStatus status, string reason, CancellationToken ct)
    {
        using var _ = await gate.EnterAsync(ct);
        await db.OutboundMessages.Where(o => o.Id == m.Id && o.LeaseOwner == WorkerId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Status, status)
                .SetProperty(o => o.StatusReason, reason)
                .SetProperty(o => o.LeaseOwner, (string?)null)
                .SetProperty(o => o.LeaseUntil, (DateTime?)null)
                .SetProperty(o => o.AttemptStartedAt, (DateTime?)null), ct);
        log.LogInformation("Outbox {Id} ({Kind}): {Status}", m.Id, m.Kind, status);
    }

    /// <summary>Gives the row back for a later attempt, keeping any earlier in-doubt stamp.</summary>
    private async Task ReleaseAsync(Claim claim, DateTime nextAttempt, DateTime? pacedUntil, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        using var _ = await gate.EnterAsync(ct);
        await db.OutboundMessages.Where(o => o.Id == claim.Message.Id && o.LeaseOwner == WorkerId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.NextAttemptAt, nextAttempt)
                .SetProperty(o => o.PacedUntil, pacedUntil)
                .SetProperty(o => o.LeaseOwner, (string?)null)
                .SetProperty(o => o.LeaseUntil, (DateTime?)null)
                .SetProperty(o => o.AttemptStartedAt, claim.PriorAttempt), ct);
    }
}

/// <summary>Runs the dispatcher in the background when this process has the <c>dispatcher</c> role.</summary>
public sealed class DispatcherService(Dispatcher dispatcher, DispatchSignal signal, TimeProvider time, IOptions<DispatchOptions> options,
    ILogger<DispatcherService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        log.LogInformation("Dispatcher {Worker} started", dispatcher.WorkerId);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await dispatcher.RunOnceAsync(stoppingToken) > 0) continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Dispatcher pass failed");
            }
            await signal.WaitAsync(TimeSpan.FromMilliseconds(options.Value.PollMilliseconds), time, stoppingToken);
        }
    }
}
