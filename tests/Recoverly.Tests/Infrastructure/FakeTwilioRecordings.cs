using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// The Recordings and Transcriptions part of the Twilio REST double on the real wire format: list a recording's
/// transcriptions, delete a transcription, delete a recording (204; 404 once gone). Records every delete it is asked for,
/// and can play an outage (<see cref="FailNext"/>).
/// </summary>
public sealed class FakeTwilioRecordings(string accountSid, string authToken)
{
    private readonly ConcurrentDictionary<string, List<string>> _recordings = new();
    private readonly ConcurrentQueue<string> _deletes = new();
    private int _failures;

    /// <summary>"DELETE Recordings/RE…" and "DELETE Transcriptions/TR…", in the order they arrived (failed ones included).</summary>
    public IReadOnlyList<string> Deletes => _deletes.ToArray();

    public bool Has(string sid) => _recordings.ContainsKey(sid) || _recordings.Values.Any(t => t.Contains(sid));

    /// <summary>A recording the account holds, with its transcription; returns (recording sid, transcription sid, recording URL).</summary>
    public (string RecordingSid, string TranscriptionSid, string Url) Add()
    {
        var recording = "RE" + Guid.NewGuid().ToString("N");
        var transcription = "TR" + Guid.NewGuid().ToString("N");
        _recordings[recording] = [transcription];
        return (recording, transcription, $"https://api.twilio.com/2010-04-01/Accounts/{accountSid}/Recordings/{recording}");
    }

    /// <summary>The next <paramref name="count"/> requests answer 503, as a provider outage.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failures, count);

    public HttpMessageHandler Handler(HttpMessageHandler others) => new InProcess(this, others);

    private (int Status, string Json) Handle(string method, string path, string? authorization)
    {
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        if (authorization != expectedAuth) return Error(401, 20003, "Authenticate");
        var prefix = $"/2010-04-01/Accounts/{accountSid}/";
        var at = path.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0) return Error(404, 20404, "The requested resource was not found");
        var parts = path[(at + prefix.Length)..].Split('/');
        if (method == "DELETE") _deletes.Enqueue($"DELETE {parts[0]}/{parts[^1].Replace(".json", "", StringComparison.Ordinal)}");
        if (Interlocked.Decrement(ref _failures) >= 0) return Error(503, 20500, "Service unavailable");

        if (method == "GET" && parts is ["Recordings", var rec, "Transcriptions.json"])
        {
            if (!_recordings.TryGetValue(rec, out var list)) return Error(404, 20404, "The requested resource was not found");
            var uri = $"{prefix}Recordings/{rec}/Transcriptions.json";
            return (200, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["transcriptions"] = list.Select(t => new Dictionary<string, object?>
                {
                    ["sid"] = t, ["account_sid"] = accountSid, ["recording_sid"] = rec, ["status"] = "completed", ["api_version"] = "2010-04-01",
                    ["uri"] = $"{prefix}Transcriptions/{t}.json",
                }).ToList(),
                ["end"] = Math.Max(0, list.Count - 1), ["first_page_uri"] = uri, ["next_page_uri"] = null, ["page"] = 0, ["page_size"] = 50,
                ["previous_page_uri"] = null, ["start"] = 0, ["uri"] = uri,
            }));
        }
        if (method == "DELETE" && parts is ["Transcriptions", var tr])
        {
            var sid = tr.Replace(".json", "", StringComparison.Ordinal);
            var owner = _recordings.FirstOrDefault(r => r.Value.Contains(sid));
            if (owner.Key is null) return Error(404, 20404, "The requested resource was not found");
            lock (owner.Value) owner.Value.Remove(sid);
            return (204, "");
        }
        if (method == "DELETE" && parts is ["Recordings", var re])
            return _recordings.TryRemove(re.Replace(".json", "", StringComparison.Ordinal), out _)
                ? (204, "")
                : Error(404, 20404, "The requested resource was not found");
        return Error(404, 20404, "The requested resource was not found");
    }

    private static (int, string) Error(int status, int code, string message) =>
        (status, JsonSerializer.Serialize(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }));

    private sealed class InProcess(FakeTwilioRecordings api, HttpMessageHandler others) : DelegatingHandler(others)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var path = request.RequestUri!.AbsolutePath;
            // Deletes and transcription lists are ours; a recording's media (GET …/Recordings/RE….mp3) is the fake API's.
            var ours = (path.Contains("/Recordings/", StringComparison.Ordinal) || path.Contains("/Transcriptions/", StringComparison.Ordinal))
                       && (request.Method == HttpMethod.Delete || path.EndsWith("/Transcriptions.json", StringComparison.Ordinal));
            if (!ours) return await base.SendAsync(request, ct);
            var (status, json) = api.Handle(request.Method.Method, path, request.Headers.Authorization?.ToString());
            return new HttpResponseMessage((HttpStatusCode)status)
            {
                Content = status == 204 ? new ByteArrayContent([]) : new StringContent(json, Encoding.UTF8, "application/json"),
            };
        }
    }
}
