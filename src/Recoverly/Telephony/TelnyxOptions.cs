namespace Recoverly.Telephony;

/// <summary>The <c>Telnyx:*</c> keys, read when <c>Telephony:Provider=Telnyx</c> (README, "Pointing it at a real Telnyx account").</summary>
public sealed class TelnyxOptions
{
    public const string DefaultApiBaseUrl = "https://api.telnyx.com";

    /// <summary>API v2 key (Bearer); a secret.</summary>
    public string? ApiKey { get; set; }
    /// <summary>The account's webhook signing public key: base64 of a 32-byte Ed25519 key.</summary>
    public string? PublicKey { get; set; }
    /// <summary>Base of the REST API (a Telnyx-compatible endpoint can stand in).</summary>
    public string ApiBaseUrl { get; set; } = DefaultApiBaseUrl;
    /// <summary>Sent with every message when set; numbers assigned to a business are put on this profile.</summary>
    public string? MessagingProfileId { get; set; }
    /// <summary>The TeXML application whose voice URL is /telnyx/voice; numbers assigned to a business are put on it.</summary>
    public string? TexmlApplicationId { get; set; }
}
