using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Recoverly.Telephony;

/// <summary>
/// Telnyx voicemail recordings through the Call Recordings API v2 (docs/webhooks.md, "Telnyx recordings"): the audio for the
/// owner's player, and deleting a recording with its transcriptions after the account was deleted. Every API request goes to
/// <c>Telnyx:ApiBaseUrl</c> with the API key; only the recording id comes from stored data.
/// </summary>
public sealed class TelnyxRecordings(IHttpClientFactory httpClients, IOptions<TelnyxOptions> options, ILogger<TelnyxRecordings> log)
{
    /// <summary>The client for the audio file itself: never given the API key, never redirected.</summary>
    public const string MediaClientName = "telnyx-media";

    /// <summary>What a Telnyx recording is stored as in <c>MissedCall.RecordingUrl</c>: its API resource, never Telnyx's short-lived file link.</summary>
    public const string StoredPrefix = "https://api.telnyx.com/v2/recordings/";

    /// <summary>A voicemail longer than this is not a voicemail Recoverly recorded (two minutes of MP3 are about 2 MB).</summary>
    public const long MaxMediaBytes = 25L * 1024 * 1024;

    public static string StoredUrl(Guid recordingId) => StoredPrefix + recordingId.ToString("D");

    /// <summary>The recording id in a stored Telnyx recording reference (a UUID as the last path segment), or null.</summary>
    public static string? RecordingId(string? storedUrl)
    {
        if (storedUrl is null || !Uri.TryCreate(storedUrl, UriKind.Absolute, out var uri)) return null;
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is not [.., "v2", "recordings", var last]) return null;
        var id = last.EndsWith(".mp3", StringComparison.OrdinalIgnoreCase) || last.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) ? last[..^4] : last;
        return Guid.TryParseExact(id, "D", out var guid) ? guid.ToString("D") : null;
    }

    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery)
    {
        var o = options.Value;
        var request = new HttpRequestMessage(method, o.ApiBaseUrl.TrimEnd('/') + pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    /// <summary>
    /// The recording's MP3 as Telnyx serves it, or null when there is none to fetch. Telnyx answers <c>GET /v2/recordings/{id}</c>
    /// with a short-lived <c>download_urls.mp3</c> link; only an https link is followed, without the API key and without
    /// redirects. The caller disposes the response.
    /// </summary>
    public async Task<HttpResponseMessage?> OpenAsync(string? recordingId, CancellationToken ct)
    {
        if (recordingId is null) return null;
        using var request = Request(HttpMethod.Get, $"/v2/recordings/{Uri.EscapeDataString(recordingId)}");
        using var answer = await httpClients.CreateClient(TelnyxGateway.HttpClientName).SendAsync(request, ct);
        if (!answer.IsSuccessStatusCode)
        {
            log.LogWarning("Telnyx answered {Status} for recording {RecordingId}", (int)answer.StatusCode, recordingId);
            return null;
        }
        string? link;
        try
        {
            using var doc = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(ct));
            link = doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                   && data.TryGetProperty("download_urls", out var urls) && urls.ValueKind == JsonValueKind.Object
                ? TelnyxGateway.Str(urls, "mp3")
                : null;
        }
        catch (JsonException)
        {
            link = null;
        }
        if (!SafeMediaLink(link, out var media))
        {
            log.LogWarning("Telnyx gave recording {RecordingId} no https MP3 link; not fetched", recordingId);
            return null;
        }
        using var fetch = new HttpRequestMessage(HttpMethod.Get, media);
        var response = await httpClients.CreateClient(MediaClientName).SendAsync(fetch, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode && response.Content.Headers.ContentLength is null or <= MaxMediaBytes) return response;
        log.LogWarning("Fetching the audio of Telnyx recording {RecordingId} failed ({Status})", recordingId, (int)response.StatusCode);
        response.Dispose();
        return null;
    }

    /// <summary>Only an absolute https link without credentials in it is fetched: an http or odd link is never followed.</summary>
    public static bool SafeMediaLink(string? link, out Uri media)
    {
        media = null!;
        if (link is null || !Uri.TryCreate(link, UriKind.Absolute, out var uri)) return false;
        if (uri.Scheme != Uri.UriSchemeHttps || uri.UserInfo.Length > 0 || uri.HostNameType is UriHostNameType.Unknown) return false;
        media = uri;
        return true;
    }

    /// <summary>
    /// Gone at Telnyx when this returns: the recording's transcriptions (<c>GET /v2/recording_transcriptions?filter[recording_id]=</c>,
    /// then <c>DELETE</c> each), then the recording (<c>DELETE /v2/recordings/{id}</c>). "Not found" counts as gone; any other
    /// failure throws, and the deletion is tried again later.
    /// </summary>
    public async Task DeleteAsync(string recordingId, CancellationToken ct)
    {
        var client = httpClients.CreateClient(TelnyxGateway.HttpClientName);
        var id = Uri.EscapeDataString(recordingId);
        using (var list = Request(HttpMethod.Get, $"/v2/recording_transcriptions?filter[recording_id]={id}&page[size]=50"))
        using (var found = await client.SendAsync(list, ct))
        {
            if (found.StatusCode != HttpStatusCode.NotFound)
            {
                Ensure(found);
                using var doc = JsonDocument.Parse(await found.Content.ReadAsStringAsync(ct));
                foreach (var transcription in TelnyxGateway.Array(doc.RootElement, "data"))
                {
                    if (TelnyxGateway.Str(transcription, "id") is not { } tid || !Guid.TryParseExact(tid, "D", out _)) continue;
                    using var delete = Request(HttpMethod.Delete, $"/v2/recording_transcriptions/{Uri.EscapeDataString(tid)}");
                    using var gone = await client.SendAsync(delete, ct);
                    if (gone.StatusCode != HttpStatusCode.NotFound) Ensure(gone);
                }
            }
        }
        using var deleteRecording = Request(HttpMethod.Delete, $"/v2/recordings/{id}");
        using var deleted = await client.SendAsync(deleteRecording, ct);
        if (deleted.StatusCode != HttpStatusCode.NotFound) Ensure(deleted);
    }

    private static void Ensure(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"Telnyx answered {(int)response.StatusCode}", null, response.StatusCode);
    }
}
