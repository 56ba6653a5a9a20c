using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Recoverly.Data;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Telephony;

namespace Recoverly.Hosting;

/// <summary>
/// Runs the missed-call webhook's read path before the server listens, so the first real burst after a
/// start (a deploy, a crash restart) does not pay for query compilation and JIT on the caller's time;
/// `/healthz` answers only after this (docs/deploy.md, "Start-up and readiness"). On PostgreSQL every
/// connection of the pool is opened and primed: the lookup runs often enough to be prepared on it, and
/// the write is planned (EXPLAIN), so no server process meets its first real call cold.
/// Nothing is written: the lookup asks for a fictional number no business can hold.
/// </summary>
public static class HotPathWarmup
{
    /// <summary>555-01xx numbers are reserved for fiction: never a real Recoverly number.</summary>
    private const string FictionalNumber = "+12025550199";

    private const string FictionalCaller = "+12025550198";

    public static async Task RunAsync(IServiceProvider services, ILogger log, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        int connections;
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            // Every connection of the pool unless Recoverly:WarmUpConnections says fewer.
            var pool = db.Provider == DatabaseProvider.Postgres ? new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()).MaxPoolSize : 1;
            var config = services.GetRequiredService<IConfiguration>();
            var wanted = string.IsNullOrWhiteSpace(config["Recoverly:WarmUpConnections"]) ? pool : config.GetValue<int>("Recoverly:WarmUpConnections");
            connections = Math.Clamp(wanted, 1, pool);
            var urls = scope.ServiceProvider.GetRequiredService<PublicUrls>();
            var business = new Business { Name = "Warm-up", BusinessPhone = FictionalNumber };
            _ = WebhookEndpoints.Greeting(business, CallOutcome.Texted, urls).ToString();
            _ = new Twilio.Security.RequestValidator("warm-up").Validate(urls.For("/twilio/voice"),
                new Dictionary<string, string> { ["CallSid"] = "CA0", ["To"] = FictionalNumber }, "AAAA");
        }
        // All at once, so each scope holds its own connection and the pool opens every one of them.
        var scopes = Enumerable.Range(0, connections).Select(_ => services.CreateAsyncScope()).ToList();
        try
        {
            await Task.WhenAll(scopes.Select(s => PrimeAsync(s.ServiceProvider, ct)));
        }
        finally
        {
            foreach (var s in scopes) await s.DisposeAsync();
        }
        log.LogInformation("Hot paths warmed on {Connections} connection(s) in {Milliseconds} ms", connections, clock.ElapsedMilliseconds);
    }

    private static async Task PrimeAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<RecoverlyDb>();
        await db.Database.OpenConnectionAsync(ct);
        var recorder = services.GetRequiredService<MissedCallRecorder>();
        var call = new IncomingCall("CA" + new string('0', 32), FictionalCaller, FictionalNumber, null, null);
        // Npgsql prepares a statement the fifth time a connection runs it (Auto Prepare Min Usages).
        for (var i = 0; i < 5; i++) await recorder.LookupAsync(call, ct);
        await recorder.PlanWriteAsync(new Business { Id = 0, Name = "Warm-up", BusinessPhone = FictionalNumber, OwnerPhone = FictionalNumber }, call, ct);
    }
}
