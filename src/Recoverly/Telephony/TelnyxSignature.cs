using System.Globalization;
using System.Text;
using NSec.Cryptography;

namespace Recoverly.Telephony;

public enum SignatureCheck { Valid, Missing, Malformed, Stale, Mismatch }

/// <summary>
/// Telnyx signs each webhook with the account's Ed25519 key: <c>telnyx-signature-ed25519</c> is the
/// base64 signature of <c>{telnyx-timestamp}|{raw body}</c>. Verified with NSec (libsodium); a timestamp
/// more than five minutes from our clock is refused, so a captured request cannot be replayed later.
/// </summary>
public static class TelnyxSignature
{
    public const string SignatureHeader = "telnyx-signature-ed25519";
    public const string TimestampHeader = "telnyx-timestamp";
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    public static bool IsPublicKey(string base64) => Import(base64) is not null;

    public static PublicKey? Import(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64)) return null;
        var bytes = new byte[32];
        if (!Convert.TryFromBase64String(base64.Trim(), bytes, out var written) || written != 32) return null;
        return PublicKey.TryImport(Ed25519, bytes, KeyBlobFormat.RawPublicKey, out var key) ? key : null;
    }

    /// <summary>The bytes Telnyx signs: the timestamp header, a bar, then the body exactly as sent.</summary>
    public static byte[] SignedBytes(string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + "|");
        var data = new byte[prefix.Length + body.Length];
        prefix.CopyTo(data, 0);
        body.CopyTo(data.AsSpan(prefix.Length));
        return data;
    }

    public static SignatureCheck Verify(PublicKey? key, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (key is null || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature)) return SignatureCheck.Missing;
        if (timestamp.Length > 12 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return SignatureCheck.Malformed;
        var signatureBytes = new byte[64];
        if (signature.Length > 128 || !Convert.TryFromBase64String(signature, signatureBytes, out var written) || written != 64)
            return SignatureCheck.Malformed;
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > Tolerance.TotalSeconds) return SignatureCheck.Stale;
        return Ed25519.Verify(key, SignedBytes(timestamp, body), signatureBytes) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }
}
