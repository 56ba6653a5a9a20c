using System.Runtime.CompilerServices;

namespace Recoverly.Tests.Infrastructure;

internal static class TestEnvironment
{
    /// <summary>
    /// Hundreds of in-process hosts must not each watch appsettings.json for changes: every watcher is an
    /// inotify instance, and the default limit (128 per user) runs out on a busy machine.
    /// </summary>
    [ModuleInitializer]
    internal static void NoConfigReload() => Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
}
