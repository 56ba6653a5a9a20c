using Recoverly.Cli;
using Recoverly.Hosting;

// `dotnet run --project src/Recoverly -- <command>`: everything but `serve` is a CLI command.
if (Commands.IsCliCommand(args)) return await Commands.RunAsync(args);

var builder = WebApplication.CreateBuilder(Commands.ServeArguments(args));
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://localhost:5080");
builder.Logging.AddRecoverlyFilters();
builder.Services.AddRecoverlyCore(builder.Configuration);
builder.Services.AddRecoverlyWeb(builder.Configuration);

var app = builder.Build();
await app.PrepareDatabaseAsync();
app.MapRecoverly();
await app.RunAsync();
return 0;

public partial class Program;
