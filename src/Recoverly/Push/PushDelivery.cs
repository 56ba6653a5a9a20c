using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Push;

/// <summary>
/// Sends one push outbox row to its device's push service (RFC 8030): the payload encrypted to the browser
/// (<see cref="WebPushEncryption"/>), signed with the installation's VAPID key (<see cref="VapidKeys"/>). A
/// subscription the push service no longer knows (404/410) is removed; a busy or unreachable service is retried
/// with the outbox's backoff until the alert is stale. A duplicate push is harmless (the device shows one
/// notification per tag), so an unknown outcome is simply retried.
/// </summary>
public sealed class PushDelivery(IHttpClientFactory http, VapidKeys keys, PublicUrls urls, ILogger<PushDelivery> log)
{
    public const string HttpClientName = "webpush";

    /// <summary>Loopback push services are allowed only while this installation itself runs on a loopback address.</summary>
    public bool LoopbackAllowed => Uri.TryCreate(urls.Base, UriKind.Absolute, out var own) && PushEndpointRule.IsLoopbackHost(own);

    /// <summary>
    /// The push client's handler: no redirects, no cookies, no proxy, and a connection only to the addresses
    /// <see cref="PushEndpointRule"/> allows, checked after the name is resolved (docs/push-alerts.md).
    /// </summary>
    public static SocketsHttpHandler Handler(Func<bool> loopbackAllowed) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var resolved = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
            var allowed = resolved.Where(a => PushEndpointRule.IsPublic(a) || (IPAddress.IsLoopback(a) && loopbackAllowed())).ToArray();
            if (allowed.Length == 0) throw new HttpRequestException("The push service's address is not a public one");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public async Task DeliverAsync(RecoverlyDb db, OutboxLeases leases, ClaimedRow row, DateTime now, TimeSpan lease, CancellationToken ct)
    {
        var deviceId = PushAlerts.DeviceId(row.To);
        var device = deviceId is { } id ? await db.PushDevices.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct) : null;
        if (device is null)
        {
            await leases.EndAsync(db, row.Id, OutboundStatus.Cancelled, OutboxReason.PushDeviceRemoved, ct);
            return;
        }
        if (!(await leases.FenceAsync(db, [row.Id], now, lease, ct)).Contains(row.Id))
        {
            await leases.EndAsync(db, row.Id, OutboundStatus.Expired, OutboxReason.NotSentInTime, ct);
            return;
        }
        if (PushEndpointRule.Problem(device.Endpoint, LoopbackAllowed) is not null)
        {
            // Stored under another configuration (a loopback test service, say): never POST there from this one.
            await SendCompletion.ApplyAsync(db, leases, row.Id, Gone(row, now, 0), now, CancellationToken.None);
            await ForgetAsync(db, device.Id);
            return;
        }

        int? status = null;
        await db.ReleaseConnectionAsync();
        try
        {
            using var request = await RequestAsync(device, row, now, ct);
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            status = (int)response.StatusCode;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or IOException)
        {
            log.LogWarning("Outbox {Id}: push service at {Host} not reachable ({Error}); will retry", row.Id, new Uri(device.Endpoint).Host, e.Message);
        }
        var after = Outcome(row, status, now);
        await SendCompletion.ApplyAsync(db, leases, row.Id, after, now, CancellationToken.None);
        log.LogInformation("Outbox {Id} ({Kind}) to device {Device}: {Status} {Code}", row.Id, row.Kind, device.Id, after.Status, status);
        if (after.Reason == OutboxReason.PushDeviceGone) await ForgetAsync(db, device.Id);
        else if (after.Status == OutboundStatus.Sent)
        {
            using (await db.EnterWriteGateAsync(CancellationToken.None))
                await db.PushDevices.Where(d => d.Id == device.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.LastSentAt, now), CancellationToken.None);
        }
    }

    /// <summary>
    /// The push service's answer as the row's next state: 201 (or 200/202) sent; 404/410 the subscription is gone;
    /// no answer, 429 or 5xx retried with backoff; anything else refused for good.
    /// </summary>
    public static AfterSend Outcome(ClaimedRow row, int? status, DateTime now) => status switch
    {
        200 or 201 or 202 => new AfterSend(OutboundStatus.Sent, row.Attempts + 1, null, null, "pushed", null, OutboxReason.None, now, null),
        404 or 410 => Gone(row, now, status.Value),
        null or 408 or 429 or >= 500 => new AfterSend(OutboundStatus.Pending, row.Attempts + 1, now + DispatchOptions.Backoff(row.Attempts + 1), null,
            status is { } s ? $"http {s}" : null, null, OutboxReason.PushRetrying, null, null),
        _ => new AfterSend(OutboundStatus.Failed, row.Attempts + 1, null, null, $"http {status}", null, OutboxReason.PushRefused, null, null),
    };

    private static AfterSend Gone(ClaimedRow row, DateTime now, int status) =>
        new(OutboundStatus.Cancelled, row.Attempts + 1, null, null, status == 0 ? null : $"http {status}", null, OutboxReason.PushDeviceGone, null, null);

    private async Task<HttpRequestMessage> RequestAsync(PushDevice device, ClaimedRow row, DateTime now, CancellationToken ct)
    {
        var endpoint = new Uri(device.Endpoint);
        var body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(row.Body), Base64Url.DecodeFromChars(device.P256dh),
            Base64Url.DecodeFromChars(device.Auth));
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentEncoding.Add("aes128gcm");
        // The push service keeps it while the phone is offline, but not past the point where the alert is stale.
        var ttl = row.ExpiresAt is { } expires ? Math.Max(0, (int)(expires - now).TotalSeconds) : 12 * 3600;
        request.Headers.TryAddWithoutValidation("TTL", ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Urgency", "high");
        // The audience is the push service's origin (RFC 8292), port included when it is not the default.
        request.Headers.TryAddWithoutValidation("Authorization", await keys.AuthorizationAsync(endpoint.GetLeftPart(UriPartial.Authority), ct));
        return request;
    }

    private static async Task ForgetAsync(RecoverlyDb db, long deviceId)
    {
        await using var tx = await db.BeginWriteAsync(CancellationToken.None);
        await PushDevices.ForgetAsync(db, deviceId, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }
}
