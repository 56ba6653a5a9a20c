using Recoverly.Data;

namespace Recoverly.Dispatch;

/// <summary>
/// Group commit for send outcomes on PostgreSQL (docs/product/sending.md, step 7). Up to <see cref="MaxWriters"/> writes run at
/// once; a send that finishes while all of them are busy joins the next group, so under load many outcomes share one
/// statement and one commit, and otherwise each is written at once, never queued behind one slow commit. If a group cannot
/// be written, each of its outcomes is written on its own, so one bad row never holds back the others.
/// </summary>
public sealed class SendFinisher(DispatchScopes scopes, OutboxLeases leases, TimeProvider time, ILogger log)
{
    /// <summary>The most outcomes one statement writes.</summary>
    public const int MaxGroup = 64;

    /// <summary>The most writes at once (each holds a pooled connection while it runs).</summary>
    public const int MaxWriters = 4;

    private sealed record Waiting(long Id, AfterSend After, TaskCompletionSource<bool> Done);

    private readonly object _gate = new();
    private readonly List<Waiting> _waiting = [];
    private int _writers;
    private int _unwritten;

    /// <summary>Outcomes handed in and not yet written (waiting, or in the group being written).</summary>
    public int Unwritten => Volatile.Read(ref _unwritten);

    /// <summary>How many groups were written, and how many outcomes they held (for the benchmark's and tests' eyes).</summary>
    public (long Groups, long Outcomes) Written { get; private set; }

    /// <summary>Writes one send's outcome. Returns false when the row was no longer this worker's.</summary>
    public Task<bool> FinishAsync(long id, AfterSend after)
    {
        var waiting = new Waiting(id, after, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _unwritten);
        lock (_gate)
        {
            _waiting.Add(waiting);
            if (_writers == MaxWriters) return waiting.Done.Task;
            _writers++;
        }
        _ = Task.Run(WriteGroupsAsync);
        return waiting.Done.Task;
    }

    private async Task WriteGroupsAsync()
    {
        while (true)
        {
            List<Waiting> group;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writers--;
                    return;
                }
                group = _waiting.Take(MaxGroup).ToList();
                _waiting.RemoveRange(0, group.Count);
            }
            await WriteAsync(group);
            Interlocked.Add(ref _unwritten, -group.Count);
        }
    }

    private void Count(int outcomes)
    {
        lock (_gate) Written = (Written.Groups + 1, Written.Outcomes + outcomes);
    }

    private async Task WriteAsync(List<Waiting> group)
    {
        // An outcome that teaches something (an opt-out, a landline) writes more than its row: always on its own.
        var together = group.Where(w => !w.After.LearnFromError).ToList();
        var alone = group.Where(w => w.After.LearnFromError).ToList();
        // A lone outcome takes the one-row statement: PostgreSQL plans it once, where the many-row one is planned on each run.
        if (together.Count > 1)
        {
            try
            {
                await using var scope = scopes.Create();
                var written = await SendCompletion.ApplyManyAsync(scope.Db, leases,
                    [.. together.Select(w => (w.Id, w.After))], time.GetUtcNow().UtcDateTime, CancellationToken.None);
                Count(together.Count);
                foreach (var w in together) w.Done.TrySetResult(written.Contains(w.Id));
                together.Clear();
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Writing {Count} send outcomes together failed; writing each on its own", together.Count);
            }
        }
        foreach (var w in together.Concat(alone))
        {
            try
            {
                await using var scope = scopes.Create();
                var written = await SendCompletion.ApplyAsync(scope.Db, leases, w.Id, w.After,
                    time.GetUtcNow().UtcDateTime, CancellationToken.None);
                Count(1);
                w.Done.TrySetResult(written);
            }
            catch (Exception e)
            {
                w.Done.TrySetException(e);
            }
        }
    }
}
