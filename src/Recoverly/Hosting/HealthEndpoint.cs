using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;

namespace Recoverly.Hosting;

/// <summary>
/// <c>GET /healthz</c> for load balancers and orchestrators (docs/deploy.md): 200 while this process and
/// its database are usable, with the process's roles and, on a dispatcher, how long the oldest due text
/// has waited — the first figure to watch when sends fall behind.
/// </summary>
public static class HealthEndpoint
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static void MapHealth(this WebApplication app, RecoverlyOptions options)
    {
        var roles = RolesOf(options);
        var dispatcher = options.HasRole("dispatcher");
        app.MapGet("/healthz", async (RecoverlyDb db, TimeProvider time, CancellationToken ct) =>
        {
            try
            {
                // A real query: the database answers and its schema is in place.
                await db.Businesses.AnyAsync(ct);
                if (!dispatcher) return Results.Json(new Health("ok", roles, null, null), Json);
                var backlog = await OutboxBacklog.ReadAsync(db, time.GetUtcNow().UtcDateTime, ct);
                return Results.Json(new Health("ok", roles, backlog.Waiting,
                    Math.Round(backlog.OldestDueAge.TotalSeconds, 3, MidpointRounding.AwayFromZero)), Json);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return Results.Json(new Health("database unavailable", roles, null, null), Json, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
    }

    public static string[] RolesOf(RecoverlyOptions options) =>
        new[] { "web", "dispatcher" }.Where(options.HasRole).ToArray();

    /// <param name="Status"><c>ok</c>, or what is wrong.</param>
    /// <param name="OutboxWaiting">Dispatcher only: outbox rows not yet sent (including ones scheduled for later).</param>
    /// <param name="OldestDueSeconds">Dispatcher only: how long the oldest due, unsent row has waited.</param>
    private sealed record Health(string Status, string[] Roles, int? OutboxWaiting, double? OldestDueSeconds);
}
