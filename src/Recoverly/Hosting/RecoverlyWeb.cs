using System.Runtime;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Public;
using Recoverly.Telephony;
using Recoverly.Telephony.Simulator;

namespace Recoverly.Hosting;

public static class RecoverlyWeb
{
    /// <summary>Library chatter that would put phone numbers (HttpClient URLs) or SQL in the logs stays at Warning.</summary>
    public static ILoggingBuilder AddRecoverlyFilters(this ILoggingBuilder logging) => logging
        .AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning)
        // A unique-index violation is how a replayed webhook is recognised; the code handles it, so it is not an error.
        .AddFilter("Microsoft.EntityFrameworkCore.Update", LogLevel.Critical)
        .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

    public static IServiceCollection AddRecoverlyWeb(this IServiceCollection services, IConfiguration config)
    {
        var roles = config.GetSection("Recoverly").Get<RecoverlyOptions>() ?? new RecoverlyOptions();
        // One key ring in the database: a login made on one web process is honoured by every other and survives restarts.
        // The fixed application name keeps processes installed in different folders on the same ring (docs/deploy.md).
        services.AddSingleton<Readiness>();
        services.AddSingleton<RehearsalDoor>();
        services.AddDataProtection().SetApplicationName("Recoverly").PersistKeysToDbContext<RecoverlyDb>();
        services.AddOwnerAuth(config);
        services.AddRecoverlyMetrics(config);
        services.AddPublicDeployment(config);
        services.AddScoped<OwnerPlan>();
        services.AddSingleton<Recoverly.Public.PublicSite>();
        // Rendered here, once: a malformed guide stops startup instead of failing a visitor's request.
        services.AddSingleton(Recoverly.Public.Guides.GuideLibrary.LoadEmbedded());
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/App");
            o.Conventions.AuthorizeFolder("/Onboarding");
            o.Conventions.AuthorizeFolder("/Operator", OwnerAuth.OperatorPolicy);
        });
        if (roles.HasRole("dispatcher"))
        {
            services.AddHostedService<DispatcherService>();
            services.AddHostedService<RegistrationMonitorService>();
            // Due summaries are queued by the processes that mail them.
            services.AddHostedService<WeeklySummaryService>();
            services.AddHostedService<ProviderDeletionService>();
        }
        return services;
    }

    /// <summary>
    /// Applies migrations (Database:MigrateOnStartup) and seeds the simulator demo into an empty database, before the server listens.
    /// </summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        if (app.Configuration.GetValue("Database:MigrateOnStartup", true))
            await DatabaseSetup.MigrateAsync(app.Services);
        if (app.Services.GetRequiredService<IOptions<TelephonyOptions>>().Value.IsSimulator)
            await DemoSeed.SeedAsync(app);
    }

    /// <summary>
    /// Warms the hot paths (Recoverly:WarmUp) once the server listens, then declares the process ready (<see cref="Readiness"/>).
    /// Stopped meanwhile, it returns without; a warm-up that fails stops the process.
    /// </summary>
    public static async Task WarmUpAsync(this WebApplication app)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        try
        {
            if (app.Configuration.GetValue("Recoverly:WarmUp", true)) await HotPathWarmup.RunAsync(app, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch
        {
            await app.StopAsync();
            throw;
        }
        var mode = GcLatency.Apply();
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GcLatency))
            .LogInformation("Ready; garbage collection: {Kind}, {Mode}", GCSettings.IsServerGC ? "server" : "workstation", mode);
        app.Services.GetRequiredService<Readiness>().MarkReady();
    }

    public static void MapRecoverly(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<RecoverlyOptions>>().Value;
        // Before everything, so a call start-up rehearses through the server meets the whole pipeline (docs/deploy.md).
        if (options.HasRole("web")) app.UseRehearsalDoor();
        app.UsePublicDeployment();
        // First, so every response carries them, whatever answers it (docs/security-headers.md).
        app.UseRecoverlySecurityHeaders(app.Services.GetRequiredService<BillingSettings>());
        // Every role answers these two; a dispatcher-only process answers nothing else.
        app.MapHealth(options);
        app.UseRecoverlyMetrics();
        if (!options.HasRole("web")) return;
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        if (app.Services.GetRequiredService<IOptions<TelephonyOptions>>().Value.IsTelnyx) app.MapTelnyxWebhooks();
        else app.MapTwilioWebhooks();
        if (app.Services.GetRequiredService<BillingSettings>().IsStripe) StripeWebhook.Map(app);
        if (app.Services.GetRequiredService<IOptions<TelephonyOptions>>().Value.IsSimulator) app.MapSimulator();
        app.MapSiteIndex();
        app.MapRazorPages();
    }
}
