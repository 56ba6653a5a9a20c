using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Recoverly.Dispatch;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Hosting;

/// <summary>What a process serves is decided by its roles (docs/deploy.md), and /healthz says which they are.</summary>
public class RolesTests
{
    private static readonly Dictionary<string, string?> DispatcherOnly = new() { ["Recoverly:Roles"] = "dispatcher" };

    [Theory]
    [BothDatabases]
    public async Task A_dispatcher_only_process_serves_no_pages_or_webhooks_only_its_health(Db db)
    {
        await using var app = await TestApp.StartAsync(db, DispatcherOnly);
        await app.AddBusinessAsync();

        foreach (var path in new[] { "/", "/login", "/signup", "/app", "/pricing", "/css/site.css" })
            Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(path)).StatusCode);
        var call = await app.MissedCallAsync("+15125550142");
        Assert.Equal(HttpStatusCode.NotFound, call.StatusCode);
        Assert.Equal(0, await app.QueryAsync(d => Task.FromResult(d.MissedCalls.Count())));

        var health = await HealthAsync(app);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(["dispatcher"], health.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Theory]
    [BothDatabases]
    public async Task A_dispatcher_reports_how_long_the_oldest_due_text_has_waited(Db db)
    {
        await using var app = await TestApp.StartAsync(db, DispatcherOnly);
        var business = await app.AddBusinessAsync();
        var now = app.Time.GetUtcNow().UtcDateTime;
        await app.QueryAsync(async d =>
        {
            // Due 90 s ago and still held by a dispatcher that stopped answering: exactly what the figure is for.
            var stuck = Outbox.Enqueue(d, new OutboxItem(business.Id, OutboundKind.TextBack, "+15125550142", "+15125550100", "Sorry we missed you"), now.AddSeconds(-90));
            stuck.LeaseOwner = "gone";
            stuck.LeaseUntil = now.AddHours(1);
            Outbox.Enqueue(d, new OutboxItem(business.Id, OutboundKind.HelpReply, "+15125550143", "+15125550100", "Later") { SendAt = now.AddHours(2) }, now);
            return await d.SaveChangesAsync();
        });

        var health = await HealthAsync(app);

        Assert.Equal(2, health.GetProperty("outboxWaiting").GetInt32());
        Assert.Equal(90, health.GetProperty("oldestDueSeconds").GetDouble(), precision: 1);
    }

    [Theory]
    [BothDatabases]
    public async Task A_dispatcher_with_nothing_due_reports_zero(Db db)
    {
        await using var app = await TestApp.StartAsync(db, DispatcherOnly);

        var health = await HealthAsync(app);

        Assert.Equal(0, health.GetProperty("outboxWaiting").GetInt32());
        Assert.Equal(0, health.GetProperty("oldestDueSeconds").GetDouble());
    }

    [Fact]
    public async Task A_web_process_reports_its_role_and_no_outbox_figures()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var health = await HealthAsync(app);

        Assert.Equal(["web"], health.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.False(health.TryGetProperty("oldestDueSeconds", out _));
        Assert.False(health.TryGetProperty("outboxWaiting", out _));
    }

    [Fact]
    public async Task Metrics_are_off_unless_configured()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync("/metrics")).StatusCode);
    }

    private static async Task<JsonElement> HealthAsync(TestApp app)
    {
        var response = await app.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
