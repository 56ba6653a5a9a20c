using System.Diagnostics;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// Waits on a condition, never on the clock: polls until it holds. The deadline only bounds a failure
/// (a busy CI machine may take long to get there); it never decides that something succeeded.
/// </summary>
public static class Eventually
{
    /// <summary>Generous on purpose: a run on two shared cores under load can be many times slower than a quiet one.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Polls until <paramref name="condition"/> holds; fails the test naming <paramref name="what"/> otherwise, followed by
    /// <paramref name="context"/> (e.g. the tail of a server process's console) so a rare failure explains itself.
    /// </summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null, Func<string>? context = null)
    {
        var limit = deadline ?? Deadline;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit) Assert.Fail($"Gave up after {limit.TotalSeconds:0} s waiting until {what}{Context(context)}");
            await Task.Delay(PollInterval);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? deadline = null, Func<string>? context = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, deadline, context);

    private static string Context(Func<string>? context) => context is null ? "" : "\n" + context();

    /// <summary>Reads until the value satisfies <paramref name="done"/> and returns it; fails with the last value read otherwise.</summary>
    public static async Task<T> MatchAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? deadline = null,
        Func<string>? context = null)
    {
        var limit = deadline ?? Deadline;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (clock.Elapsed > limit) Assert.Fail($"Gave up after {limit.TotalSeconds:0} s waiting until {what}; last seen: {Describe(value)}{Context(context)}");
            await Task.Delay(PollInterval);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string s => s,
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>()) + "]",
        _ => value.ToString() ?? "",
    };
}
