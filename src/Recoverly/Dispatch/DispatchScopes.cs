using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Dispatch;

/// <summary>
/// The connection string of the dispatcher's own PostgreSQL pool, or null where it has none (SQLite, whose one writer is a gate
/// rather than a pool). See docs/deploy.md, "Connections". A class, not a record: a record would print the password.
/// </summary>
public sealed class DispatchConnection(string? connectionString, int size)
{
    public string? ConnectionString { get; } = connectionString;

    public int Size { get; } = size;

    /// <summary>Connections in the dispatcher's pool unless <c>Dispatch:Connections</c> says otherwise.</summary>
    public const int DefaultSize = 3;

    /// <summary>No pool of its own: the dispatcher works on the connections every other part of the process uses.</summary>
    public static readonly DispatchConnection Shared = new(null, 0);

    /// <summary>The size from <c>Dispatch:Connections</c>, or the default when it is not set.</summary>
    public static int SizeFrom(IConfiguration config) =>
        SizeProblem(config) is { } problem ? throw new InvalidOperationException(problem) : Parse(config["Dispatch:Connections"]) ?? DefaultSize;

    /// <summary>Why <c>Dispatch:Connections</c> cannot be used (anything but a whole number from 1 to 1000), or null.</summary>
    public static string? SizeProblem(IConfiguration config)
    {
        var value = config["Dispatch:Connections"];
        return string.IsNullOrWhiteSpace(value) || Parse(value) is not null
            ? null : $"Dispatch:Connections must be a whole number from 1 to 1000, not '{value}'.";
    }

    private static int? Parse(string? value) =>
        int.TryParse(value?.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= 1000
            ? size : null;

    /// <summary>
    /// The web pool's connection string under another application name and size: Npgsql keeps one pool per connection string, so
    /// the dispatcher's claims, fences and finishes never queue for a connection behind a burst of webhooks, and the operator sees
    /// its backends apart in <c>pg_stat_activity</c>.
    /// </summary>
    public static DispatchConnection ForPostgres(string webConnection, int size)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(webConnection);
        builder.ApplicationName = string.IsNullOrEmpty(builder.ApplicationName) ? "recoverly-dispatch" : builder.ApplicationName + "-dispatch";
        builder.MaxPoolSize = size;
        builder.MinPoolSize = Math.Min(builder.MinPoolSize, size);
        return new DispatchConnection(builder.ConnectionString, size);
    }
}

/// <summary>Creates the database scopes the dispatcher works in: on PostgreSQL each runs on a connection of the dispatcher's own pool.</summary>
public sealed class DispatchScopes(IServiceScopeFactory scopes, DispatchConnection connection)
{
    public DispatchScope Create()
    {
        var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        string? original = null;
        if (connection.ConnectionString is { } dispatch)
        {
            original = db.Database.GetConnectionString();
            db.Database.SetConnectionString(dispatch);
        }
        return new DispatchScope(scope, db, original);
    }
}

/// <summary>
/// One unit of the dispatcher's database work. The context comes from the process's shared context pool, so the web pool's
/// connection string is put back (its connection closed first) before the context goes back to that pool.
/// </summary>
public sealed class DispatchScope(AsyncServiceScope scope, RecoverlyDb db, string? original) : IAsyncDisposable
{
    public RecoverlyDb Db { get; } = db;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (original is not null)
            {
                // Closed on the connection itself: EF's own close only counts down the opens it was asked for.
                await Db.Database.GetDbConnection().CloseAsync();
                Db.Database.SetConnectionString(original);
            }
        }
        finally
        {
            await scope.DisposeAsync();
        }
    }
}
