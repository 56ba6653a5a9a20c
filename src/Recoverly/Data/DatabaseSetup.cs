using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Recoverly.Dispatch;

namespace Recoverly.Data;

public static class DatabaseSetup
{
    public const string DefaultSqlite = "Data Source=data/recoverly.db";

    public static DatabaseProvider ProviderFrom(IConfiguration config)
    {
        var name = config["Database:Provider"] ?? "Sqlite";
        return name.Trim().ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
            _ => throw new InvalidOperationException($"Database:Provider must be Sqlite or Postgres, not '{name}'."),
        };
    }

    public static IServiceCollection AddRecoverlyDb(this IServiceCollection services, IConfiguration config)
    {
        var provider = ProviderFrom(config);
        var connection = config.GetConnectionString("Recoverly");
        if (provider == DatabaseProvider.Sqlite)
        {
            connection = PrepareSqlite(string.IsNullOrWhiteSpace(connection) ? DefaultSqlite : connection);
            services.AddDbContextPool<SqliteRecoverlyDb>(o => o
                .UseSqlite(connection)
                .AddInterceptors(SqlitePragmas.Instance));
            services.AddSingleton<IWriteGate, SingleWriterGate>();
            services.AddScoped<RecoverlyDb>(sp => WithGate(sp, sp.GetRequiredService<SqliteRecoverlyDb>()));
            services.AddSingleton(DispatchConnection.Shared);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(connection))
                throw new InvalidOperationException("ConnectionStrings:Recoverly is required when Database:Provider is Postgres.");
            var prepared = PreparePostgres(connection);
            services.AddDbContextPool<PostgresRecoverlyDb>(o => o.UseNpgsql(prepared));
            services.AddSingleton(DispatchConnection.ForPostgres(prepared, DispatchConnection.SizeFrom(config)));
            if (config.GetValue("Database:WriteCallsTogether", true))
                services.AddSingleton(sp => new Recoverly.Calls.CallWriteBatcher(prepared, sp.GetRequiredService<ILogger<Recoverly.Calls.CallWriteBatcher>>()));
            services.AddSingleton<IWriteGate>(NoWriteGate.Instance);
            services.AddScoped<RecoverlyDb>(sp => WithGate(sp, sp.GetRequiredService<PostgresRecoverlyDb>()));
        }
        return services;
    }

    private static RecoverlyDb WithGate(IServiceProvider services, RecoverlyDb db)
    {
        db.WriteGate = services.GetRequiredService<IWriteGate>();
        return db;
    }

    /// <summary>Creates the database folder and turns on WAL once (it is persistent in the file).</summary>
    private static string PrepareSqlite(string connection)
    {
        var builder = new SqliteConnectionStringBuilder(connection);
        if (builder.DataSource is { Length: > 0 } file && !InMemory(connection))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(file));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using var conn = new SqliteConnection(builder.ConnectionString);
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL;";
            cmd.ExecuteNonQuery();
        }
        if (!connection.Contains("Default Timeout", StringComparison.OrdinalIgnoreCase))
            builder.DefaultTimeout = 30;
        return builder.ConnectionString;
    }

    private static bool InMemory(string connection)
    {
        var builder = new SqliteConnectionStringBuilder(connection);
        return builder.Mode == SqliteOpenMode.Memory || builder.DataSource == ":memory:"
               || builder.DataSource.Contains("mode=memory", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Connections per process unless the connection string says otherwise (docs/deploy.md, "Connections").</summary>
    public const int DefaultPoolSize = 20;

    /// <summary>
    /// Defaults measured in bench/ (docs/benchmarks.md): automatic statement preparation and no
    /// DISCARD ALL on every pooled connection return halve PostgreSQL's CPU per missed call; a pool of
    /// 20 rather than Npgsql's 100 keeps a burst from opening (and warming) dozens of server processes
    /// that then queue for the same cores and WAL. Anything set explicitly in the connection string wins.
    /// </summary>
    public static string PreparePostgres(string connection)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connection);
        if (!connection.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        if (!connection.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        if (!connection.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connection.Contains("Max Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connection.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
            builder.MaxPoolSize = DefaultPoolSize;
        return builder.ConnectionString;
    }

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        await MigrateAsync(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<RecoverlyDb>(), ct);
    }

    /// <summary>Migrates only when a migration is pending: reading which are applied takes no lock and writes nothing.</summary>
    public static async Task MigrateIfPendingAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        if ((await db.Database.GetPendingMigrationsAsync(ct)).Any()) await MigrateAsync(scope.ServiceProvider, db, ct);
    }

    private static async Task MigrateAsync(IServiceProvider services, RecoverlyDb db, CancellationToken ct)
    {
        if (db.Provider == DatabaseProvider.Sqlite && await HeldSqliteLockAsync(db, ct) is { } since)
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseSetup)).LogWarning(
                "Waiting for the migration lock, held since {Since}. If no other Recoverly process is migrating this database, one was stopped while migrating: stop Recoverly and delete the row in __EFMigrationsLock (docs/deploy.md, \"Migrations\")",
                since);
        try
        {
            await db.Database.MigrateAsync(ct);
        }
        finally
        {
            // EF rebuilds a SQLite table with foreign keys switched off on that connection and back on afterwards; a migration
            // stopped in between would leave a pooled connection without them, and the settings run only once per connection
            // (SqlitePragmas). Connections that migrated are not reused; an in-memory database lives only while a connection
            // does, so its connections stay.
            if (db.Database.GetDbConnection() is SqliteConnection sqlite && !InMemory(sqlite.ConnectionString)) SqliteConnection.ClearPool(sqlite);
        }
    }

    /// <summary>
    /// When EF Core's SQLite migration lock row was taken, or null when it is free. A process killed while migrating leaves the
    /// row, and every later migration waits for it without a word, so the caller says so before waiting (docs/deploy.md,
    /// "Migrations"); the row is not removed, because a migration may really be running in another process.
    /// </summary>
    private static async Task<string?> HeldSqliteLockAsync(RecoverlyDb db, CancellationToken ct)
    {
        // SQLite compiles a statement naming a missing table as an error, so ask whether it exists first.
        await using (var exists = await Dispatch.OutboxLeases.CommandAsync(db,
                         "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'", ct))
            if (await exists.ExecuteScalarAsync(ct) is null) return null;
        await using var held = await Dispatch.OutboxLeases.CommandAsync(db, """SELECT "Timestamp" FROM "__EFMigrationsLock" LIMIT 1""", ct);
        return await held.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>
    /// Per-connection SQLite settings: a busy timeout for other processes (the CLI), durable-enough WAL syncing and foreign
    /// keys. They belong to the native connection, which the pool keeps across EF's many open/close pairs, so they run once per
    /// native connection rather than on every open: three statements fewer per open, twelve per missed call
    /// (docs/benchmarks.md, "Where a missed call's CPU goes").
    /// </summary>
    private sealed class SqlitePragmas : DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();
        private const string Sql = "PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
        private static readonly ConditionalWeakTable<object, object> Applied = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            if (!FirstOpen(connection, out var native)) return;
            try
            {
                using var cmd = connection.CreateCommand();
                cmd.CommandText = Sql;
                cmd.ExecuteNonQuery();
            }
            catch
            {
                Applied.Remove(native);
                throw;
            }
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (!FirstOpen(connection, out var native)) return;
            try
            {
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = Sql;
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
            catch
            {
                Applied.Remove(native);
                throw;
            }
        }

        /// <summary>True the first time this native connection (or, for any other kind, this connection object) is seen.</summary>
        private static bool FirstOpen(DbConnection connection, out object native)
        {
            native = (connection as SqliteConnection)?.Handle ?? (object)connection;
            return Applied.TryAdd(native, native);
        }
    }
}

/// <summary>
/// SQLite has one writer; queueing writers in-process is fairer and faster than letting them
/// spin on SQLITE_BUSY. PostgreSQL needs no gate.
/// </summary>
public interface IWriteGate
{
    ValueTask<IDisposable> EnterAsync(CancellationToken ct);
}

internal sealed class SingleWriterGate : IWriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async ValueTask<IDisposable> EnterAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release();
        }
    }
}

internal sealed class NoWriteGate : IWriteGate
{
    public static readonly NoWriteGate Instance = new();
    private static readonly IDisposable Nothing = new Empty();
    public ValueTask<IDisposable> EnterAsync(CancellationToken ct) => ValueTask.FromResult(Nothing);
    private sealed class Empty : IDisposable { public void Dispose() { } }
}

/// <summary>Design-time factories so `dotnet ef` can build each migration set without a running app.</summary>
public sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteRecoverlyDb>
{
    public SqliteRecoverlyDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteRecoverlyDb>().UseSqlite("Data Source=design.db").Options);
}

public sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresRecoverlyDb>
{
    public PostgresRecoverlyDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresRecoverlyDb>().UseNpgsql("Host=localhost;Database=recoverly_design").Options);
}
