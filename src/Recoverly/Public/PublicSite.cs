namespace Recoverly.Public;

/// <summary>
/// Who runs this installation, as the public policy pages name it: <c>Recoverly:OperatorName</c> and
/// <c>Recoverly:SupportEmail</c> (carriers reviewing a 10DLC campaign look for a real support contact).
/// </summary>
public sealed class PublicSite(IConfiguration config)
{
    public string OperatorName { get; } = config["Recoverly:OperatorName"] is { Length: > 0 } n ? n.Trim() : "Recoverly";
    public string SupportEmail { get; } = config["Recoverly:SupportEmail"] is { Length: > 0 } e ? e.Trim() : "support@recoverly.example";
    public static readonly DateOnly PoliciesUpdated = new(2026, 11, 27);
}
