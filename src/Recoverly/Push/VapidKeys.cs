using System.Buffers.Text;
using System.Security.Cryptography;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Push;

/// <summary>The application server key pair (VAPID, RFC 8292): base64url, public key as the uncompressed point.</summary>
public sealed record VapidKeyPair(string PublicKey, string PrivateKey);

/// <summary>
/// The keys every web and dispatcher process signs pushes with (docs/push-alerts.md): <c>WebPush:PublicKey</c> and
/// <c>WebPush:PrivateKey</c> when configured; otherwise a pair generated once and kept in the database, so every
/// process — and every restart — uses the same pair and browsers' subscriptions stay valid. The private key is
/// never logged.
/// </summary>
public sealed class VapidKeys(IConfiguration config, IServiceScopeFactory scopes, TimeProvider time, ILogger<VapidKeys> log)
{
    public const string DefaultSubject = "mailto:support@recoverly.app";
    private readonly SemaphoreSlim _once = new(1, 1);
    private VapidKeyPair? _keys;

    /// <summary>The "sub" claim push services use to reach the operator: a mailto: or https: URL.</summary>
    public string Subject => config["WebPush:Subject"] is { Length: > 0 } s ? s : DefaultSubject;

    /// <summary>Why the configured keys can't be used, for start-up; null when they are fine or not configured.</summary>
    public static string? ConfigurationProblem(IConfiguration config)
    {
        var pub = config["WebPush:PublicKey"];
        var priv = config["WebPush:PrivateKey"];
        if (string.IsNullOrEmpty(pub) && string.IsNullOrEmpty(priv)) return null;
        if (string.IsNullOrEmpty(pub) || string.IsNullOrEmpty(priv))
            return "WebPush:PublicKey and WebPush:PrivateKey go together: set both, or neither to have Recoverly generate a pair.";
        try
        {
            using var _ = new VapidAuthentication(pub, priv);
        }
        catch (ArgumentException)
        {
            return "WebPush:PublicKey must be a base64url P-256 public key (65 bytes) and WebPush:PrivateKey its 32-byte private key.";
        }
        var subject = config["WebPush:Subject"];
        if (!string.IsNullOrEmpty(subject) && !subject.StartsWith("mailto:", StringComparison.Ordinal) && !subject.StartsWith("https:", StringComparison.Ordinal))
            return "WebPush:Subject must be a mailto: or https: address.";
        return null;
    }

    public async Task<VapidKeyPair> GetAsync(CancellationToken ct)
    {
        if (_keys is { } known) return known;
        await _once.WaitAsync(ct);
        try
        {
            return _keys ??= Configured() ?? await FromDatabaseAsync(ct);
        }
        finally
        {
            _once.Release();
        }
    }

    /// <summary>The header value for one push service origin: "vapid t=&lt;signed JWT&gt;, k=&lt;public key&gt;".</summary>
    public async Task<string> AuthorizationAsync(string audience, CancellationToken ct)
    {
        var keys = await GetAsync(ct);
        using var vapid = new VapidAuthentication(keys.PublicKey, keys.PrivateKey) { Subject = Subject, Expiration = 12 * 3600 };
        return "vapid " + vapid.GetVapidSchemeAuthenticationHeaderValueParameter(audience);
    }

    public static VapidKeyPair Generate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(true);
        return new VapidKeyPair(Base64Url.EncodeToString([4, .. p.Q.X!, .. p.Q.Y!]), Base64Url.EncodeToString(p.D!));
    }

    private VapidKeyPair? Configured() =>
        config["WebPush:PublicKey"] is { Length: > 0 } pub && config["WebPush:PrivateKey"] is { Length: > 0 } priv ? new(pub, priv) : null;

    private async Task<VapidKeyPair> FromDatabaseAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var stored = await db.WebPushKeys.AsNoTracking().Where(k => k.Id == 1).FirstOrDefaultAsync(ct);
        if (stored is null)
        {
            var fresh = Generate();
            var now = time.GetUtcNow().UtcDateTime;
            // Insert-if-absent: two processes starting together keep whichever pair was written first.
            using (await db.EnterWriteGateAsync(ct))
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    INSERT INTO "WebPushKeys" ("Id", "PublicKey", "PrivateKey", "CreatedAt") VALUES (1, {fresh.PublicKey}, {fresh.PrivateKey}, {now})
                    ON CONFLICT ("Id") DO NOTHING
                    """, ct);
            stored = await db.WebPushKeys.AsNoTracking().FirstAsync(k => k.Id == 1, ct);
            log.LogInformation("Push alerts: using the VAPID key pair kept in the database (public key {PublicKey})", stored.PublicKey);
        }
        return new VapidKeyPair(stored.PublicKey, stored.PrivateKey);
    }
}
