using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Recoverly.Tests.Infrastructure;

/// <summary>One POST the push service received, checked and decrypted the way a browser's push service and the browser would.</summary>
public sealed record ReceivedPush(string Subscription, string? Authorization, string? ContentEncoding, string? Ttl, string? Urgency, byte[] Body)
{
    /// <summary>The decrypted payload as JSON (what the service worker gets).</summary>
    public JsonElement Payload { get; init; }
    /// <summary>Why the push service would have refused it; null when the VAPID header and encryption are right.</summary>
    public string? Problem { get; init; }
}

/// <summary>
/// A stand-in for a browser push service (FCM, Mozilla autopush) on a real Kestrel port at 127.0.0.1: it hands out
/// subscriptions with real P-256 keys and auth secrets, records every POST, checks the VAPID header (RFC 8292: the JWT's
/// signature with the key in k=, its audience and expiry) and decrypts the aes128gcm body with the subscription's private key,
/// as the browser would. Each subscription answers 201 unless told otherwise (404/410 for a gone subscription, 503, ...).
/// </summary>
public sealed class FakePushService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (ECDiffieHellman Key, byte[] Auth)> _subscriptions = new();
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly ConcurrentQueue<ReceivedPush> _received = new();

    public string BaseUrl { get; }
    /// <summary>The public key the VAPID header must carry (set by the test once the app has its keys); null accepts any valid one.</summary>
    public string? ExpectedVapidKey { get; set; }

    private FakePushService(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakePushService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakePushService? self = null;
        app.MapPost("/push/{id}", async (string id, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            return self!.Receive(id, request, buffer.ToArray());
        });
        await app.StartAsync();
        var address = app.Urls.First();
        self = new FakePushService(app, address.TrimEnd('/'));
        return self;
    }

    /// <summary>A new subscription, as a browser's pushManager.subscribe() would give it.</summary>
    public (string Endpoint, string P256dh, string Auth) Subscribe(string name)
    {
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        _subscriptions[name] = (key, auth);
        var q = key.ExportParameters(false).Q;
        return ($"{BaseUrl}/push/{name}", Base64Url.EncodeToString([4, .. q.X!, .. q.Y!]), Base64Url.EncodeToString(auth));
    }

    /// <summary>What the subscription answers from now on (201 by default).</summary>
    public void Answer(string name, HttpStatusCode status) => _answers[name] = (int)status;

    public IReadOnlyList<ReceivedPush> Received => [.. _received];

    public IReadOnlyList<ReceivedPush> For(string name) => [.. _received.Where(r => r.Subscription == name)];

    private IResult Receive(string id, HttpRequest request, byte[] body)
    {
        var push = new ReceivedPush(id, request.Headers.Authorization.ToString(), request.Headers.ContentEncoding.ToString(),
            request.Headers["TTL"].ToString(), request.Headers["Urgency"].ToString(), body);
        var problem = CheckVapid(push.Authorization, request);
        JsonElement payload = default;
        if (problem is null && push.ContentEncoding != "aes128gcm") problem = $"Content-Encoding was '{push.ContentEncoding}'";
        if (problem is null && _subscriptions.TryGetValue(id, out var sub))
        {
            try
            {
                payload = JsonDocument.Parse(Decrypt(body, sub.Key, sub.Auth)).RootElement.Clone();
            }
            catch (Exception e) when (e is CryptographicException or JsonException or ArgumentException)
            {
                problem = "could not decrypt: " + e.Message;
            }
        }
        else if (problem is null) problem = "no such subscription";
        _received.Enqueue(push with { Payload = payload, Problem = problem });
        if (problem is not null) return Results.StatusCode(problem == "no such subscription" ? 404 : 400);
        return Results.StatusCode(_answers.GetValueOrDefault(id, 201));
    }

    /// <summary>RFC 8292: "vapid t=&lt;JWT&gt;, k=&lt;key&gt;", the JWT signed with ES256 by that key, for this origin, not expired.</summary>
    private string? CheckVapid(string? header, HttpRequest request)
    {
        if (header is null || !header.StartsWith("vapid ", StringComparison.Ordinal)) return $"Authorization was '{header}'";
        var parts = header["vapid ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var token) || !parts.TryGetValue("k", out var k)) return "t= or k= missing";
        if (ExpectedVapidKey is not null && k != ExpectedVapidKey) return "k= is not the application server key";
        var jwt = token.Split('.');
        if (jwt.Length != 3) return "t= is not a JWT";
        var publicKey = Base64Url.DecodeFromChars(k);
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = publicKey[1..33], Y = publicKey[33..] },
        });
        if (!ecdsa.VerifyData(Encoding.ASCII.GetBytes(jwt[0] + "." + jwt[1]), Base64Url.DecodeFromChars(jwt[2]), HashAlgorithmName.SHA256))
            return "the JWT's signature does not verify with k=";
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[1])).RootElement;
        var origin = $"{request.Scheme}://{request.Host}";
        if (claims.GetProperty("aud").GetString() != origin) return $"aud was {claims.GetProperty("aud").GetString()}, not {origin}";
        var exp = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64());
        if (exp < DateTimeOffset.UtcNow || exp > DateTimeOffset.UtcNow.AddHours(24)) return "exp is not within the next 24 hours";
        var sub = claims.GetProperty("sub").GetString() ?? "";
        if (!sub.StartsWith("mailto:", StringComparison.Ordinal) && !sub.StartsWith("https:", StringComparison.Ordinal)) return "sub is not mailto: or https:";
        return null;
    }

    /// <summary>The receiving browser's side of RFC 8291 (written for the test, independently of the app's encryption).</summary>
    public static byte[] Decrypt(byte[] body, ECDiffieHellman receiver, byte[] auth)
    {
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        var idLength = body[20];
        var senderKey = body[21..(21 + idLength)];
        var record = body[(21 + idLength)..];
        if (record.Length > recordSize) throw new CryptographicException("more than one record");
        using var sender = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = senderKey[1..33], Y = senderKey[33..] },
        });
        var shared = receiver.DeriveRawSecretAgreement(sender.PublicKey);
        var q = receiver.ExportParameters(false).Q;
        byte[] receiverKey = [4, .. q.X!, .. q.Y!];
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, auth, [.. "WebPush: info\0"u8, .. receiverKey, .. senderKey]);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, "Content-Encoding: aes128gcm\0"u8.ToArray());
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, "Content-Encoding: nonce\0"u8.ToArray());
        var plain = new byte[record.Length - 16];
        using var aes = new AesGcm(cek, 16);
        aes.Decrypt(nonce, record[..^16], record[^16..], plain);
        var end = Array.LastIndexOf(plain, (byte)2);
        if (end < 0 || plain.AsSpan(end + 1).ContainsAnyExcept((byte)0)) throw new CryptographicException("no last-record delimiter");
        return plain[..end];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        foreach (var (key, _) in _subscriptions.Values) key.Dispose();
    }
}
