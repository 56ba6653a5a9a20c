namespace Recoverly.Push;

/// <summary>
/// One browser (a phone, usually) that receives this business's push alerts: the push service's address for
/// it and the keys its messages are encrypted to. Listed and removable in Settings; removed by itself when the
/// push service says the subscription is gone (docs/push-alerts.md).
/// </summary>
public sealed class PushDevice
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    /// <summary>The push service's URL for this subscription (https, public host): Recoverly POSTs alerts here.</summary>
    public required string Endpoint { get; set; }
    /// <summary>The browser's P-256 public key, base64url.</summary>
    public required string P256dh { get; set; }
    /// <summary>The browser's 16-byte auth secret, base64url.</summary>
    public required string Auth { get; set; }
    /// <summary>"Chrome on Android" and the like, from the user agent, so the owner can tell devices apart.</summary>
    public required string Label { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSentAt { get; set; }
}

/// <summary>The VAPID key pair this installation signs pushes with, generated once when not configured (one row).</summary>
public sealed class WebPushKey
{
    public int Id { get; set; }
    public required string PublicKey { get; set; }
    /// <summary>Never logged or shown.</summary>
    public required string PrivateKey { get; set; }
    public DateTime CreatedAt { get; set; }
}
