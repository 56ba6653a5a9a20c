using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Texts;

namespace Recoverly.Push;

public readonly record struct SubscribeResult(PushDevice? Device, string? Error);

/// <summary>
/// The devices that get a business's push alerts: added when the owner turns phone alerts on in a browser,
/// removed from Settings, at sign-out on that browser, or when the push service says the subscription is gone.
/// Every change goes through here (docs/push-alerts.md).
/// </summary>
public static class PushDevices
{
    /// <summary>More than this many devices per account is more likely a runaway script than a team of phones.</summary>
    public const int MaxPerBusiness = 10;

    public static Task<List<PushDevice>> ListAsync(RecoverlyDb db, long businessId, CancellationToken ct) =>
        db.PushDevices.AsNoTracking().Where(d => d.BusinessId == businessId).OrderBy(d => d.Id).ToListAsync(ct);

    /// <summary>
    /// Adds (or refreshes) this browser's subscription for the business. A subscription another business had on
    /// the same browser moves here: a browser alerts for the account last signed in on it, never for two.
    /// </summary>
    public static async Task<SubscribeResult> SubscribeAsync(RecoverlyDb db, long businessId, string? endpoint, string? p256dh, string? auth,
        string? userAgent, bool loopbackAllowed, DateTime now, CancellationToken ct)
    {
        if (PushEndpointRule.Problem(endpoint, loopbackAllowed) is { } problem) return new(null, problem);
        if (!ValidKeys(p256dh, auth)) return new(null, "The browser's push keys are not valid.");

        await using var tx = await db.BeginWriteAsync(ct);
        var existing = await db.PushDevices.FirstOrDefaultAsync(d => d.Endpoint == endpoint, ct);
        if (existing is not null && existing.BusinessId != businessId)
        {
            await ForgetAsync(db, existing.Id, ct);
            existing = null;
        }
        if (existing is null)
        {
            if (await db.PushDevices.CountAsync(d => d.BusinessId == businessId, ct) >= MaxPerBusiness)
                return new(null, $"Phone alerts can go to at most {MaxPerBusiness} devices. Remove one you no longer use first.");
            existing = new PushDevice { BusinessId = businessId, Endpoint = endpoint!, P256dh = p256dh!, Auth = auth!, Label = Label(userAgent), CreatedAt = now };
            db.PushDevices.Add(existing);
        }
        else
        {
            existing.P256dh = p256dh!;
            existing.Auth = auth!;
            existing.Label = Label(userAgent);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(existing, null);
    }

    /// <summary>Removes one of the business's devices (Settings). False when it is not one of theirs.</summary>
    public static async Task<bool> RemoveAsync(RecoverlyDb db, long businessId, long deviceId, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.PushDevices.AnyAsync(d => d.Id == deviceId && d.BusinessId == businessId, ct)) return false;
        await ForgetAsync(db, deviceId, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Sign-out on a browser: that browser's subscription stops alerting for this business.</summary>
    public static async Task RemoveByEndpointAsync(RecoverlyDb db, long businessId, string endpoint, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await db.PushDevices.Where(d => d.Endpoint == endpoint && d.BusinessId == businessId).Select(d => (long?)d.Id).FirstOrDefaultAsync(ct);
        if (id is not { } found) return;
        await ForgetAsync(db, found, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Deletes the device and cancels the pushes still waiting for it. Call inside a write transaction.</summary>
    public static async Task ForgetAsync(RecoverlyDb db, long deviceId, CancellationToken ct)
    {
        var to = PushAlerts.Recipient(deviceId);
        await db.OutboundMessages
            .Where(o => o.To == to && o.Kind == OutboundKind.OwnerPush && o.Status == OutboundStatus.Pending && o.LeaseOwner == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, OutboundStatus.Cancelled).SetProperty(o => o.Reason, OutboxReason.PushDeviceRemoved), ct);
        await db.PushDevices.Where(d => d.Id == deviceId).ExecuteDeleteAsync(ct);
    }

    private static bool ValidKeys(string? p256dh, string? auth)
    {
        if (p256dh is not { Length: > 0 and <= 100 } || auth is not { Length: > 0 and <= 50 }) return false;
        try
        {
            if (Base64Url.DecodeFromChars(auth).Length != 16) return false;
            using var _ = WebPushEncryption.ImportPublicKey(Base64Url.DecodeFromChars(p256dh));
            return true;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>"Chrome on Android" and the like: enough for the owner to tell their devices apart, nothing more is kept.</summary>
    public static string Label(string? userAgent)
    {
        var ua = userAgent ?? "";
        bool Has(string s) => ua.Contains(s, StringComparison.OrdinalIgnoreCase);
        var browser = Has("Edg/") ? "Edge" : Has("SamsungBrowser") ? "Samsung Internet" : Has("Firefox/") || Has("FxiOS") ? "Firefox"
            : Has("Chrome/") || Has("CriOS") || Has("Chromium") ? "Chrome" : Has("Safari/") ? "Safari" : "Browser";
        var system = Has("iPhone") ? "iPhone" : Has("iPad") ? "iPad" : Has("Android") ? "Android" : Has("CrOS") ? "ChromeOS"
            : Has("Windows") ? "Windows" : Has("Mac OS X") || Has("Macintosh") ? "Mac" : Has("Linux") ? "Linux" : null;
        return system is null ? browser : $"{browser} on {system}";
    }
}
