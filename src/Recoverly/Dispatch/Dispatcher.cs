using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Hosting;
using Recoverly.Operator;
using Recoverly.Push;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>
/// The outbox relay and the only code that calls the provider's send API (docs/product/sending.md).
/// A text goes: claimed with a lease (<see cref="OutboxLeases"/>) → paced on its sending number
/// (<see cref="SendPacer"/>) → reconciled with the provider if an earlier attempt may have reached it →
/// fenced (lease, sendability and consent re-checked in one statement) → sent → its outcome applied
/// (<see cref="SendTransition"/>, <see cref="SendCompletion"/>). Each row is worked on its own, so one
/// slow send delays only its own text.
/// </summary>
public sealed class Dispatcher(DispatchScopes scopes, ITextProvider gateway, SendPacer pacer, EmailDelivery email, LineTypeCheck lineType,
    PushDelivery push, SenderRegistrations registrations,
    TimeProvider time, IOptions<DispatchOptions> options, PublicUrls urls, ILogger<Dispatcher> log)
{
    private readonly OutboxLeases _leases = new($"{Environment.ProcessId}/{Guid.NewGuid():N}");
    private readonly ConcurrentDictionary<long, string> _held = new();
    private readonly ConcurrentDictionary<string, int> _inFlightBySender = new();
    private readonly SortedSet<long> _wakes = [];
    private SendFinisher? _finisher;

    /// <summary>Writes the outcomes of this dispatcher's sends, several in one statement under load.</summary>
    public SendFinisher Finisher => LazyInitializer.EnsureInitialized(ref _finisher, () => new SendFinisher(scopes, _leases, time, log));

    public string WorkerId => _leases.WorkerId;

    /// <summary>Rows this dispatcher holds right now (claimed, not finished).</summary>
    public int Held => _held.Count;

    private DispatchOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;
    private TimeSpan Lease => TimeSpan.FromSeconds(Options.LeaseSeconds);
    private TimeSpan SendTimeout => TimeSpan.FromSeconds(Options.SendTimeoutSeconds);

    /// <summary>Claims one batch of due messages and works it to the end. Returns how many rows were claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var (claimed, ready) = await ClaimReadyAsync(Options.BatchSize, ct);
        await Task.WhenAll(ready.Select(row => ProcessAsync(row, ct)));
        return claimed;
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due rows and returns those that may be sent now; the rest
    /// (a sending number's later slots, a number with enough sends in flight here) go back to the outbox.
    /// </summary>
    public async Task<(int Claimed, List<ClaimedRow> Ready)> ClaimReadyAsync(int limit, CancellationToken ct)
    {
        await using var scope = scopes.Create();
        var db = scope.Db;
        var now = Now;
        var busy = _inFlightBySender.Where(s => s.Value >= Options.ConcurrencyPerSender).Select(s => s.Key).ToList();
        // Texts from a number carriers would refuse (not registered) wait in the outbox (docs/product/registration.md).
        busy.AddRange(await registrations.HeldSendersAsync(db, ct));
        var rates = await pacer.RatesAsync(ct);
        // Where the default rate paces every number, a claim takes one text per number: the rest keep their place in the queue.
        // On PostgreSQL that claim also opens the numbers' gates and fences the texts that may go, in the same statement.
        var claimed = await _leases.ClaimForDispatchAsync(db, limit, Options.ConcurrencyPerSender, now, Lease, busy, rates,
            realClock: time == TimeProvider.System, ct);
        foreach (var row in claimed) _held[row.Id] = row.From;
        try
        {
            return (claimed.Count, await SortClaimedAsync(db, claimed, rates, OutboxLeases.PacesAndFencesAtClaim(db, rates), now, ct));
        }
        catch
        {
            await GiveBackAsync(claimed);
            throw;
        }
    }

    /// <summary>
    /// Splits freshly claimed rows into those to send now (paced and fenced) and those given back for later. When the claim
    /// already paced and fenced them (<paramref name="pacedAtClaim"/>; a row whose number's gate it opened carries its turn),
    /// only a number whose gate stayed shut costs a statement more.
    /// </summary>
    private async Task<List<ClaimedRow>> SortClaimedAsync(RecoverlyDb db, List<ClaimedRow> claimed, PacingRates rates, bool pacedAtClaim,
        DateTime now, CancellationToken ct)
    {
        var ready = new List<ClaimedRow>(claimed.Count);
        var later = new List<(long Id, DateTime? Next)>();
        var waiting = new List<(string Sender, TimeSpan Interval, List<ClaimedRow> Rows)>();
        // Text-backs and keyword answers go first; owner alerts wait their turn.
        foreach (var sender in claimed.GroupBy(r => r.From))
        {
            var rows = sender.OrderBy(r => OutboxLeases.Priority(r.Kind)).ThenBy(r => r.Id).ToList();
            // A number with enough sends in flight here keeps the rest in their place in the queue.
            var room = Math.Max(0, Options.ConcurrencyPerSender - _inFlightBySender.GetValueOrDefault(sender.Key));
            later.AddRange(rows.Skip(room).Select(extra => (extra.Id, (DateTime?)null)));
            rows = rows.Take(room).ToList();

            ready.AddRange(rows.Where(r => !r.Kind.IsSms()));
            var texts = rows.Where(r => r.Kind.IsSms()).ToList();
            if (texts.Count == 0) continue;
            if (rates.Interval(sender.Key) is not { } interval)
            {
                ready.AddRange(texts);
                // An unpaced number may have more due than one claim took: claim again at once.
                if (texts.Any(t => t.MoreDue)) WakeBy(now);
            }
            else waiting.Add((sender.Key, interval, texts));
        }
        // One statement asks every number's gate and fences every row about to be sent: the unpaced ones, and each paced one
        // whose gate opened (an open gate lets one text through now, the rest ask again later). A row with an earlier attempt is
        // reconciled first, then fenced alone. The moment is read right before, so a send that leaves at once needs no
        // confirming statement of its own (step 3 in docs/product/sending.md). A claim that paced and fenced did all that
        // already, at the moment it was made; only when some gate stayed shut is there a question left: when it opens.
        var free = ready.Where(r => r.Kind.IsSms() && !r.NeedsReconcile).Select(r => r.Id).ToList();
        var paced = waiting.Where(w => !w.Rows[0].NeedsReconcile).Select(w => (w.Rows[0].Id, w.Sender)).ToList();
        List<(string Sender, TimeSpan Interval)> wanted = [.. waiting.Select(w => (w.Sender, w.Interval))];
        var stamp = pacedAtClaim ? now : Now;
        GateAnswers gates;
        HashSet<long> fenced = [];
        if (!pacedAtClaim) (gates, fenced) = await _leases.PaceAndFenceAsync(db, wanted, free, paced, stamp, Lease, ct);
        else
        {
            var open = claimed.Where(r => r.Gate is not null).Select(r => r.From).ToHashSet(StringComparer.Ordinal);
            gates = new GateAnswers(open, await SendPacer.ShutUntilAsync(db, wanted, open, now, ct));
        }
        // The rows this pass's own statement fenced; none when the claim fenced its rows and marked each one itself.
        var toFence = pacedAtClaim ? null : free.ToHashSet();
        foreach (var (sender, interval, rows) in waiting)
        {
            var first = gates.Open.Contains(sender) ? 1 : 0;
            var span = SendPacer.Span(interval);
            // A claim that opened the gate gave the row its turn.
            var turn = first == 1 ? rows[0].Gate ?? new SendGate((stamp + span).Ticks, interval) : (SendGate?)null;
            if (turn is not null)
            {
                ready.Add(rows[0] with { Gate = turn });
                if (!rows[0].NeedsReconcile) toFence?.Add(rows[0].Id);
            }
            // A shut number's next text asks again the moment its gate opens; later ones a turn apart after it.
            var opens = turn?.OpensAt ?? gates.ShutUntil.GetValueOrDefault(sender, stamp + span);
            for (var i = first; i < rows.Count; i++) later.Add((rows[i].Id, opens + span * (i - first)));
        }
        // Every row that must wait goes back in one statement.
        await _leases.ReleaseManyAsync(db, later, ct);
        foreach (var (id, next) in later)
        {
            _held.TryRemove(id, out _);
            if (next is { } at) WakeBy(at);
        }
        if (toFence is not null)
            ready = [.. ready.Select(r => !toFence.Contains(r.Id) ? r : fenced.Contains(r.Id) ? r with { FencedAt = stamp } : r with { FenceRefused = true })];
        foreach (var row in ready) _inFlightBySender.AddOrUpdate(row.From, 1, (_, n) => n + 1);
        return ready;
    }

    /// <summary>
    /// A claim whose pass failed after its rows were leased (the database failed mid-pass) lets go of them, so the lease
    /// renewal does not keep them ours — and unsent — for good: rows not yet fenced go back to their place in the queue at once;
    /// a row the fence may already have marked as being sent stays leased until its lease runs out and is then reconciled
    /// before any send (docs/product/sending.md, step 2).
    /// </summary>
    private async Task GiveBackAsync(List<ClaimedRow> claimed)
    {
        foreach (var row in claimed) _held.TryRemove(row.Id, out _);
        try
        {
            await using var scope = scopes.Create();
            await _leases.ReleaseManyAsync(scope.Db, [.. claimed.Select(r => (r.Id, (DateTime?)null))],
                CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not give back {Count} claimed rows after a failed pass; their leases run out by themselves", claimed.Count);
        }
    }

    /// <summary>
    /// When this dispatcher should claim again for a pacing turn it knows of (a row it gave back, a number's gate
    /// reopening after its send): <paramref name="now"/> when one is due, the earliest later one, or null. Every
    /// turn is kept until it comes, so a number's next turn is never lost behind an earlier one.
    /// </summary>
    public DateTime? NextWake(DateTime now)
    {
        lock (_wakes)
        {
            var due = false;
            while (_wakes.Count > 0 && _wakes.Min <= now.Ticks)
            {
                _wakes.Remove(_wakes.Min);
                due = true;
            }
            return due ? now : _wakes.Count > 0 ? new DateTime(_wakes.Min, DateTimeKind.Utc) : null;
        }
    }

    /// <summary>Keeps the leases of every row still held here from running out (one statement).</summary>
    public async Task RenewLeasesAsync(CancellationToken ct)
    {
        var ids = _held.Keys.ToList();
        if (ids.Count == 0) return;
        await using var scope = scopes.Create();
        await _leases.RenewAsync(scope.Db, ids, Now + Lease, ct);
    }

    private void WakeBy(DateTime at)
    {
        lock (_wakes) _wakes.Add(at.Ticks);
    }

    /// <summary>Works one claimed row to its end: reconcile, fence, send, apply the outcome.</summary>
    public async Task ProcessAsync(ClaimedRow row, CancellationToken ct)
    {
        // Off the caller's thread at once: SQLite's "async" calls complete synchronously, and the claiming loop must not wait for them.
        await Task.Yield();
        try
        {
            await using var scope = scopes.Create();
            var db = scope.Db;
            if (row.Kind.IsEmail())
            {
                await email.DeliverAsync(db, _leases, row, Now, Lease, ct);
                return;
            }
            if (row.Kind.IsPush())
            {
                await push.DeliverAsync(db, _leases, row, Now, Lease, ct);
                return;
            }
            if (row.NeedsReconcile && await FindAtProviderAsync(db, row, ct) is { } already)
            {
                log.LogInformation("Outbox {Id}: earlier attempt did reach the provider as {Sid}; not resending", row.Id, already.Sid);
                // It left when that attempt began.
                var found = SendTransition.Apply(new SendAttempt(row.Kind, row.Attempts, row.ExpiresAt, Now, row.EarlierAttempt) { RequestedAt = row.EarlierAttempt },
                    new SendResult(SendOutcome.Accepted, already.Sid, already.Status), Now);
                await FinishAsync(db, row.Id, found);
                return;
            }

            var fencedAt = row.FencedAt ?? Now;
            if (row.FenceRefused)
            {
                await ExplainRefusalAsync(db, row, fencedAt, ct);
                return;
            }
            // A fenced row's line-type lookup comes before its pacing turn is confirmed, so the turn is confirmed right as the request leaves.
            if (row.FencedAt is not null && await EndedAsNotTextableAsync(db, row, ct)) return;
            // The pacing turn is confirmed as the request leaves, so the provider sees the number's texts an interval apart.
            SendGate? turn = null;
            if (row.Gate is { } gate)
            {
                // A turn taken moments ago covers this request; one taken longer ago is confirmed again now.
                turn = gate.FreshAt(Now) ? gate : await SendPacer.ConfirmTurnAsync(db, row.From, gate, time, ct);
                // The number's gate opens again a turn from now; its next text (or this one, turned away) is claimed then.
                var opens = turn?.OpensAt ?? Now + SendPacer.Span(gate.Interval);
                if (row.MoreDue || turn is null) WakeBy(opens);
                if (turn is null)
                {
                    if (row.FencedAt is null) await _leases.ReleaseAsync(db, row.Id, opens, ct);
                    else await _leases.UnfenceAsync(db, row.Id, opens, ct);
                    return;
                }
            }
            if (row.FencedAt is null && !(await _leases.FenceAsync(db, [row.Id], fencedAt, Lease, ct)).Contains(row.Id))
            {
                await ExplainRefusalAsync(db, row, fencedAt, ct);
                return;
            }
            if (row.FencedAt is null && await EndedAsNotTextableAsync(db, row, ct)) return;
            await db.ReleaseConnectionAsync();
            SendResult result;
            DateTime departing;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(SendTimeout);
                // The provider drops it when its window closes rather than deliver it late (docs/product/sending.md).
                var validFor = row.ExpiresAt is { } expires ? expires - fencedAt : (TimeSpan?)null;
                departing = Now;
                var sending = gateway.SendAsync(new OutgoingText(row.To, row.From, row.Body, new Uri(urls.For(gateway.StatusCallbackPath)), validFor),
                    timeout.Token);
                // A request that left later than its turn covers moves the number's next turn to an interval after it really left.
                if (turn is { } paced && !paced.Covers(departing)) await MoveTurnAsync(db, row, paced, departing);
                result = await sending;
            }
            RecoverlyMetrics.Sent(row.Kind, result.Outcome, result.ErrorCode);
            if (row.Kind == OutboundKind.TextBack && result.Outcome == SendOutcome.Accepted) RecoverlyMetrics.TextBackAccepted(Now - row.CreatedAt);
            var after = SendTransition.Apply(new SendAttempt(row.Kind, row.Attempts, row.ExpiresAt, fencedAt, row.EarlierAttempt) { RequestedAt = departing },
                result, Now);
            await FinishAsync(db, row.Id, after);
            if (result.Outcome == SendOutcome.Configuration)
                log.LogWarning("Outbox {Id}: provider error {Code} needs operator action", row.Id, result.ErrorCode);
            await WarnOperatorAsync(db, row, result.ErrorCode, ct);
            if (result.ErrorCode is { } failed) await registrations.MarkUnregisteredAsync(row.From, failed, CancellationToken.None);
            log.LogInformation("Outbox {Id} ({Kind}) to {To}: {Outcome} {Code}", row.Id, row.Kind, Phones.Mask(row.To), result.Outcome, result.ErrorCode);
        }
        catch (ProviderNotSettledException e) when (!ct.IsCancellationRequested)
        {
            // The provider cannot list the earlier attempt yet: ask again later, never resend blind (docs/decisions/0006-telnyx-in-doubt-sends.md).
            log.LogInformation("Outbox {Id}: {Reason}; asking again later", row.Id, e.Message);
            await RetryLaterAsync(row);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogError(e, "Outbox {Id}: dispatch failed; will retry", row.Id);
            await RetryLaterAsync(row);
        }
        finally
        {
            _held.TryRemove(row.Id, out _);
            // A number with nothing in flight leaves the map (only if still at zero), so a claim looks at the numbers sending now,
            // not at every number this process ever sent from.
            if (_inFlightBySender.AddOrUpdate(row.From, 0, (_, n) => Math.Max(0, n - 1)) == 0)
                _inFlightBySender.TryRemove(new KeyValuePair<string, int>(row.From, 0));
        }
    }

    /// <summary>
    /// The request left later than its turn covers: the number's next turn counts from when it really left. The request is already
    /// on its way, so nothing here may fail the send: a failure costs only the correction, and is logged.
    /// </summary>
    private async Task MoveTurnAsync(RecoverlyDb db, ClaimedRow row, SendGate turn, DateTime left)
    {
        try
        {
            if (!await SendPacer.MoveTurnAsync(db, row.From, turn, left, CancellationToken.None))
                log.LogWarning("Outbox {Id}: its request left {Late} ms after its pacing turn and the number's next turn was already taken",
                    row.Id, (long)(left - turn.TakenAt).TotalMilliseconds);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Outbox {Id}: could not move its number's next turn after a late request", row.Id);
        }
        finally
        {
            await db.ReleaseConnectionAsync();
        }
    }

    /// <summary>
    /// Writes a send's outcome. On PostgreSQL outcomes finishing together share a statement and a commit (<see cref="SendFinisher"/>);
    /// SQLite runs in this process with one writer, where a group saves nothing, so each is written at once.
    /// </summary>
    private Task<bool> FinishAsync(RecoverlyDb db, long id, AfterSend after) =>
        db.Provider == DatabaseProvider.Postgres ? Finisher.FinishAsync(id, after) : SendCompletion.ApplyAsync(db, _leases, id, after, Now, CancellationToken.None);

    /// <summary>
    /// A text-back to a line the lookup says cannot take texts ends here, unsent. Only when lookups are on does a text-back
    /// cost a statement more (docs/product/texts.md, "Landlines").
    /// </summary>
    private async Task<bool> EndedAsNotTextableAsync(RecoverlyDb db, ClaimedRow row, CancellationToken ct)
    {
        if (row.Kind != OutboundKind.TextBack || !lineType.Enabled) return false;
        if (await lineType.NotTextableAsync(db, row.BusinessId, row.To, ct) is not { } notTextable)
        {
            // The alert for this call waited for the check; it may go now (docs/product/texts.md, "Landlines").
            await LineTypeCheck.ReleaseAlertAsync(db, row.Id, ct);
            return false;
        }
        if (await LineTypeCheck.EndAsync(db, _leases, row.Id, CancellationToken.None))
            log.LogInformation("Outbox {Id}: not sent, {To} is a {LineType} line", row.Id, Phones.Mask(row.To), notTextable);
        return true;
    }

    /// <summary>A carrier volume limit, or a keyword answer the provider refused as opted out: the operator must look (operator page and log).</summary>
    private async Task WarnOperatorAsync(RecoverlyDb db, ClaimedRow row, int? code, CancellationToken ct)
    {
        if (code is not { } c) return;
        var error = ProviderErrors.Describe(c);
        if (error.Category == ErrorCategory.OptedOut && DeliveryStatus.IsKeywordAnswer(row.Kind))
            log.LogWarning("Outbox {Id}: the provider refused Recoverly's keyword answer with {Code}; check Twilio:KeywordReplies", row.Id, c);
        if (error.Category != ErrorCategory.Throttled) return;
        log.LogWarning("Outbox {Id}: carriers are limiting sender {Sender} ({Code}); deferred", row.Id, Phones.Mask(row.From), c);
        using (await db.EnterWriteGateAsync(ct))
            await OperatorNotices.RaiseAsync(db, OperatorNotices.SenderThrottled,
                $"Carriers are limiting sender {row.From}: error {c} ({error.Reason}). Texts wait and retry; check its 10DLC or toll-free registration and volume.",
                Now, ct);
    }

    /// <summary>The fence said no: the row expired, consent no longer allows it, or it is no longer ours to send.</summary>
    private async Task ExplainRefusalAsync(RecoverlyDb db, ClaimedRow row, DateTime now, CancellationToken ct)
    {
        if (row.ExpiresAt is { } expires && expires <= now)
        {
            await _leases.EndAsync(db, row.Id, OutboundStatus.Expired, OutboxReason.NotSentInTime, ct);
            return;
        }
        if (!await ConsentLedger.MayTextAsync(db, row.BusinessId, row.To, row.Kind, ct))
        {
            var reason = row.Kind.IsToOwner() ? OutboxReason.OwnerAlertsNotConfirmed : OutboxReason.CallerOptedOut;
            await _leases.EndAsync(db, row.Id, OutboundStatus.Cancelled, reason, ct);
            log.LogInformation("Outbox {Id} ({Kind}): cancelled at the fence ({Reason})", row.Id, row.Kind, reason);
        }
        // Otherwise someone else ended it (a STOP cancelled it, account deleted) or took it: nothing to do.
    }

    /// <summary>
    /// The exact text at the provider from an earlier attempt: same recipient, sender and body, created
    /// since that attempt, and not a message another row already owns.
    /// </summary>
    private async Task<ProviderMessage?> FindAtProviderAsync(RecoverlyDb db, ClaimedRow row, CancellationToken ct)
    {
        var attempt = row.EarlierAttempt ?? row.CreatedAt;
        var since = attempt.AddMinutes(-1); // a minute of slack for clock skew with the provider
        await db.ReleaseConnectionAsync();
        var recent = await gateway.FindRecentAsync(row.To, row.From, attempt, ct);
        foreach (var candidate in recent.Where(p => p.Body == row.Body && p.To == row.To && (p.From is null || p.From == row.From)
                                                    && (p.CreatedAt is null || p.CreatedAt >= since)))
        {
            if (!await db.OutboundMessages.AnyAsync(o => o.ProviderSid == candidate.Sid && o.Id != row.Id, ct)) return candidate;
        }
        return null;
    }

    private async Task RetryLaterAsync(ClaimedRow row)
    {
        try
        {
            await using var scope = scopes.Create();
            var db = scope.Db;
            await _leases.ReleaseAsync(db, row.Id, Now + DispatchOptions.Backoff(row.Attempts + 1), CancellationToken.None);
        }
        catch (Exception e)
        {
            // The lease runs out by itself and another pass reconciles the row.
            log.LogError(e, "Outbox {Id}: could not give the row back", row.Id);
        }
    }
}
