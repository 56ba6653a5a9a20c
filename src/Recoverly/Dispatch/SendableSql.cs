using Recoverly.Texts;

namespace Recoverly.Dispatch;

/// <summary>
/// "Still to be sent" in SQL, said two ways on purpose (docs/product/sending.md, "The due index"). The claim looks for due
/// rows through a partial index over the sendable statuses. Every send moves its row out of that index and leaves a dead
/// entry behind until the next vacuum, and the planner cannot see those: to it, a scan of the few sendable rows always looks
/// cheap. Statements that already know their rows' ids therefore name the statuses a sendable row is <em>not</em> in, which
/// selects the same rows but does not let the planner read the due index for them; they go by primary key.
/// </summary>
public static class SendableSql
{
    public static readonly OutboundStatus[] Statuses = [OutboundStatus.Pending, OutboundStatus.InDoubt, OutboundStatus.Sending];

    /// <summary>The due index's condition (<c>IX_OutboundMessages_Due</c>); the claim uses it as written.</summary>
    public static readonly string IndexFilter = Due("\"Status\"");

    /// <summary>For the claim: <paramref name="column"/> is a sendable status, so the due index serves the query.</summary>
    public static string Due(string column) => $"{column} IN ({Quoted(Statuses)})";

    /// <summary>For a statement that names its rows: the same condition, which the due index cannot serve.</summary>
    public static string Still(string column) => $"{column} NOT IN ({Quoted(Enum.GetValues<OutboundStatus>().Except(Statuses))})";

    private static string Quoted(IEnumerable<OutboundStatus> statuses) => string.Join(", ", statuses.Select(s => $"'{s}'"));
}
