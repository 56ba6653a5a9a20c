namespace Recoverly.Consent;

public enum ConsentKind { OptOut, OptIn, Help, OwnerOptIn, OwnerConfirmed, OwnerOptOut }

public enum ConsentSource { Keyword, Phrase, ProviderError, WebForm, Operator, OwnerRecorded }

/// <summary>One append-only fact in the consent ledger (docs/product/consent.md). Never updated, never deleted.</summary>
public sealed class ConsentEvent
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public required string Phone { get; set; }
    public ConsentKind Kind { get; set; }
    public ConsentSource Source { get; set; }
    /// <summary>Inbound MessageSid, provider error, or form text version.</summary>
    public string? EvidenceRef { get; set; }
    /// <summary>The inbound body, or form text + IP + user agent.</summary>
    public string? EvidenceText { get; set; }
    public DateTime At { get; set; }
}
