using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Data;

/// <summary>
/// The per-connection SQLite settings run once per native connection, not on every open (docs/benchmarks.md). A pooled
/// connection handed out again must still carry them: without the busy timeout a CLI command next to the running app
/// fails at once with "database is locked", and without foreign keys a delete can orphan rows.
/// </summary>
public class SqliteConnectionSettingsTests
{
    [Fact]
    public async Task A_connection_reused_from_the_pool_keeps_its_busy_timeout_syncing_and_foreign_keys()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var handles = new List<object>();
        for (var i = 0; i < 6; i++)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            await db.Database.OpenConnectionAsync();
            try
            {
                var connection = (SqliteConnection)db.Database.GetDbConnection();
                handles.Add(connection.Handle!);
                Assert.Equal(10000L, await PragmaAsync(connection, "busy_timeout"));
                Assert.Equal(1L, await PragmaAsync(connection, "synchronous")); // NORMAL
                Assert.Equal(1L, await PragmaAsync(connection, "foreign_keys"));
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        // The point of the test: the pool did hand the same native connection out again, and it still had its settings.
        Assert.True(handles.Distinct().Count() < handles.Count, "every open got a fresh native connection; the reuse path went untested");
    }

    [Fact]
    public async Task A_foreign_key_is_enforced_on_a_reused_connection()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        for (var i = 0; i < 3; i++)
        {
            var number = $"+1512555010{i}";
            var error = await Assert.ThrowsAsync<DbUpdateException>(() => app.QueryAsync(db =>
            {
                db.Numbers.Add(new RecoverlyNumber { BusinessId = 987654321, E164 = number, AssignedAt = DateTime.UtcNow });
                return db.SaveChangesAsync();
            }));
            Assert.Contains("FOREIGN KEY", error.InnerException?.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_in_memory_database_keeps_its_schema_after_migrating()
    {
        // The connections a migration used leave the pool, except for an in-memory database, which lives only while one is open.
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Recoverly"] = $"Data Source=file:recoverly-{Guid.NewGuid():N}?mode=memory&cache=shared",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddRecoverlyDb(config).BuildServiceProvider();
        await DatabaseSetup.MigrateAsync(services);

        await using var scope = services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<RecoverlyDb>().Businesses.CountAsync());
    }

    private static async Task<long> PragmaAsync(SqliteConnection connection, string name)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"PRAGMA {name}";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
