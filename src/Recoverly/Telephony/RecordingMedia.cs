using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Recoverly.Telephony;

/// <summary>
/// A voicemail's audio, fetched from the provider with the account's credentials for the owner's authenticated page
/// (docs/product/owner-alerts.md, "Voicemail"): the browser never sees the provider's URL. Twilio recordings are fetched here,
/// only by their recording SID from the configured API, so a stored URL can never make us fetch elsewhere; Telnyx ones by
/// <see cref="TelnyxRecordings"/>.
/// </summary>
public static partial class RecordingMedia
{
    public const string ContentType = "audio/mpeg";

    [GeneratedRegex(@"/Recordings/(?<sid>RE[0-9a-fA-F]{32})(?:\.(?:mp3|wav|json))?$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex RecordingPath();

    /// <summary>The recording SID in a provider's RecordingUrl, or null when it is not a Twilio recording.</summary>
    public static string? RecordingSid(string? recordingUrl) =>
        recordingUrl is not null && Uri.TryCreate(recordingUrl, UriKind.Absolute, out var uri) && RecordingPath().Match(uri.AbsolutePath) is { Success: true } m
            ? m.Groups["sid"].Value
            : null;

    /// <summary>The recording's MP3 as the provider streams it, or null when there is none to fetch. The caller disposes the response.</summary>
    public static async Task<HttpResponseMessage?> OpenAsync(IHttpClientFactory http, TwilioOptions twilio, TelephonyOptions telephony,
        string recordingUrl, CancellationToken ct)
    {
        if (telephony.IsTelnyx || RecordingSid(recordingUrl) is not { } sid || twilio.AccountSid is not { } account) return null;
        // The Twilio client re-bases api.twilio.com on Twilio:ApiBaseUrl (the simulator, or a test double).
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{sid}.mp3");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{twilio.AuthToken}")));
        var response = await http.CreateClient(TwilioGateway.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode) return response;
        response.Dispose();
        return null;
    }

    /// <summary>What the stand-ins (simulator, test doubles) serve for any recording: one silent MPEG-1 Layer III frame.</summary>
    public static byte[] SilentMp3()
    {
        // 128 kbit/s, 44.1 kHz, no padding: 417 bytes per frame, header then silence.
        var frame = new byte[417];
        frame[0] = 0xFF;
        frame[1] = 0xFB;
        frame[2] = 0x90;
        frame[3] = 0x64;
        return frame;
    }
}
