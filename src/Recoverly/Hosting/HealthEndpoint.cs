using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;

namespace Recoverly.Hosting;

/// <summary>
/// <c>GET /healthz</c> for load balancers and orchestrators (docs/deploy.md): 503 while start-up still warms the hot paths
/// (<see cref="Readiness"/>), then 200 while this process and its database are usable, with the process's roles and, on a
/// dispatcher, how long the oldest due text has waited — the first figure to watch when sends fall behind.
/// </summary>
public static class HealthEndpoint
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static void MapHealth(this WebApplication app, RecoverlyOptions options)
    {
        var roles = RolesOf(options);
        var dispatcher = options.HasRole("dispatcher");
        var readiness = app.Services.GetRequiredService<Readiness>();
        app.MapGet("/healthz", async (RecoverlyDb db, TimeProvider time, CancellationToken ct) =>
        {
            // Listening, but the first real burst would still pay for compilation: not yet for a load balancer.
            if (!readiness.IsReady)
                return Results.Json(new Health("warming up", roles, null, null), Json, statusCode: StatusCodes.Status503ServiceUnavailable);
            try
            {
                var (waiting, oldestDue) = await CheckAsync(db, time.GetUtcNow().UtcDateTime, dispatcher, ct);
                return Results.Json(new Health("ok", roles, waiting, oldestDue), Json);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return Results.Json(new Health("database unavailable", roles, null, null), Json, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
    }

    /// <summary>
    /// The checks behind a 200: a real query (the database answers and its schema is in place) and, on a dispatcher, the outbox's
    /// backlog (rows waiting, and the oldest due one's age in seconds). Start-up runs them too (<see cref="HotPathWarmup"/>), so
    /// the first probe after ready does not compile them while the first calls wait.
    /// </summary>
    internal static async Task<(int? Waiting, double? OldestDueSeconds)> CheckAsync(RecoverlyDb db, DateTime now, bool dispatcher, CancellationToken ct)
    {
        await db.Businesses.AnyAsync(ct);
        if (!dispatcher) return (null, null);
        var backlog = await OutboxBacklog.ReadAsync(db, now, ct);
        return (backlog.Waiting, Math.Round(backlog.OldestDueAge.TotalSeconds, 3, MidpointRounding.AwayFromZero));
    }

    public static string[] RolesOf(RecoverlyOptions options) =>
        new[] { "web", "dispatcher" }.Where(options.HasRole).ToArray();

    /// <param name="Status"><c>ok</c>, <c>warming up</c>, or what is wrong.</param>
    /// <param name="OutboxWaiting">Dispatcher only: outbox rows not yet sent (including ones scheduled for later).</param>
    /// <param name="OldestDueSeconds">Dispatcher only: how long the oldest due, unsent row has waited.</param>
    private sealed record Health(string Status, string[] Roles, int? OutboxWaiting, double? OldestDueSeconds);
}
