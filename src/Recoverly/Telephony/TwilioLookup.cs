using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Recoverly.Telephony;

/// <summary>The provider's answer: its line <c>type</c> (mobile, landline, fixedVoip, …) and carrier name when it gives one.</summary>
public sealed record LineTypeAnswer(string Type, string? CarrierName);

/// <summary>
/// Twilio Lookup v2 line type intelligence: <c>GET {LookupBaseUrl}/v2/PhoneNumbers/{E164}?Fields=line_type_intelligence</c>
/// with the account's Basic credentials. On by setting <c>Twilio:LookupBaseUrl</c> (in simulator mode the simulator's
/// own stand-in answers). Never throws: a timeout, an error or an answer without a type is "don't know" (null), and
/// the text goes as it would without a lookup (docs/product/texts.md, "Landlines").
/// </summary>
public sealed class TwilioLookup(IHttpClientFactory httpClients, IOptions<TwilioOptions> twilio, IOptions<TelephonyOptions> telephony,
    PublicUrls urls, ILogger<TwilioLookup> log)
{
    public const string HttpClientName = "twilio-lookup";
    public const string SimulatorPath = "/simulator/twilio-lookups";

    /// <summary>Null when lookups are off.</summary>
    public string? BaseUrl => twilio.Value.LookupBaseUrl is { Length: > 0 } configured ? configured.TrimEnd('/')
        : telephony.Value.IsSimulator ? urls.For(SimulatorPath) : null;

    public bool Enabled => BaseUrl is not null;

    public TimeSpan Timeout => TimeSpan.FromMilliseconds(Math.Max(1, twilio.Value.LookupTimeoutMilliseconds));

    /// <summary>The price of one lookup in dollars, for the owner's setting ("about $0.008 per new caller").</summary>
    public string CostPerLookup => (twilio.Value.LookupCostCents / 100).ToString("$0.00##", CultureInfo.InvariantCulture);

    /// <summary>The number's line type, or null when the provider did not say within <see cref="Timeout"/>.</summary>
    public async Task<LineTypeAnswer?> LineTypeAsync(string e164, CancellationToken ct)
    {
        if (BaseUrl is not { } baseUrl) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get,
                $"{baseUrl}/v2/PhoneNumbers/{Uri.EscapeDataString(e164)}?Fields=line_type_intelligence");
            var o = twilio.Value;
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AccountSid}:{o.AuthToken}")));
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                log.LogWarning("Line-type lookup for {Phone}: HTTP {Status} (error {Code})", Phones.Mask(e164), (int)response.StatusCode, ErrorCode(body));
                return null;
            }
            return Parse(body, e164);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or JsonException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Line-type lookup for {Phone} gave no answer ({Error}); sending without it", Phones.Mask(e164), e.GetType().Name);
            return null;
        }
    }

    private LineTypeAnswer? Parse(string body, string e164)
    {
        using var json = JsonDocument.Parse(body);
        if (!json.RootElement.TryGetProperty("line_type_intelligence", out var info) || info.ValueKind != JsonValueKind.Object) return null;
        // Twilio reports a failed line-type query inside a 200 (e.g. 60601 for Canadian numbers without NPAC access).
        if (info.TryGetProperty("error_code", out var error) && error.ValueKind == JsonValueKind.Number)
        {
            log.LogInformation("Line-type lookup for {Phone}: provider error {Code}", Phones.Mask(e164), error.GetInt32());
            return null;
        }
        if (!info.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() is not { Length: > 0 } t)
            return null;
        var carrier = info.TryGetProperty("carrier_name", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        return new LineTypeAnswer(t.Length > 20 ? t[..20] : t, carrier is { Length: > 100 } ? carrier[..100] : carrier);
    }

    private static int? ErrorCode(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
