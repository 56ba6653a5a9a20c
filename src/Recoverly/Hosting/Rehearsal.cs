namespace Recoverly.Hosting;

/// <summary>
/// Marks work that start-up runs only to compile and warm the hot paths (<see cref="HotPathWarmup"/>): everything it writes is
/// rolled back, so it logs nothing, counts in no metric and wakes no dispatcher (docs/deploy.md, "Start-up and readiness").
/// </summary>
public static class Rehearsal
{
    private static readonly AsyncLocal<bool> Flag = new();

    /// <summary>True inside a start-up rehearsal, on its own async flow only.</summary>
    public static bool Active => Flag.Value;

    internal static Scope Begin()
    {
        Flag.Value = true;
        return default;
    }

    internal readonly struct Scope : IDisposable
    {
        public void Dispose() => Flag.Value = false;
    }
}
