using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Data;

public class MigrationTests
{
    [Fact]
    public void The_sqlite_migrations_match_the_model()
    {
        using var db = new SqliteDesignFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "Run scripts/add-migration.sh: the SQLite model has changes no migration covers.");
    }

    [Fact]
    public void The_postgres_migrations_match_the_model()
    {
        using var db = new PostgresDesignFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "Run scripts/add-migration.sh: the PostgreSQL model has changes no migration covers.");
    }

    [Fact]
    public void Both_providers_have_the_same_migrations()
    {
        using var sqlite = new SqliteDesignFactory().CreateDbContext([]);
        using var postgres = new PostgresDesignFactory().CreateDbContext([]);
        static IEnumerable<string> Names(DbContext db) => db.Database.GetMigrations().Select(m => m[(m.IndexOf('_') + 1)..]);
        Assert.Equal(Names(sqlite), Names(postgres));
    }

    [Fact]
    public async Task A_migration_that_meets_a_lock_left_by_a_killed_process_says_so_while_it_waits()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        // What a process killed while migrating leaves behind: EF Core's SQLite lock table (as EF creates it) holding its row.
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync("""
            CREATE TABLE IF NOT EXISTS "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL)
            """));
        await app.QueryAsync(d => d.Database.ExecuteSqlRawAsync(
            "INSERT INTO \"__EFMigrationsLock\" (\"Id\", \"Timestamp\") VALUES (1, '2026-11-30 16:32:09.0000000+00:00')"));

        using var stop = new CancellationTokenSource();
        var migrate = DatabaseSetup.MigrateAsync(app.Services, stop.Token);
        await Eventually.TrueAsync(() => app.Logs.Lines.Any(l => l.Contains("Waiting for the migration lock, held since 2026-11-30 16:32:09", StringComparison.Ordinal)),
            "the held lock was reported");
        Assert.False(migrate.IsCompleted, "the migration waits for the lock rather than ignoring it");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => migrate);
        Assert.Equal(1, await app.QueryAsync(d => d.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM \"__EFMigrationsLock\"").SingleAsync()));
    }
}
