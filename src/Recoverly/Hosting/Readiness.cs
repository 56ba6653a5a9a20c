namespace Recoverly.Hosting;

/// <summary>
/// Whether start-up has finished warming the hot paths (<see cref="HotPathWarmup"/>). The server listens from the start, so a
/// call that arrives meanwhile is still answered, but <c>GET /healthz</c> says "warming up" (503) until this is set, and a load
/// balancer sends the process nothing before (docs/deploy.md, "Start-up and readiness").
/// </summary>
public sealed class Readiness
{
    private readonly TaskCompletionSource _rehearsed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompleted;

    /// <summary>Completes when the process is ready.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>
    /// Completes once start-up's rehearsal has rolled back (or, without one, when the process is ready): what remains is waiting
    /// for the compiler, which the dispatcher's own start should fall into rather than into the first burst.
    /// </summary>
    public Task WhenRehearsed => _rehearsed.Task;

    public void MarkRehearsed() => _rehearsed.TrySetResult();

    public void MarkReady()
    {
        _rehearsed.TrySetResult();
        _ready.TrySetResult();
    }
}
