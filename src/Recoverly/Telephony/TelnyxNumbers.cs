using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;

namespace Recoverly.Telephony;

/// <summary>
/// Telnyx: as with Twilio, sign-ups are offered only free numbers of the operator's pool (<see cref="NumberPool"/>,
/// filled by <c>numbers add</c>), read from the database — the Telnyx account itself is never listed for them.
/// The chosen one is put on the TeXML application (<c>Telnyx:TexmlApplicationId</c>) and the messaging profile
/// (<c>Telnyx:MessagingProfileId</c>), which carry the webhook URLs, so calls and texts to it reach this installation.
/// Telnyx keeps fallback URLs on the application and the profile, not per number: provisioning points them at this
/// installation's fallbacks when they are not already (docs/webhooks.md, "Telnyx").
/// </summary>
public sealed class TelnyxNumberPool(RecoverlyDb db, IHttpClientFactory httpClients, IOptions<TelnyxOptions> options, PublicUrls urls,
    ILogger<TelnyxNumberPool> log) : INumberProvisioning
{
    public bool OwnerChooses => true;

    public Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct) => NumberPool.FreeAsync(db, log, ct);

    public async Task<string?> PrepareAsync(string e164, CancellationToken ct)
    {
        var pooled = await db.PoolNumbers.AsNoTracking().FirstOrDefaultAsync(p => p.E164 == e164, ct);
        if (pooled is null) return "That number isn't one we can give out. Pick another.";
        try
        {
            var id = pooled.ProviderSid ?? (await FindOwnedAsync(e164, ct))?.Id;
            if (id is null) return "That number isn't available any more. Pick another.";
            var client = httpClients.CreateClient(TelnyxGateway.HttpClientName);
            var o = options.Value;
            if (!string.IsNullOrEmpty(o.TexmlApplicationId))
            {
                using var voice = Request(HttpMethod.Patch, $"/v2/phone_numbers/{Uri.EscapeDataString(id)}", new { connection_id = o.TexmlApplicationId });
                (await client.SendAsync(voice, ct)).EnsureSuccessStatusCode();
                await EnsureVoiceFallbackAsync(client, o.TexmlApplicationId, ct);
            }
            if (!string.IsNullOrEmpty(o.MessagingProfileId))
            {
                using var messaging = Request(HttpMethod.Patch, $"/v2/phone_numbers/{Uri.EscapeDataString(id)}/messaging",
                    new { messaging_profile_id = o.MessagingProfileId });
                (await client.SendAsync(messaging, ct)).EnsureSuccessStatusCode();
                await EnsureMessagingFailoverAsync(client, o.MessagingProfileId, ct);
            }
            log.LogInformation("Pointed Telnyx number {Number} at the TeXML application and messaging profile", Phones.Mask(e164));
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            log.LogWarning(e, "Configuring Telnyx number {Number} failed", Phones.Mask(e164));
            return "Telnyx didn't accept the change to that number. Try again in a minute.";
        }
    }

    /// <summary>
    /// The TeXML application's <c>voice_fallback_url</c> → <see cref="TelnyxWebhooks.VoiceFallbackPath"/>, set only when it differs.
    /// Telnyx's update requires the name and voice URL: the application's own are sent back unchanged.
    /// </summary>
    private async Task EnsureVoiceFallbackAsync(HttpClient client, string applicationId, CancellationToken ct)
    {
        var path = $"/v2/texml_applications/{Uri.EscapeDataString(applicationId)}";
        var fallback = urls.For(TelnyxWebhooks.VoiceFallbackPath);
        using var read = Request(HttpMethod.Get, path);
        using var found = await client.SendAsync(read, ct);
        found.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await found.Content.ReadAsStringAsync(ct));
        var app = doc.RootElement.TryGetProperty("data", out var d) ? d : default;
        if (TelnyxGateway.Str(app, "voice_fallback_url") == fallback) return;
        using var update = Request(HttpMethod.Patch, path, new
        {
            friendly_name = TelnyxGateway.Str(app, "friendly_name") ?? "Recoverly",
            voice_url = TelnyxGateway.Str(app, "voice_url") ?? urls.For("/telnyx/voice"),
            voice_fallback_url = fallback,
        });
        (await client.SendAsync(update, ct)).EnsureSuccessStatusCode();
        log.LogInformation("Set the TeXML application's voice fallback URL to {Url}", fallback);
    }

    /// <summary>The messaging profile's <c>webhook_failover_url</c> → <see cref="TelnyxWebhooks.MessagingFailoverPath"/>, set only when it differs.</summary>
    private async Task EnsureMessagingFailoverAsync(HttpClient client, string profileId, CancellationToken ct)
    {
        var path = $"/v2/messaging_profiles/{Uri.EscapeDataString(profileId)}";
        var failover = urls.For(TelnyxWebhooks.MessagingFailoverPath);
        using var read = Request(HttpMethod.Get, path);
        using var found = await client.SendAsync(read, ct);
        found.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await found.Content.ReadAsStringAsync(ct));
        if (TelnyxGateway.Str(doc.RootElement.TryGetProperty("data", out var d) ? d : default, "webhook_failover_url") == failover) return;
        using var update = Request(HttpMethod.Patch, path, new { webhook_failover_url = failover });
        (await client.SendAsync(update, ct)).EnsureSuccessStatusCode();
        log.LogInformation("Set the messaging profile's webhook failover URL to {Url}", failover);
    }

    /// <summary>For <c>numbers add</c>: the number's Telnyx id, or the problem in the operator's words.</summary>
    public async Task<(string? Id, string? Problem)> CheckOwnedAsync(string e164, CancellationToken ct)
    {
        (string Id, string Status)? number;
        try
        {
            number = await FindOwnedAsync(e164, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            log.LogWarning(e, "Looking up Telnyx number {Number} failed", Phones.Mask(e164));
            return (null, $"couldn't ask Telnyx about {e164} ({e.Message}); check Telnyx:ApiKey, Telnyx:ApiBaseUrl and the network");
        }
        if (number is null) return (null, $"{e164} is not a number of this Telnyx account");
        if (!number.Value.Status.Equals("active", StringComparison.OrdinalIgnoreCase))
            return (null, $"{e164} is not active in Telnyx (status {number.Value.Status})");
        return (number.Value.Id, null);
    }

    /// <summary>
    /// The account's number <paramref name="e164"/> (one filtered request, never a listing of the account), or null
    /// when the account has no such number. Throws when Telnyx can't be reached or refuses.
    /// </summary>
    private async Task<(string Id, string Status)?> FindOwnedAsync(string e164, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, $"/v2/phone_numbers?filter[phone_number]={Uri.EscapeDataString(e164)}&page[size]=20");
        using var response = await httpClients.CreateClient(TelnyxGateway.HttpClientName).SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return TelnyxGateway.Array(doc.RootElement, "data")
            .Where(n => TelnyxGateway.Str(n, "phone_number") == e164 && TelnyxGateway.Str(n, "id") is not null)
            .Select(n => ((string Id, string Status)?)(TelnyxGateway.Str(n, "id")!, TelnyxGateway.Str(n, "status") ?? "unknown"))
            .FirstOrDefault();
    }

    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery, object? json = null)
    {
        var request = new HttpRequestMessage(method, options.Value.ApiBaseUrl.TrimEnd('/') + pathAndQuery);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
        if (json is not null) request.Content = JsonContent.Create(json);
        return request;
    }
}
