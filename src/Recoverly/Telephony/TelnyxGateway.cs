using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Recoverly.Texts;

namespace Recoverly.Telephony;

/// <summary>
/// The Telnyx adapter: messaging API v2 over plain HTTP (<c>POST /v2/messages</c>, Bearer key), pointed at
/// <c>Telnyx:ApiBaseUrl</c> (the real API or a Telnyx-compatible stand-in). Status comes back as
/// <c>message.sent</c> / <c>message.finalized</c> webhooks to <see cref="StatusCallbackPath"/>.
/// </summary>
public sealed class TelnyxGateway(IHttpClientFactory httpClients, IOptions<TelnyxOptions> options, TimeProvider time) : ITextProvider
{
    public const string HttpClientName = "telnyx";

    /// <summary>
    /// How long after an attempt Telnyx's detail-record search is trusted to show it; until then an in-doubt
    /// send waits instead of being judged "never arrived" (docs/decisions/0006-telnyx-in-doubt-sends.md).
    /// </summary>
    public static readonly TimeSpan ListingDelay = TimeSpan.FromMinutes(2);

    public string StatusCallbackPath => TelnyxWebhooks.MessagingPath;

    private TelnyxOptions Options => options.Value;

    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery)
    {
        var request = new HttpRequestMessage(method, Options.ApiBaseUrl.TrimEnd('/') + pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    public async Task<SendResult> SendAsync(OutgoingText text, CancellationToken ct)
    {
        var body = new Dictionary<string, string> { ["from"] = text.From, ["to"] = text.To, ["text"] = text.Body };
        if (text.StatusCallback is not null) body["webhook_url"] = text.StatusCallback.ToString();
        if (!string.IsNullOrEmpty(Options.MessagingProfileId)) body["messaging_profile_id"] = Options.MessagingProfileId;
        using var request = Request(HttpMethod.Post, "/v2/messages");
        request.Content = JsonContent.Create(body);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, ct);
            var json = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) return Classify(ErrorCode(json), (int)response.StatusCode);
            if (ParseMessage(json) is not { } sent)
                return new SendResult(SendOutcome.InDoubt, Reason: OutboxReason.ProviderNoAnswer); // accepted, but we can't tell which message
            return new SendResult(SendOutcome.Accepted, sent.Sid, sent.Status ?? "queued");
        }
        catch (HttpRequestException e) when (NeverReachedProvider(e))
        {
            return new SendResult(SendOutcome.Retry, Reason: OutboxReason.ProviderUnreachable);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException or TimeoutException)
        {
            // The request may have reached the provider: never resend blindly (docs/decisions/0004-unknown-send-outcome.md).
            return new SendResult(SendOutcome.InDoubt, Reason: OutboxReason.ProviderNoAnswer);
        }
    }

    /// <summary>
    /// Telnyx has no message list with bodies: its detail-record search finds the outbound messages from
    /// this sender to this recipient since the attempt, and each is read back (<c>GET /v2/messages/{id}</c>)
    /// for its text. Too soon after the attempt the search may not show it yet, so this refuses to answer.
    /// </summary>
    public async Task<IReadOnlyList<ProviderMessage>> FindRecentAsync(string to, string? from, DateTime attemptStartedAt, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (now < attemptStartedAt + ListingDelay)
            throw new ProviderNotSettledException($"Telnyx may not list a message sent at {attemptStartedAt:O} before {attemptStartedAt + ListingDelay:O}");

        var since = attemptStartedAt.AddMinutes(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var query = $"/v2/detail_records?filter[record_type]=messaging&filter[direction]=outbound&filter[cld]={Uri.EscapeDataString(to)}"
                    + (from is null ? "" : $"&filter[cli]={Uri.EscapeDataString(from)}")
                    + $"&filter[created_at][gte]={Uri.EscapeDataString(since)}&sort=-created_at&page[size]=20";
        var client = httpClients.CreateClient(HttpClientName);
        using var search = Request(HttpMethod.Get, query);
        using var found = await client.SendAsync(search, ct);
        found.EnsureSuccessStatusCode();
        using var records = JsonDocument.Parse(await found.Content.ReadAsStringAsync(ct));

        var messages = new List<ProviderMessage>();
        foreach (var record in Array(records.RootElement, "data"))
        {
            if (Str(record, "uuid") is not { } id || !TelnyxWebhooks.LooksLikeId(id)) continue;
            using var read = Request(HttpMethod.Get, $"/v2/messages/{Uri.EscapeDataString(id)}");
            using var message = await client.SendAsync(read, ct);
            if (message.StatusCode == HttpStatusCode.NotFound) continue;
            message.EnsureSuccessStatusCode();
            if (ParseMessage(await message.Content.ReadAsStringAsync(ct)) is { } m)
                messages.Add(m with { CreatedAt = m.CreatedAt ?? Date(record, "created_at") });
        }
        return messages;
    }

    /// <summary>Telnyx's answer to a refused send, typed (docs/product/sending.md, "Provider errors").</summary>
    internal static SendResult Classify(int? code, int httpStatus)
    {
        if (httpStatus == 429 || code == 10011)
            return new SendResult(SendOutcome.Retry, ErrorCode: code ?? 10011, Reason: OutboxReason.ProviderBusy);
        if (httpStatus >= 500)
            return new SendResult(SendOutcome.InDoubt, ErrorCode: code, Reason: OutboxReason.ProviderServerError);
        // Without a code, a refused key or a forbidden sender still needs the operator.
        code ??= httpStatus switch { 401 => 10009, 403 => 10010, _ => null };
        if (code is not { } known) return new SendResult(SendOutcome.Permanent, Reason: OutboxReason.ProviderError);
        var outcome = ProviderErrors.Describe(known).Category switch
        {
            ErrorCategory.Retry => SendOutcome.Retry,
            ErrorCategory.OptedOut => SendOutcome.OptedOut,
            ErrorCategory.Landline => SendOutcome.Landline,
            ErrorCategory.Configuration => SendOutcome.Configuration,
            _ => SendOutcome.Permanent,
        };
        return new SendResult(outcome, ErrorCode: known, Reason: outcome == SendOutcome.Retry ? OutboxReason.ProviderBusy : OutboxReason.ProviderError);
    }

    /// <summary>The first numeric code of Telnyx's <c>{"errors":[{"code":"40300",…}]}</c>.</summary>
    internal static int? ErrorCode(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var error in Array(doc.RootElement, "errors"))
                if (Code(error) is { } code) return code;
        }
        catch (JsonException)
        {
        }
        return null;
    }

    internal static int? Code(JsonElement error) => error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c)
        ? c.ValueKind switch
        {
            JsonValueKind.String when int.TryParse(c.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) => s,
            JsonValueKind.Number when c.TryGetInt32(out var n) => n,
            _ => null,
        }
        : null;

    /// <summary>A message resource (<c>{"data":{…}}</c>): id, first recipient and its status, sender, text, when Telnyx took it.</summary>
    private static ProviderMessage? ParseMessage(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("data", out var data) || Str(data, "id") is not { } id) return null;
            var recipient = Array(data, "to").FirstOrDefault();
            var from = data.TryGetProperty("from", out var f) ? f.ValueKind == JsonValueKind.Object ? Str(f, "phone_number") : Str(data, "from") : null;
            return new ProviderMessage(id, recipient.ValueKind == JsonValueKind.Object ? Str(recipient, "phone_number") : null, from,
                Str(data, "text"), recipient.ValueKind == JsonValueKind.Object ? Str(recipient, "status") : null, Date(data, "received_at"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static IEnumerable<JsonElement> Array(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().ToList()
            : [];

    internal static string? Str(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTime? Date(JsonElement parent, string name) =>
        DateTimeOffset.TryParse(Str(parent, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d.UtcDateTime : null;

    private static bool NeverReachedProvider(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NetworkUnreachable })
                return true;
        return false;
    }
}

/// <summary>The provider cannot yet say whether it holds a message; the row waits and asks again later.</summary>
public sealed class ProviderNotSettledException(string message) : Exception(message);
