using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Push;

/// <summary>What a push alert is about; the service worker shows them alike, the kind is for the owner's eyes and for tests.</summary>
public enum PushAlertKind { MissedCall, Reply, Voicemail, Emergency }

/// <summary>
/// One alert for the owner's devices. <see cref="Body"/> says no more than the SMS alert for the same event does;
/// <see cref="Url"/> is the conversation it opens, <see cref="CallBack"/> the caller's number for the "Call back" button.
/// </summary>
public sealed record PushAlert(PushAlertKind Kind, string Title, string Body, string Url)
{
    /// <summary>E.164 of the caller; null when there is nobody to call back (a withheld number).</summary>
    public string? CallBack { get; init; }
    /// <summary>A newer alert with the same tag replaces the older one on the device (one per conversation).</summary>
    public string? Tag { get; init; }
    /// <summary>Unique per intent (the device id is appended), so a retried webhook pushes once.</summary>
    public string? DedupeKey { get; init; }
    /// <summary>Goes out even during quiet hours (the emergency alert decides this, not push).</summary>
    public bool BypassQuietHours { get; init; }
}

/// <summary>What travels, encrypted, to the service worker (wwwroot/sw.js reads it).</summary>
public sealed record PushPayload(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("tel")] string? Tel,
    [property: JsonPropertyName("tag")] string? Tag);

/// <summary>
/// Push as an alert channel beside SMS and e-mail (docs/push-alerts.md): one outbox row per device, sent by the
/// dispatcher (<see cref="PushDelivery"/>) with the outbox's retries. During quiet hours nothing is pushed; each
/// device gets one "while you were off" push when they end, unless the alert bypasses quiet hours.
/// </summary>
public static class PushAlerts
{
    /// <summary>The outbox "From" of a push (it uses no sending number).</summary>
    public const string Sender = "push";
    private const string RecipientPrefix = "push:";

    public static string Recipient(long deviceId) => RecipientPrefix + deviceId.ToString(CultureInfo.InvariantCulture);

    public static long? DeviceId(string to) =>
        to.StartsWith(RecipientPrefix, StringComparison.Ordinal) && long.TryParse(to.AsSpan(RecipientPrefix.Length), NumberStyles.None,
            CultureInfo.InvariantCulture, out var id) ? id : null;

    public static string Serialize(PushAlert alert) => JsonSerializer.Serialize(new PushPayload(KindName(alert.Kind), alert.Title, alert.Body,
        alert.Url, alert.CallBack, alert.Tag));

    private static string KindName(PushAlertKind kind) => kind switch
    {
        PushAlertKind.MissedCall => "missed-call",
        PushAlertKind.Reply => "reply",
        PushAlertKind.Voicemail => "voicemail",
        PushAlertKind.Emergency => "emergency",
        _ => "alert",
    };

    /// <summary>
    /// Queues the alert for every device of the business. Rows are added to the context (the caller's SaveChanges
    /// writes them, in its transaction); a quiet-hours digest is written at once. Returns how many devices it is for.
    /// </summary>
    public static async Task<int> QueueAsync(RecoverlyDb db, Business business, PushAlert alert, DateTime now, CancellationToken ct)
    {
        var devices = await db.PushDevices.AsNoTracking().Where(d => d.BusinessId == business.Id).Select(d => d.Id).ToListAsync(ct);
        if (devices.Count == 0) return 0;
        if (!alert.BypassQuietHours && QuietHours.Current(business, now) is { } quiet)
        {
            foreach (var device in devices) await HoldForQuietHoursEndAsync(db, business.Id, device, quiet, now, ct);
            return devices.Count;
        }
        var body = Serialize(alert);
        foreach (var device in devices)
            Outbox.Enqueue(db, new OutboxItem(business.Id, OutboundKind.OwnerPush, Recipient(device), Sender, body)
            {
                DedupeKey = alert.DedupeKey is { } key ? $"{key}:{device}" : null,
                ExpiresAt = now + OwnerAlerts.StaleAfter,
            }, now);
        return devices.Count;
    }

    /// <summary>One push per device when quiet hours end, however many alerts waited (insert-if-absent on its dedupe key).</summary>
    private static async Task HoldForQuietHoursEndAsync(RecoverlyDb db, long businessId, long device, QuietWindow quiet, DateTime now, CancellationToken ct)
    {
        var body = Serialize(new PushAlert(PushAlertKind.MissedCall, "While you were off",
            "Missed calls or replies came in during your quiet hours. Tap to see them.", OwnerAlerts.InboxPath) { Tag = "quiet-hours" });
        var key = $"push-digest:{device}:{quiet.EndUtc:yyyyMMddTHHmm}";
        var kind = OutboundKind.OwnerPush.ToString();
        var to = Recipient(device);
        var pending = OutboundStatus.Pending.ToString();
        var none = OutboxReason.None.ToString();
        var expires = quiet.EndUtc + OwnerAlerts.StaleAfter;
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "OutboundMessages" ("BusinessId", "Kind", "To", "From", "Body", "Status", "Reason", "DedupeKey", "CreatedAt", "NextAttemptAt", "ExpiresAt", "Attempts")
            VALUES ({businessId}, {kind}, {to}, {Sender}, {body}, {pending}, {none}, {key}, {now}, {quiet.EndUtc}, {expires}, {0})
            ON CONFLICT ("DedupeKey") DO NOTHING
            """, ct);
    }
}
