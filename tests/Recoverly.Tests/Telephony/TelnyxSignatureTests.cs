using System.Text;
using NSec.Cryptography;
using Recoverly.Telephony;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// Telnyx webhook signatures: Ed25519 over <c>{telnyx-timestamp}|{raw body}</c> with the account's public
/// key. The RFC 8032 test vectors prove the key import and the library; a recorded Telnyx-shaped request
/// signed with the RFC's first key proves the signed bytes; the rest prove every way a forgery fails.
/// </summary>
public class TelnyxSignatureTests
{
    // RFC 8032, section 7.1, TEST 1 and TEST 2.
    private const string Rfc1PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private const string Rfc1Signature = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    private const string Rfc2PublicKey = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    private const string Rfc2Signature = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
    private const string Rfc1SecretKey = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    // A message.received body signed at 2026-11-27T15:00:00Z with RFC 8032 TEST 1's key, computed outside .NET.
    private const string RecordedTimestamp = "1795791600";
    private const string RecordedBody = """{"data":{"event_type":"message.received","id":"bf6307bd-884d-4c1f-b6ea-c62b8c495d3c","payload":{"id":"7ee4241c-f127-47e5-9c34-3aac291f8058","text":"STOP"}}}""";
    private const string RecordedSignature = "oIK4NSII/fG3Wd3Xovt4BhYoB9mpdoDtE1gVw+g9Q/bNpi2LP10KdKxTBGeoWeGzlFnspycW/4F76QxvT1zlBA==";
    private static readonly DateTimeOffset RecordedAt = DateTimeOffset.FromUnixTimeSeconds(1795791600);

    private static string Base64(string hex) => Convert.ToBase64String(Convert.FromHexString(hex));

    [Theory]
    [InlineData(Rfc1PublicKey, "", Rfc1Signature)]
    [InlineData(Rfc2PublicKey, "72", Rfc2Signature)]
    public void Rfc_8032_test_vectors_verify_with_the_key_imported_as_Telnyx_shows_it(string publicKey, string message, string signature)
    {
        var key = TelnyxSignature.Import(Base64(publicKey));

        Assert.NotNull(key);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key!, Convert.FromHexString(message), Convert.FromHexString(signature)));
        var flipped = Convert.FromHexString(signature);
        flipped[0] ^= 1;
        Assert.False(SignatureAlgorithm.Ed25519.Verify(key!, Convert.FromHexString(message), flipped));
    }

    [Fact]
    public void A_recorded_Telnyx_request_verifies_and_so_does_our_own_signing_with_the_same_key()
    {
        var key = TelnyxSignature.Import(Base64(Rfc1PublicKey));
        var body = Encoding.UTF8.GetBytes(RecordedBody);

        Assert.Equal(SignatureCheck.Valid, TelnyxSignature.Verify(key, RecordedTimestamp, RecordedSignature, body, RecordedAt));
        // Ed25519 is deterministic: the test host's signer produces the very same bytes.
        using var secret = Key.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(Rfc1SecretKey), KeyBlobFormat.RawPrivateKey);
        Assert.Equal(RecordedSignature, Infrastructure.TestApp.SignTelnyx(secret, RecordedTimestamp, body));
    }

    public static TheoryData<string, string?, string?, string, int, SignatureCheck> Forgeries => new()
    {
        { "body changed by one character", RecordedTimestamp, RecordedSignature, RecordedBody.Replace("STOP", "STOQ"), 0, SignatureCheck.Mismatch },
        { "timestamp changed (signature is over it)", "1795791601", RecordedSignature, RecordedBody, 0, SignatureCheck.Mismatch },
        { "six minutes later", RecordedTimestamp, RecordedSignature, RecordedBody, 360, SignatureCheck.Stale },
        { "six minutes early (clock skew or pre-signed)", RecordedTimestamp, RecordedSignature, RecordedBody, -360, SignatureCheck.Stale },
        { "no signature", RecordedTimestamp, null, RecordedBody, 0, SignatureCheck.Missing },
        { "no timestamp", null, RecordedSignature, RecordedBody, 0, SignatureCheck.Missing },
        { "signature not base64", RecordedTimestamp, "not a signature!", RecordedBody, 0, SignatureCheck.Malformed },
        { "signature of the wrong length", RecordedTimestamp, Convert.ToBase64String(new byte[32]), RecordedBody, 0, SignatureCheck.Malformed },
        { "timestamp not a number", "yesterday", RecordedSignature, RecordedBody, 0, SignatureCheck.Malformed },
        { "timestamp in milliseconds", RecordedTimestamp + "000", RecordedSignature, RecordedBody, 0, SignatureCheck.Malformed },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void Every_forgery_is_refused(string what, string? timestamp, string? signature, string body, int secondsLater, SignatureCheck expected)
    {
        var key = TelnyxSignature.Import(Base64(Rfc1PublicKey));

        var check = TelnyxSignature.Verify(key, timestamp, signature, Encoding.UTF8.GetBytes(body), RecordedAt.AddSeconds(secondsLater));

        Assert.True(check == expected, $"{what}: {check}, expected {expected}");
    }

    [Fact]
    public void Within_five_minutes_either_way_a_genuine_request_is_accepted()
    {
        var key = TelnyxSignature.Import(Base64(Rfc1PublicKey));
        var body = Encoding.UTF8.GetBytes(RecordedBody);

        Assert.Equal(SignatureCheck.Valid, TelnyxSignature.Verify(key, RecordedTimestamp, RecordedSignature, body, RecordedAt.AddSeconds(300)));
        Assert.Equal(SignatureCheck.Valid, TelnyxSignature.Verify(key, RecordedTimestamp, RecordedSignature, body, RecordedAt.AddSeconds(-300)));
    }

    [Fact]
    public void A_signature_from_another_key_is_refused()
    {
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var body = Encoding.UTF8.GetBytes(RecordedBody);
        var forged = Infrastructure.TestApp.SignTelnyx(other, RecordedTimestamp, body);

        Assert.Equal(SignatureCheck.Mismatch, TelnyxSignature.Verify(TelnyxSignature.Import(Base64(Rfc1PublicKey)), RecordedTimestamp, forged, body, RecordedAt));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 at all")]
    [InlineData("AAAA")] // 3 bytes
    [InlineData("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA")] // 33 bytes
    public void A_public_key_that_is_not_32_bytes_of_base64_is_not_a_key(string value)
    {
        Assert.Null(TelnyxSignature.Import(value));
        Assert.Equal(SignatureCheck.Missing, TelnyxSignature.Verify(null, RecordedTimestamp, RecordedSignature, Encoding.UTF8.GetBytes(RecordedBody), RecordedAt));
    }
}
