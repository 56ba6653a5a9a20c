namespace Recoverly.Consent;

/// <summary>What a consent event rests on: where it came from and the proof kept with it for the retention period.</summary>
/// <param name="Ref">The inbound MessageSid, the provider error, or the version of the form text the owner agreed to.</param>
/// <param name="Text">The inbound body, or the form text with the IP and user agent.</param>
public sealed record ConsentEvidence(ConsentSource Source, string? Ref, string? Text)
{
    /// <summary>A text the phone itself sent: a one- or two-word body is a keyword, anything longer a phrase.</summary>
    public static ConsentEvidence FromMessage(string messageSid, string body) =>
        new(body.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 2 ? ConsentSource.Keyword : ConsentSource.Phrase,
            messageSid, body);

    public static ConsentEvidence ProviderError(int code, string? messageSid) =>
        new(ConsentSource.ProviderError, $"error {code} on {messageSid ?? "send"}", null);

    /// <summary>A box the owner ticked next to <paramref name="disclosure"/>, with who ticked it.</summary>
    public static ConsentEvidence WebForm(string version, string disclosure, string? ip, string? userAgent, string? note = null)
    {
        var text = $"{disclosure}\nIP: {ip ?? "unknown"}\nUser-Agent: {Truncate(userAgent is { Length: > 0 } ua ? ua : "unknown", 300)}";
        if (note is not null) text += $"\n{note}";
        return new(ConsentSource.WebForm, version, text);
    }

    /// <summary>A switch the owner turned off on a page: who, from where.</summary>
    public static ConsentEvidence OwnerAction(string page, string? ip, string? userAgent, string? who) =>
        new(ConsentSource.WebForm, page, $"IP: {ip ?? "unknown"}\nUser-Agent: {Truncate(userAgent is { Length: > 0 } ua ? ua : "unknown", 300)}\nOwner: {who ?? "unknown"}");

    /// <summary>The caller told the owner by phone, e-mail or in person; the owner recorded it.</summary>
    public static ConsentEvidence RecordedByOwner(string how, string details) => new(ConsentSource.OwnerRecorded, how, details);

    public static ConsentEvidence FromOperator(string details) => new(ConsentSource.Operator, "owner alert request", details);

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
