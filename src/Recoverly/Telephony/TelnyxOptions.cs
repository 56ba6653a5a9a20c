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

    /// <summary>
    /// Why this configuration cannot run with Telnyx, in one line naming the key, or null. Checked before
    /// the app starts listening: a missing key would otherwise mean every webhook answered 403 or every send refused.
    /// </summary>
    public static string? StartupProblem(IConfiguration config)
    {
        var provider = Value(config, "Telephony:Provider") ?? TelephonyOptions.Simulator;
        if (!new[] { TelephonyOptions.Simulator, TelephonyOptions.Twilio, TelephonyOptions.Telnyx }.Contains(provider, StringComparer.OrdinalIgnoreCase))
            return $"Telephony:Provider must be Simulator, Twilio or Telnyx, not '{provider}'.";
        if (!provider.Equals(TelephonyOptions.Telnyx, StringComparison.OrdinalIgnoreCase)) return null;

        if (Value(config, "Telnyx:ApiKey") is null) return "Telnyx:ApiKey is required with Telephony:Provider=Telnyx (an API v2 key from the Telnyx portal).";
        var publicKey = Value(config, "Telnyx:PublicKey");
        if (publicKey is null) return "Telnyx:PublicKey is required with Telephony:Provider=Telnyx (the account's webhook public key, base64).";
        if (!TelnyxSignature.IsPublicKey(publicKey)) return "Telnyx:PublicKey must be the base64 of a 32-byte Ed25519 public key, as the Telnyx portal shows it.";
        if (Value(config, "Telnyx:ApiBaseUrl") is { } api && (!Uri.TryCreate(api, UriKind.Absolute, out var apiUri) || apiUri.Scheme is not ("https" or "http")))
            return $"Telnyx:ApiBaseUrl must be an absolute https:// address, not '{api}'.";
        var baseUrl = Value(config, "Recoverly:PublicBaseUrl");
        if (baseUrl is null)
            return "Recoverly:PublicBaseUrl is required with Telephony:Provider=Telnyx: set it to the https:// address Telnyx reaches this app at.";
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            return $"Recoverly:PublicBaseUrl must be an absolute https:// address such as https://recoverly.example.com, not '{baseUrl}'.";
        if (uri.Scheme == "http" && !uri.IsLoopback)
            return $"Recoverly:PublicBaseUrl must be https:// (plain http:// only for 127.0.0.1, localhost or [::1]), not '{baseUrl}'.";
        return null;
    }

    private static string? Value(IConfiguration config, string key) => config[key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
