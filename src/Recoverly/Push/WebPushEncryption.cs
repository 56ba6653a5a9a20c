using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Recoverly.Push;

/// <summary>
/// Message encryption for Web Push (RFC 8291, the "aes128gcm" content coding of RFC 8188) with .NET's own
/// primitives: ECDH on P-256 with the browser's key, HKDF-SHA256 with the browser's auth secret, then one
/// AES-128-GCM record. Only the browser that made the subscription can read what we send (docs/push-alerts.md).
/// </summary>
public static class WebPushEncryption
{
    /// <summary>One record of 4096 bytes holds this much plaintext (16 bytes of tag, one delimiter byte).</summary>
    public const int MaxPlaintextLength = RecordSize - 16 - 1;
    private const int RecordSize = 4096;

    /// <summary>Encrypts with a fresh sender key and salt, as every real message must.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] browserPublicKey, byte[] authSecret)
    {
        using var sender = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return Encrypt(plaintext, browserPublicKey, authSecret, sender, RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>Encrypts with the given sender key and salt (the published test vector fixes both).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] browserPublicKey, byte[] authSecret, ECDiffieHellman sender, byte[] salt)
    {
        if (plaintext.Length > MaxPlaintextLength) throw new ArgumentException($"A push message holds at most {MaxPlaintextLength} bytes", nameof(plaintext));
        if (salt.Length != 16) throw new ArgumentException("The salt must be 16 bytes", nameof(salt));
        if (authSecret.Length != 16) throw new ArgumentException("The auth secret must be 16 bytes", nameof(authSecret));
        var senderPublic = PublicKeyBytes(sender);
        using var browser = ImportPublicKey(browserPublicKey);
        var sharedSecret = sender.DeriveRawSecretAgreement(browser.PublicKey);

        // The key's info binds both public keys, so a message can't be replayed to another subscription.
        var keyInfo = Concat(Encoding.ASCII.GetBytes("WebPush: info\0"), browserPublicKey, senderPublic);
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, 32, authSecret, keyInfo);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));

        // Header: salt, record size, key id length, key id (the sender's public key).
        var headerLength = 16 + 4 + 1 + senderPublic.Length;
        var output = new byte[headerLength + plaintext.Length + 1 + 16];
        salt.CopyTo(output, 0);
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(16, 4), RecordSize);
        output[20] = (byte)senderPublic.Length;
        senderPublic.CopyTo(output, 21);

        // The only (so the last) record ends with the delimiter 0x02 and no padding.
        var record = new byte[plaintext.Length + 1];
        plaintext.CopyTo(record);
        record[^1] = 2;
        using var aes = new AesGcm(cek, 16);
        aes.Encrypt(nonce, record, output.AsSpan(headerLength, record.Length), output.AsSpan(headerLength + record.Length, 16));
        return output;
    }

    /// <summary>The uncompressed point (0x04 ‖ X ‖ Y) browsers and the VAPID header use.</summary>
    public static byte[] PublicKeyBytes(ECAlgorithm key)
    {
        var q = key.ExportParameters(false).Q;
        return Concat([4], q.X!, q.Y!);
    }

    /// <summary>A browser's P-256 public key; throws <see cref="CryptographicException"/> when it is not a point on the curve.</summary>
    public static ECDiffieHellman ImportPublicKey(byte[] uncompressed)
    {
        if (uncompressed.Length != 65 || uncompressed[0] != 4) throw new CryptographicException("Not an uncompressed P-256 public key");
        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = uncompressed[1..33], Y = uncompressed[33..] },
        });
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, at);
            at += part.Length;
        }
        return result;
    }
}
