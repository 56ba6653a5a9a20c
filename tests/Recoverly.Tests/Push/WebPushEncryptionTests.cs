using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Recoverly.Push;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Push;

/// <summary>The push payload encryption against the worked example of RFC 8291 (Appendix A), byte for byte.</summary>
public class WebPushEncryptionTests
{
    private const string Plaintext = "When I grow up, I want to be a watermelon";
    private const string ReceiverPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private const string ReceiverPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    private const string AuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
    private const string SenderPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private const string SenderPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    private const string Salt = "DGv6ra1nlYgDCS1FRnbzlw";
    private const string Expected =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_y"
        + "l95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    private static ECDiffieHellman Key(string publicKey, string privateKey)
    {
        var q = Base64Url.DecodeFromChars(publicKey);
        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = q[1..33], Y = q[33..] }, D = Base64Url.DecodeFromChars(privateKey),
        });
    }

    [Fact]
    public void The_RFC_8291_example_encrypts_to_the_published_message()
    {
        using var sender = Key(SenderPublic, SenderPrivate);
        var body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(Plaintext), Base64Url.DecodeFromChars(ReceiverPublic),
            Base64Url.DecodeFromChars(AuthSecret), sender, Base64Url.DecodeFromChars(Salt));
        Assert.Equal(Expected, Base64Url.EncodeToString(body));
    }

    [Fact]
    public void The_test_push_service_decrypts_the_published_message_so_it_can_check_the_app()
    {
        using var receiver = Key(ReceiverPublic, ReceiverPrivate);
        var plain = FakePushService.Decrypt(Base64Url.DecodeFromChars(Expected), receiver, Base64Url.DecodeFromChars(AuthSecret));
        Assert.Equal(Plaintext, Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public void Each_real_message_has_its_own_sender_key_and_salt()
    {
        using var receiver = Key(ReceiverPublic, ReceiverPrivate);
        var auth = Base64Url.DecodeFromChars(AuthSecret);
        var first = WebPushEncryption.Encrypt("same words"u8, Base64Url.DecodeFromChars(ReceiverPublic), auth);
        var second = WebPushEncryption.Encrypt("same words"u8, Base64Url.DecodeFromChars(ReceiverPublic), auth);
        Assert.NotEqual(first[..16], second[..16]);
        Assert.NotEqual(first[21..86], second[21..86]);
        Assert.Equal("same words", Encoding.UTF8.GetString(FakePushService.Decrypt(second, receiver, auth)));
    }

    [Fact]
    public void A_browser_key_that_is_not_a_curve_point_is_refused()
    {
        var notOnCurve = Base64Url.DecodeFromChars(ReceiverPublic);
        notOnCurve[40] ^= 0xFF;
        Assert.ThrowsAny<CryptographicException>(() => WebPushEncryption.Encrypt("x"u8, notOnCurve, new byte[16]));
    }
}
