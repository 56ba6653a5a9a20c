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
/// </summary>
public sealed class TelnyxNumberPool(RecoverlyDb db, IHttpClientFactory httpClients, IOptions<TelnyxOptions> options,
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
            }
            if (!string.IsNullOrEmpty(o.MessagingProfileId))
            {
                using var messaging = Request(HttpMethod.Patch, $"/v2/phone_numbers/{Uri.EscapeDataString(id)}/messaging",
                    new { messaging_profile_id = o.MessagingProfileId });
                (await client.SendAsync(messaging, ct)).EnsureSuccessStatusCode();
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
