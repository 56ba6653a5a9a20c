namespace Recoverly.Hosting;

/// <summary>
/// Whether start-up has finished warming the hot paths (<see cref="HotPathWarmup"/>). The server listens from the start, so a
/// call that arrives meanwhile is still answered, but <c>GET /healthz</c> says "warming up" (503) until this is set, and a load
/// balancer sends the process nothing before (docs/deploy.md, "Start-up and readiness").
/// </summary>
public sealed class Readiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompleted;

    /// <summary>Completes when the process is ready.</summary>
    public Task WhenReady => _ready.Task;

    public void MarkReady() => _ready.TrySetResult();
}
