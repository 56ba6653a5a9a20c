using Npgsql;

namespace Recoverly.Tests.Infrastructure;

public class PostgresClusterTests
{
    [Fact]
    public async Task SharedCluster_DatabasesAreIsolated()
    {
        var cluster = await PostgresCluster.GetSharedAsync();

        var first = await cluster.CreateDatabaseAsync();
        var second = await cluster.CreateDatabaseAsync();
        Assert.NotEqual(first, second);

        await cluster.ExecuteAsync(first, "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items VALUES (1, 'one'), (2, 'two');");
        await cluster.ExecuteAsync(second, "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items VALUES (3, 'three');");

        // The returned connection strings work with plain Npgsql, as the app would use them.
        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT string_agg(name, ',' ORDER BY id) FROM items", connection);
            Assert.Equal("one,two", await command.ExecuteScalarAsync());
        }

        Assert.Equal("three", await cluster.ExecuteScalarAsync(second, "SELECT string_agg(name, ',' ORDER BY id) FROM items"));
        Assert.Equal(
            new NpgsqlConnectionStringBuilder(first).Database,
            await cluster.ExecuteScalarAsync(first, "SELECT current_database()"));
    }

    [Fact]
    public async Task SharedCluster_IsTheSameInstance_AndSpeaksUtf8()
    {
        var cluster = await PostgresCluster.GetSharedAsync();
        Assert.Same(cluster, await PostgresCluster.GetSharedAsync());
        Assert.Equal("UTF8", await cluster.ExecuteScalarAsync("postgres", "SHOW server_encoding"));
        Assert.Equal("off", await cluster.ExecuteScalarAsync("postgres", "SHOW fsync"));
        Assert.Equal("500", await cluster.ExecuteScalarAsync("postgres", "SHOW max_connections"));
        Assert.StartsWith("15.", (string?)await cluster.ExecuteScalarAsync("postgres", "SHOW server_version"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateDatabase_FromTemplate_CopiesSchemaAndData()
    {
        var cluster = await PostgresCluster.GetSharedAsync();
        var template = await cluster.CreateDatabaseAsync();
        await cluster.ExecuteAsync(template, "CREATE TABLE seeded (v text); INSERT INTO seeded VALUES ('from template');");
        var templateName = new NpgsqlConnectionStringBuilder(template).Database!;

        var copy = await cluster.CreateDatabaseAsync(templateName);

        Assert.Equal("from template", await cluster.ExecuteScalarAsync(copy, "SELECT v FROM seeded"));
        await cluster.ExecuteAsync(copy, "INSERT INTO seeded VALUES ('only in copy')");
        Assert.Equal(1L, await cluster.ExecuteScalarAsync(template, "SELECT count(*) FROM seeded"));
    }

    [Fact]
    public async Task OwnCluster_DisposeStopsServerAndDeletesDirectory()
    {
        var cluster = await PostgresCluster.StartAsync();
        var root = cluster.RootDirectory;
        var admin = cluster.AdminConnectionString;
        Assert.True(Directory.Exists(cluster.DataDirectory));
        Assert.Equal(1, await cluster.ExecuteScalarAsync("postgres", "SELECT 1"));

        await cluster.DisposeAsync();
        await cluster.DisposeAsync(); // idempotent

        Assert.False(Directory.Exists(root));
        var builder = new NpgsqlConnectionStringBuilder(admin) { Pooling = false, Timeout = 2 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
    }
}
