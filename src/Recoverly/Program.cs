using Recoverly.Cli;
using Recoverly.Hosting;

// `dotnet run --project src/Recoverly -- <command>`: everything but `serve` is a CLI command.
if (Commands.IsCliCommand(args)) return await Commands.RunAsync(args);

// Started from another folder (`dotnet path/to/Recoverly.dll`), the pages' static files come from the build output.
var webRoot = Directory.Exists(Path.Combine(Directory.GetCurrentDirectory(), "wwwroot")) ? null : Path.Combine(AppContext.BaseDirectory, "wwwroot");
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = Commands.ServeArguments(args), WebRootPath = webRoot });
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://localhost:5080");
// A configuration that would start but silently break stops here, before anything listens (docs/deploy.md).
if (StartupChecks.Problem(builder.Configuration) is { } problem)
{
    await Console.Error.WriteLineAsync($"Recoverly cannot start: {problem}");
    return 1;
}
builder.Logging.AddRecoverlyFilters();
builder.Services.AddRecoverlyCore(builder.Configuration);
builder.Services.AddRecoverlyWeb(builder.Configuration);

var app = builder.Build();
await app.PrepareDatabaseAsync();
app.MapRecoverly();
// Listening from here; /healthz says ready once the hot paths are warm (docs/deploy.md, "Start-up and readiness").
await app.StartAsync();
await app.WarmUpAsync();
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;

public partial class Program;
