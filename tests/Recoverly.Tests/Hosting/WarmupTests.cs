using Microsoft.EntityFrameworkCore;
using Npgsql;
using Recoverly.Data;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Hosting;

public class WarmupTests
{
    [Theory]
    [BothDatabases]
    public async Task Start_up_warms_the_webhook_path_before_listening_and_writes_nothing(Db db)
    {
        // As deployed: every connection of the pool is primed, not the tests' one.
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Recoverly:WarmUpConnections"] = null });

        Assert.Contains(app.Logs.Lines, l => l.Contains("Hot paths warmed", StringComparison.Ordinal));
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.Contacts.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.ConsentEvents.CountAsync()));
        if (db != Db.Postgres) return;

        // The whole pool is open and primed before the first call: no server process meets a burst cold.
        await using var probe = new NpgsqlConnection(app.ConnectionString);
        await probe.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", probe);
        Assert.Equal(DatabaseSetup.DefaultPoolSize, Convert.ToInt32(await count.ExecuteScalarAsync()));
        // The write was only planned: its sequence never moved, so the first real call is call 1.
        await app.AddBusinessAsync();
        await app.MissedCallAsync("+15125550123");
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.Select(m => m.Id).SingleAsync()));
    }
}
