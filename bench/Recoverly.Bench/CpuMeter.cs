using System.Globalization;

namespace Recoverly.Bench;

/// <summary>
/// Where the 2 cores went during the measured window, from /proc: the app process, the PostgreSQL
/// server (postmaster + backends, including reaped ones), this benchmark process, and the whole machine.
/// </summary>
public sealed class CpuMeter(IReadOnlyList<int> appPids, Func<int?> postmasterPid)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public sealed record Snapshot(double App, double Db, double Bench, long MachineBusy, long MachineTotal, DateTime At);

    public sealed record Usage(double AppCores, double DbCores, double BenchCores, double MachineCores, int Cores, double WallSeconds)
    {
        /// <summary>Everything else on the machine (other users' builds and tests share these cores).</summary>
        public double OtherCores => Math.Max(0, MachineCores - AppCores - DbCores - BenchCores);
    }

    /// <summary>How busy the machine is over <paramref name="window"/>, in cores.</summary>
    public static async Task<double> MachineBusyCoresAsync(TimeSpan window)
    {
        var (busy0, total0) = Machine();
        await Task.Delay(window);
        var (busy1, total1) = Machine();
        return total1 > total0 ? (double)(busy1 - busy0) / (total1 - total0) * Environment.ProcessorCount : double.NaN;
    }

    public Snapshot Take()
    {
        var (busy, total) = Machine();
        return new Snapshot(
            appPids.Sum(pid => Seconds(pid, withReaped: false)),
            postmasterPid() is { } pm ? Tree(pm) : 0,
            Seconds(Environment.ProcessId, withReaped: false),
            busy, total, DateTime.UtcNow);
    }

    public static Usage Between(Snapshot a, Snapshot b)
    {
        var wall = Math.Max(0.001, (b.At - a.At).TotalSeconds);
        var cores = Environment.ProcessorCount;
        var machine = b.MachineTotal > a.MachineTotal
            ? (double)(b.MachineBusy - a.MachineBusy) / (b.MachineTotal - a.MachineTotal) * cores
            : double.NaN;
        return new Usage((b.App - a.App) / wall, (b.Db - a.Db) / wall, (b.Bench - a.Bench) / wall, machine, cores, wall);
    }

    private static double Tree(int root)
    {
        var total = Seconds(root, withReaped: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == root) continue;
            if (Stat(pid) is { } s && s.Ppid == root) total += (s.Utime + s.Stime) / TicksPerSecond;
        }
        return total;
    }

    private static double Seconds(int pid, bool withReaped) =>
        Stat(pid) is { } s ? (s.Utime + s.Stime + (withReaped ? s.Cutime + s.Cstime : 0)) / TicksPerSecond : 0;

    /// <summary>
    /// Sets the CFS autogroup nice of <paramref name="pid"/>'s session (Linux, sched_autogroup_enabled);
    /// plain nice only ranks threads within one session. Returns the previous value, or null when not possible.
    /// </summary>
    public static int? SetAutogroupNice(int pid, int nice)
    {
        var file = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/autogroup";
        try
        {
            // "/autogroup-508 nice 0"
            var before = File.ReadAllText(file).Trim().Split(' ');
            File.WriteAllText(file, nice.ToString(CultureInfo.InvariantCulture));
            return int.Parse(before[^1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private sealed record ProcStat(int Ppid, long Utime, long Stime, long Cutime, long Cstime);

    private static ProcStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid ..." — comm may hold spaces, so count fields after the last ')'.
        var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return new ProcStat((int)L(1), L(11), L(12), L(13), L(14));
    }

    private static (long Busy, long Total) Machine()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user)
        var idle = cpu[3] + cpu[4];
        var total = cpu.Take(8).Sum();
        return (total - idle, total);
    }
}
