using Microsoft.Extensions.Options;
using Recoverly.Hosting;

namespace Recoverly.Dispatch;

/// <summary>
/// Runs the dispatcher when this process has the <c>dispatcher</c> role, as a pipeline: due rows are
/// claimed and started while earlier sends are still in flight (up to <c>Dispatch:Concurrency</c>), so a
/// hanging provider request holds up only its own text. Leases of rows in flight are renewed well
/// before they run out.
/// </summary>
public sealed class DispatcherService(Dispatcher dispatcher, DispatchSignal signal, TimeProvider time, IOptions<DispatchOptions> options,
    Readiness readiness, ILogger<DispatcherService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Sends start once the process is ready: the server listens (the simulator's carrier posts its callbacks to it) and the
        // start-up rehearsal, which compiles the send path without a real dispatcher beside it, is over (docs/deploy.md).
        try
        {
            await readiness.WhenReady.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var o = options.Value;
        var started = false;
        var inFlight = new HashSet<Task>();
        var renewEvery = TimeSpan.FromSeconds(o.LeaseSeconds / 3);
        var lastRenew = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var startedAll = false;
            try
            {
                inFlight.RemoveWhere(t => t.IsCompleted);
                var room = o.Concurrency - inFlight.Count;
                if (room > 0)
                {
                    var limit = Math.Min(room, o.BatchSize);
                    var (claimed, ready) = await dispatcher.ClaimReadyAsync(limit, stoppingToken);
                    foreach (var row in ready) inFlight.Add(dispatcher.ProcessAsync(row, stoppingToken));
                    // Said once the first pass has claimed what was due at the start, so every signal from here on is gathered.
                    if (!started) log.LogInformation("Dispatcher {Worker} started; its first pass claimed {Claimed} due text(s)", dispatcher.WorkerId, claimed);
                    started = true;
                    // A full claim means more may be due right now; go round again without waiting.
                    startedAll = claimed == limit && ready.Count > 0;
                }
                if (time.GetUtcNow() - lastRenew >= renewEvery)
                {
                    await dispatcher.RenewLeasesAsync(stoppingToken);
                    lastRenew = time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Dispatcher pass failed");
            }
            if (startedAll) continue;

            // Wait for new work (a webhook's signal, or the poll for other instances' rows), a paced slot, or free room.
            var now = time.GetUtcNow().UtcDateTime;
            var timeout = TimeSpan.FromMilliseconds(o.PollMilliseconds);
            if (dispatcher.NextWake(now) is { } at && at - now < timeout) timeout = at - now;
            if (timeout <= TimeSpan.Zero) continue;
            var waitForWork = signal.WaitAsync(timeout, time, stoppingToken);
            if (inFlight.Count >= o.Concurrency) await Task.WhenAny(waitForWork, Task.WhenAny(inFlight));
            else if (await waitForWork) await GatherAsync(o, stoppingToken);
        }
        // Let sends already on their way finish and record their outcome.
        await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(o.SendTimeoutSeconds + 5), CancellationToken.None)
            .ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// New work was signalled: wait <c>Dispatch:GatherMilliseconds</c> so the texts of calls coming in together are claimed,
    /// fenced and finished together (docs/product/sending.md, "Gathering"), but never past a paced turn already due.
    /// </summary>
    private async Task GatherAsync(DispatchOptions o, CancellationToken ct)
    {
        var gather = TimeSpan.FromMilliseconds(o.GatherMilliseconds);
        var now = time.GetUtcNow().UtcDateTime;
        if (dispatcher.NextWake(now) is { } at && at - now < gather) gather = at - now;
        if (gather <= TimeSpan.Zero) return;
        try
        {
            await Task.Delay(gather, time, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
