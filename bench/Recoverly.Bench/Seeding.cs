using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recoverly.Businesses;
using Recoverly.Data;

namespace Recoverly.Bench;

/// <summary>Builds the schema with the app's own migrations and seeds the businesses through its DbContext.</summary>
public static class Seeding
{
    /// <summary>
    /// The abuse guard (default 100 text-backs a business a day) would turn a long high-rate run into
    /// daily_limit outcomes; the benchmark measures throughput, so its businesses get a high cap.
    /// </summary>
    public const int BenchDailyCap = 1_000_000;

    public static async Task SeedAsync(BenchDatabase database, string connectionString, int businesses)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = database == BenchDatabase.Postgres ? "Postgres" : "Sqlite",
            ["ConnectionStrings:Recoverly"] = connectionString,
        }).Build();
        var services = new ServiceCollection();
        services.AddRecoverlyDb(config);
        await using (var provider = services.BuildServiceProvider())
        {
            await DatabaseSetup.MigrateAsync(provider);
            var now = DateTime.UtcNow;
            for (var start = 0; start < businesses; start += 1000)
            {
                await using var scope = provider.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
                for (var b = start; b < Math.Min(businesses, start + 1000); b++)
                {
                    db.Businesses.Add(new Business
                    {
                        Name = $"Bench Plumbing {b}",
                        BusinessPhone = Numbering.BusinessLine(b),
                        Plan = PlanState.Trial,
                        TrialEndsAt = now.AddYears(10),
                        CreatedAt = now,
                        DailyTextBackCap = BenchDailyCap,
                        Numbers = [new RecoverlyNumber { E164 = Numbering.RecoverlyNumber(b), AssignedAt = now }],
                    });
                }
                await db.SaveChangesAsync();
            }
            await using var check = provider.CreateAsyncScope();
            var count = await check.ServiceProvider.GetRequiredService<RecoverlyDb>().Numbers.CountAsync();
            if (count != businesses) throw new InvalidOperationException($"seeded {count} numbers, expected {businesses}");
        }
        // Leave no pooled connection holding the database while the app runs.
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
    }

    public static DbConnection Open(BenchDatabase database, string connectionString)
    {
        DbConnection conn = database == BenchDatabase.Postgres
            ? new NpgsqlConnection(connectionString)
            : new SqliteConnection(connectionString);
        conn.Open();
        return conn;
    }

    /// <summary>Rows of (key, count) from a GROUP BY query, for the after-run audit.</summary>
    public static async Task<List<(string Key, long Count)>> CountsAsync(DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var rows = new List<(string, long)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.IsDBNull(0) ? "(null)" : reader.GetValue(0).ToString()!, Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)));
        return rows;
    }

    /// <param name="sql">Selects one column: the call sids recorded.</param>
    public static async Task<HashSet<string>> CallSidsAsync(DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var set = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) set.Add(reader.GetString(0));
        return set;
    }
}
