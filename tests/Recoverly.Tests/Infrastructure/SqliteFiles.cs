using Microsoft.Data.Sqlite;

namespace Recoverly.Tests.Infrastructure;

/// <summary>A test's SQLite database file, removed when the test is done.</summary>
internal static class SqliteFiles
{
    /// <summary>
    /// Closes this database's pooled connections — as the test opened it (<paramref name="connectionString"/>) and as the app
    /// opens it (with its default timeout added) — and deletes the file with its WAL and shared-memory files. Never every pool:
    /// that would close other tests' connections, and end an in-memory database that lives only while one is open.
    /// </summary>
    public static void Delete(string connectionString, string file)
    {
        string[] forms =
        [
            connectionString,
            new SqliteConnectionStringBuilder(connectionString).ConnectionString,
            new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 30 }.ConnectionString, // DatabaseSetup.PrepareSqlite's form
        ];
        foreach (var form in forms.Distinct())
        {
            using var pooled = new SqliteConnection(form);
            SqliteConnection.ClearPool(pooled);
        }
        foreach (var f in new[] { file, file + "-wal", file + "-shm" })
            try { File.Delete(f); } catch (IOException) { }
    }
}
