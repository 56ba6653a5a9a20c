using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Recoverly.Data;

namespace Recoverly.Telephony;

/// <summary>
/// Telnyx: the account's active numbers (<c>GET /v2/phone_numbers</c>); the chosen one is put on the TeXML
/// application (<c>Telnyx:TexmlApplicationId</c>) and the messaging profile (<c>Telnyx:MessagingProfileId</c>),
/// which carry the webhook URLs, so calls and texts to it reach this installation.
/// </summary>
public sealed class TelnyxOwnedNumbers(RecoverlyDb db, IHttpClientFactory httpClients, IOptions<TelnyxOptions> options,
    ILogger<TelnyxOwnedNumbers> log) : INumberProvisioning
{
    public bool OwnerChooses => true;

    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery, object? json = null)
    {
        var request = new HttpRequestMessage(method, options.Value.ApiBaseUrl.TrimEnd('/') + pathAndQuery);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
        if (json is not null) request.Content = JsonContent.Create(json);
        return request;
    }

    public async Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct)
    {
        List<(string Id, string E164)> owned;
        try
        {
            owned = await ListAsync(null, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            log.LogWarning(e, "Listing the Telnyx account's phone numbers failed");
            return new FreeNumbers([], "Couldn't reach Telnyx to list your numbers. Check the Telnyx API key and try again.");
        }
        var taken = await NumberProvisioning.TakenAsync(db, ct);
        var free = owned.Where(n => !taken.Contains(n.E164)).Select(n => new FreeNumber(n.E164, null))
            .OrderBy(n => n.E164, StringComparer.Ordinal).ToList();
        return free.Count == 0
            ? new FreeNumbers([], "Your Telnyx account has no free active number. Buy one in the Telnyx portal, then reload this page.")
            : new FreeNumbers(free);
    }

    public async Task<string?> PrepareAsync(string e164, CancellationToken ct)
    {
        try
        {
            var number = (await ListAsync(e164, ct)).FirstOrDefault(n => n.E164 == e164);
            if (number.Id is null) return "That number isn't an active number in your Telnyx account. Pick another.";
            var client = httpClients.CreateClient(TelnyxGateway.HttpClientName);
            var o = options.Value;
            if (!string.IsNullOrEmpty(o.TexmlApplicationId))
            {
                using var voice = Request(HttpMethod.Patch, $"/v2/phone_numbers/{Uri.EscapeDataString(number.Id)}", new { connection_id = o.TexmlApplicationId });
                (await client.SendAsync(voice, ct)).EnsureSuccessStatusCode();
            }
            if (!string.IsNullOrEmpty(o.MessagingProfileId))
            {
                using var messaging = Request(HttpMethod.Patch, $"/v2/phone_numbers/{Uri.EscapeDataString(number.Id)}/messaging",
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

    private async Task<List<(string Id, string E164)>> ListAsync(string? e164, CancellationToken ct)
    {
        var query = "/v2/phone_numbers?filter[status]=active&page[size]=250"
                    + (e164 is null ? "" : $"&filter[phone_number]={Uri.EscapeDataString(e164)}");
        using var request = Request(HttpMethod.Get, query);
        using var response = await httpClients.CreateClient(TelnyxGateway.HttpClientName).SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return TelnyxGateway.Array(doc.RootElement, "data")
            .Select(n => (Id: TelnyxGateway.Str(n, "id"), E164: TelnyxGateway.Str(n, "phone_number")))
            .Where(n => n.Id is not null && n.E164 is not null)
            .Select(n => (n.Id!, n.E164!))
            .ToList();
    }
}
