using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Dispatch;

/// <summary>
/// On PostgreSQL the dispatcher works on a connection pool of its own (docs/deploy.md, "Connections"): a burst of webhooks
/// holding every connection of the web pool must not hold up the texts.
/// </summary>
public class DispatchConnectionTests
{
    private const string Caller = "+15125550142";

    [Fact]
    public async Task A_text_goes_out_while_every_connection_of_the_web_pool_is_held()
    {
        // Two web connections, and a wait for one that gives up after ten seconds (long enough for a start-up on a busy machine).
        await using var app = await TestApp.StartAsync(Db.Postgres, new Dictionary<string, string?>
        {
            [TestApp.ConnectionExtra] = "Maximum Pool Size=2;Timeout=10",
        });
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        var held = new List<AsyncServiceScope>();
        string sentSid;
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var scope = app.Services.CreateAsyncScope();
                held.Add(scope);
                await scope.ServiceProvider.GetRequiredService<RecoverlyDb>().Database.OpenConnectionAsync();
            }
            // The web pool is empty: a web request's query would now wait and fail.
            await using (var another = app.Services.CreateAsyncScope())
                await Assert.ThrowsAnyAsync<NpgsqlException>(() => another.ServiceProvider.GetRequiredService<RecoverlyDb>().Database.GetDbConnection().OpenAsync());

            Assert.Equal(1, await app.DispatchAsync());

            var sent = Assert.Single(app.SmsApi.Sent);
            Assert.Equal(Caller, sent.To);
            sentSid = sent.Sid;
        }
        finally
        {
            foreach (var scope in held) await scope.DisposeAsync();
        }
        var text = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Queued, text.Status);
        Assert.Equal(sentSid, text.ProviderSid);
    }

    [Fact]
    public async Task The_dispatchers_connections_are_named_apart_and_a_context_goes_back_to_the_web_pool_unchanged()
    {
        await using var app = await TestApp.StartAsync(Db.Postgres);
        var web = await ApplicationNameAsync(app.Services.CreateAsyncScope());
        var factory = app.Services.GetRequiredService<DispatchScopes>();

        RecoverlyDb used;
        await using (var scope = factory.Create())
        {
            used = scope.Db;
            Assert.Equal("recoverly-dispatch", await ScalarAsync(scope.Db, "SELECT current_setting('application_name')"));
        }
        Assert.NotEqual("recoverly-dispatch", web);

        // Every context the pool hands out, held at once so the one the dispatcher used is among them (unless a background
        // service holds it just then: asked again), is back on the web pool.
        for (var attempt = 0; ; attempt++)
        {
            var scopes = Enumerable.Range(0, 64).Select(_ => app.Services.CreateAsyncScope()).ToList();
            try
            {
                var contexts = scopes.Select(s => s.ServiceProvider.GetRequiredService<RecoverlyDb>()).ToList();
                Assert.All(contexts, c => Assert.DoesNotContain("recoverly-dispatch", c.Database.GetConnectionString(), StringComparison.Ordinal));
                if (contexts.SingleOrDefault(c => ReferenceEquals(c, used)) is not { } again)
                {
                    Assert.True(attempt < 50, "the context the dispatcher used never came back to the pool");
                    continue;
                }
                Assert.Equal(web, await ScalarAsync(again, "SELECT current_setting('application_name')"));
                break;
            }
            finally
            {
                foreach (var s in scopes) await s.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("ten")]
    [InlineData("1001")]
    public void A_bad_pool_size_stops_the_start_with_a_clear_error(string value)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dispatch:Connections"] = value }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => DispatchConnection.SizeFrom(config));
        Assert.Contains("Dispatch:Connections", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pool_keeps_the_operators_connection_settings_under_its_own_name_and_size()
    {
        var pool = DispatchConnection.ForPostgres("Host=db.internal;Database=recoverly;Username=app;Password=secret;Application Name=acme;Maximum Pool Size=40", 6);
        var builder = new NpgsqlConnectionStringBuilder(pool.ConnectionString);
        Assert.Equal(("db.internal", "recoverly", "app", "secret"), (builder.Host, builder.Database, builder.Username, builder.Password));
        Assert.Equal(("acme-dispatch", 6), (builder.ApplicationName, builder.MaxPoolSize));
        Assert.Equal(DispatchConnection.DefaultSize, DispatchConnection.SizeFrom(new ConfigurationBuilder().Build()));
    }

    private static async Task<string> ApplicationNameAsync(AsyncServiceScope scope)
    {
        await using (scope) return await ScalarAsync(scope.ServiceProvider.GetRequiredService<RecoverlyDb>(), "SELECT current_setting('application_name')");
    }

    private static async Task<string> ScalarAsync(RecoverlyDb db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await db.Database.OpenConnectionAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
