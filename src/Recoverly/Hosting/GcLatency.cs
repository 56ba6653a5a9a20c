using System.Runtime;

namespace Recoverly.Hosting;

/// <summary>
/// Once a process is ready, the garbage collector avoids blocking full collections while it can (<c>SustainedLowLatency</c>):
/// on a warm process those collections were the worst stalls of a webhook (docs/deploy.md, "Start-up and readiness").
/// An operator's own <c>DOTNET_GCLatencyMode</c> is left as it is.
/// </summary>
public static class GcLatency
{
    public const string EnvironmentVariable = "DOTNET_GCLatencyMode";

    /// <summary>Sets the mode unless the environment chose one; returns the mode the collector is in afterwards.</summary>
    public static GCLatencyMode Apply()
    {
        // The mode needs background collections; with concurrent GC switched off the runtime keeps its own.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable))) GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        return GCSettings.LatencyMode;
    }
}
