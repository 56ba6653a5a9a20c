using System.Reflection;
using Xunit.Sdk;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// Runs a <c>[Theory]</c> once on SQLite and once on PostgreSQL: the first parameter is the <see cref="Db"/>,
/// followed by <paramref name="more"/> (repeat the attribute for more rows, e.g. <c>[BothDatabases(true)] [BothDatabases(false)]</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class BothDatabasesAttribute(params object[] more) : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        [[Db.Sqlite, .. more], [Db.Postgres, .. more]];
}
