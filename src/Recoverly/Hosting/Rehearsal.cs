namespace Recoverly.Hosting;

/// <summary>
/// Marks work that start-up runs only to compile and warm the hot paths (<see cref="HotPathWarmup"/>): everything it writes is
/// rolled back, so it logs nothing, counts in no metric, wakes no dispatcher and sends nothing (docs/deploy.md, "Start-up and
/// readiness").
/// </summary>
public static class Rehearsal
{
    internal sealed class Run
    {
        public volatile bool Ended;

        public volatile Uri? Provider;
    }

    private static readonly AsyncLocal<Run?> Current = new();

    /// <summary>
    /// True inside a start-up rehearsal, on its own async flow only, and only while it runs: work the rehearsal started and
    /// that outlives it (a timer, a pooled task) carries its flow, but is never taken for a rehearsal once it has ended.
    /// </summary>
    public static bool Active => Current.Value is { Ended: false };

    /// <summary>Where the running rehearsal's sends go instead of the provider (<see cref="RehearsalProvider"/>); null when it has none.</summary>
    public static Uri? Provider => Current.Value is { Ended: false } run ? run.Provider : null;

    /// <summary>Sends of the running rehearsal go to <paramref name="standIn"/> from now on.</summary>
    internal static void SendTo(Uri standIn)
    {
        var run = Current.Value ?? throw new InvalidOperationException("no rehearsal is running");
        run.Provider = standIn;
    }

    internal static Scope Begin()
    {
        var run = new Run();
        Current.Value = run;
        return new Scope(run);
    }

    /// <summary>The running rehearsal, to hand to another flow (<see cref="Join"/>); null outside one.</summary>
    internal static Run? Running => Current.Value is { Ended: false } run ? run : null;

    /// <summary>
    /// Makes this async flow part of <paramref name="run"/> (a rehearsed request that reached the server over its socket,
    /// <see cref="RehearsalDoor"/>) until disposed; it ends nothing.
    /// </summary>
    internal static Joined Join(Run run)
    {
        var before = Current.Value;
        Current.Value = run;
        return new Joined(before);
    }

    internal readonly struct Joined(Run? before) : IDisposable
    {
        public void Dispose() => Current.Value = before;
    }

    internal readonly struct Scope(Run run) : IDisposable
    {
        public void Dispose()
        {
            run.Ended = true;
            Current.Value = null;
        }
    }
}
