namespace Recoverly.Operator;

/// <summary>
/// Something the operator must look at (a provider setting that disagrees with ours, a sender the
/// carriers throttle), shown on the operator page; one row per topic, counted and refreshed on each recurrence.
/// </summary>
public sealed class OperatorNotice
{
    public required string Topic { get; set; }
    public required string Message { get; set; }
    public DateTime FirstAt { get; set; }
    public DateTime LastAt { get; set; }
    public int Count { get; set; }
}
