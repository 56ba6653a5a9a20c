using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Recoverly.Tests.Infrastructure;

/// <summary>What a scenario test needs from a provider's messaging API stand-in, whichever provider it is.</summary>
public interface IFakeSmsApi
{
    /// <summary>Every text the provider took, in order.</summary>
    IReadOnlyList<SentText> Sent { get; }
    IReadOnlyList<SentText> SentTo(string to);
    /// <summary>Send requests made (taken or refused).</summary>
    int Requests { get; }
    /// <summary>The next send requests get these answers, in order; then normal acceptance resumes.</summary>
    void Script(params Scripted[] answers);
    /// <summary>Send requests received and held (<see cref="Scripted.Until"/>), not answered yet.</summary>
    int InFlight { get; }
}

/// <summary>
/// A Telnyx messaging API v2 stand-in speaking the real wire format: <c>POST /v2/messages</c> with a Bearer
/// key, <c>{"data":{…}}</c> answers and <c>{"errors":[{"code":"40300",…}]}</c> refusals, the detail-record
/// search and <c>GET /v2/messages/{id}</c>, the account's numbers — and the platform's own keyword
/// handling: an opt-out word creates a block rule (later sends get 40300) and an automatic reply, START
/// lifts it, as Telnyx documents its default behaviour. Calls placed through the connection-scoped TeXML Calls API
/// (<c>POST /v2/texml/calls/{connection_id}</c>: JSON <c>From</c>, <c>To</c>, <c>Texml</c> or <c>Url</c>; a flat
/// <c>{"call_sid": …}</c> answer) are kept in <see cref="Calls"/>.
/// </summary>
public sealed class FakeTelnyxApi(string apiKey) : IFakeSmsApi
{
    public const string MessagingProfileId = "40017f8e-49bd-4f5a-9d4c-2a1e1e3c6d11";
    /// <summary>The account's TeXML application (its connection id); calls placed on any other connection are refused.</summary>
    public const string TexmlApplicationId = "1494404757140276705";
    public const string GenericOptOutReply = "You have successfully been unsubscribed, you will not receive any more messages from this number.";

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
        { "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit" };
    private static readonly HashSet<string> StartWords = new(StringComparer.OrdinalIgnoreCase) { "start", "unstop" };

    private readonly ConcurrentQueue<SentText> _sent = new();
    private readonly ConcurrentQueue<SentText> _autoReplies = new();
    private readonly ConcurrentQueue<Scripted> _script = new();
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);
    private readonly ConcurrentDictionary<string, bool> _blocked = new();
    private readonly ConcurrentQueue<PlacedCall> _calls = new();

    /// <summary>Calls placed through the TeXML Calls API, oldest first (<see cref="PlacedCall.Twiml"/> holds the inline TeXML).</summary>
    public IReadOnlyList<PlacedCall> Calls => _calls.ToArray();

    /// <summary>The code the latest call to <paramref name="to"/> said.</summary>
    public string CodeSaidTo(string to) =>
        _calls.LastOrDefault(c => c.To == to)?.Code ?? throw new InvalidOperationException($"no verification call to {to}");
    private readonly ConcurrentDictionary<string, string> _numbers = new();
    private int _requests;
    private int _listings;

    public Func<DateTime> Clock { get; set; } = () => DateTime.UtcNow;
    public IReadOnlyList<SentText> Sent => _sent.ToArray();
    public IReadOnlyList<SentText> SentTo(string to) => _sent.Where(s => s.To == to).ToList();
    /// <summary>Replies Telnyx itself sent to keywords (never through the API).</summary>
    public IReadOnlyList<SentText> AutoRepliesTo(string to) => _autoReplies.Where(s => s.To == to).ToList();
    public int Requests => _requests;
    /// <summary>The numbers the account owns (id → E.164), and the PATCHes made to them.</summary>
    public ConcurrentQueue<(string Path, string Json)> NumberUpdates { get; } = new();

    public void Script(params Scripted[] answers)
    {
        foreach (var a in answers) _script.Enqueue(a);
    }

    /// <summary>Requests that listed the account's numbers without naming one.</summary>
    public int Listings => _listings;

    /// <summary>Gives the account <paramref name="e164"/>; returns its Telnyx id.</summary>
    public string OwnNumber(string e164)
    {
        var id = Guid.NewGuid().ToString();
        _numbers[id] = e164;
        return id;
    }

    /// <summary>
    /// A text from a phone reaching a number on the profile, before Telnyx posts <c>message.received</c>:
    /// the platform applies its default keyword rules (whole message only).
    /// </summary>
    public void Receive(string from, string to, string body)
    {
        var words = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (StopWords.Contains(words))
        {
            _blocked[from] = true;
            _autoReplies.Enqueue(new SentText(Guid.NewGuid().ToString(), from, to, null, GenericOptOutReply, null, Clock()));
        }
        else if (StartWords.Contains(words))
        {
            _blocked.TryRemove(from, out _);
        }
    }

    public async Task<(int Status, string Json)> HandleAsync(string method, string path, IReadOnlyDictionary<string, string> query,
        string body, string? authorization, CancellationToken ct)
    {
        if (authorization != "Bearer " + apiKey) return Error(401, 10009, "Authentication failed");

        if (method == "GET" && path == "/v2/detail_records") return Search(query);
        if (method == "GET" && path.StartsWith("/v2/messages/", StringComparison.Ordinal))
        {
            var id = path["/v2/messages/".Length..];
            var found = _sent.FirstOrDefault(s => s.Sid == id);
            return found is null ? Error(404, 10005, "Resource not found") : (200, Data(Message(found, "delivered")));
        }
        if (path.StartsWith("/v2/recordings/", StringComparison.Ordinal) || path.StartsWith("/v2/recording_transcriptions", StringComparison.Ordinal))
            return Recordings(method, path, query);
        if (path.StartsWith("/v2/texml_applications/", StringComparison.Ordinal) || path.StartsWith("/v2/messaging_profiles/", StringComparison.Ordinal))
            return Settings(method, path, body);
        if (method == "GET" && path == "/v2/phone_numbers") return Numbers(query);
        if (method == "PATCH" && path.StartsWith("/v2/phone_numbers/", StringComparison.Ordinal))
        {
            NumberUpdates.Enqueue((path, body));
            return (200, Data(new JsonObject { ["id"] = path.Split('/')[3] }));
        }
        if (method == "POST" && path.StartsWith("/v2/texml/calls/", StringComparison.Ordinal)) return PlaceCall(path["/v2/texml/calls/".Length..], body);
        if (method != "POST" || path != "/v2/messages") return Error(404, 10005, "Resource not found");

        Interlocked.Increment(ref _requests);
        JsonObject? request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return Error(400, 10015, "Bad Request");
        }
        var to = (string?)request?["to"];
        var from = (string?)request?["from"];
        var text = (string?)request?["text"];
        if (string.IsNullOrEmpty(to) || string.IsNullOrEmpty(from) || string.IsNullOrEmpty(text))
            return Error(422, 10004, "Missing required parameter");
        var message = new SentText(Guid.NewGuid().ToString(), to, from, (string?)request?["messaging_profile_id"], text, (string?)request?["webhook_url"], Clock());

        if (_script.TryDequeue(out var scripted))
        {
            // Counted before it is recorded, so a test that sees the text recorded also sees it in flight.
            if (scripted.Until is not null) Interlocked.Increment(ref _inFlight);
            try
            {
                if (scripted.Record) _sent.Enqueue(message);
                if (scripted.Until is { } until) await until.WaitAsync(ct);
            }
            finally
            {
                if (scripted.Until is not null) Interlocked.Decrement(ref _inFlight);
            }
            if (scripted.HttpStatus is >= 200 and < 300) return (200, Data(Message(message, "queued")));
            return Error(scripted.HttpStatus, scripted.Code, $"Scripted error {scripted.Code}");
        }
        if (_blocked.ContainsKey(to))
            return Error(400, 40300, "Blocked due to STOP message", $"Messages cannot be sent from '{from}' to '{to}' due to an existing block rule.");
        _sent.Enqueue(message);
        return (200, Data(Message(message, "queued")));
    }

    /// <summary>The connection-scoped create: From and To required (case-sensitive names); Texml inline, or Url, or the application's own URL.</summary>
    private (int, string) PlaceCall(string connectionId, string body)
    {
        if (connectionId != TexmlApplicationId) return Error(404, 10005, "Resource not found", $"No TeXML application with id {connectionId}");
        JsonObject? request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return Error(400, 10015, "Bad Request");
        }
        var to = (string?)request?["To"];
        var from = (string?)request?["From"];
        if (string.IsNullOrEmpty(to) || string.IsNullOrEmpty(from)) return Error(422, 10004, "Missing required parameter", "From and To are required");
        var placed = new PlacedCall(TestApp.NewTelnyxCallSid(), to, from, (string?)request?["Texml"], (string?)request?["Url"], Clock());
        _calls.Enqueue(placed);
        return (200, new JsonObject { ["call_sid"] = placed.Sid, ["from"] = from, ["status"] = "queued", ["to"] = to }.ToJsonString());
    }

    // ---- The TeXML application and the messaging profile (what the operator set up in the portal) ----

    private readonly ConcurrentDictionary<string, JsonObject> _settings = new();

    /// <summary>The PATCHes made to TeXML applications and messaging profiles: (path, JSON body).</summary>
    public ConcurrentQueue<(string Path, string Json)> SettingUpdates { get; } = new();

    /// <summary>A resource's current fields as Telnyx would answer them (the operator's portal settings before Recoverly touched them).</summary>
    public JsonObject Setting(string path) => _settings.GetOrAdd(path, p => p.StartsWith("/v2/texml_applications/", StringComparison.Ordinal)
        ? new JsonObject { ["id"] = p.Split('/')[3], ["record_type"] = "texml_application", ["friendly_name"] = "Recoverly voice", ["voice_url"] = "https://recoverly.example.com/telnyx/voice" }
        : new JsonObject { ["id"] = p.Split('/')[3], ["record_type"] = "messaging_profile", ["name"] = "Recoverly", ["webhook_url"] = "https://recoverly.example.com/telnyx/messaging" });

    private (int, string) Settings(string method, string path, string body)
    {
        var current = Setting(path);
        if (method == "GET") return (200, Data((JsonObject)current.DeepClone()));
        if (method != "PATCH" || JsonNode.Parse(body) is not JsonObject changes) return Error(404, 10005, "Resource not found");
        if (path.StartsWith("/v2/texml_applications/", StringComparison.Ordinal) && (changes["friendly_name"] is null || changes["voice_url"] is null))
            return Error(422, 10004, "Missing required parameter", "friendly_name and voice_url are required");
        SettingUpdates.Enqueue((path, body));
        foreach (var (k, v) in changes) current[k] = v?.DeepClone();
        return (200, Data((JsonObject)current.DeepClone()));
    }

    // ---- Call recordings (API v2) and the storage their download links point at ----

    public const string MediaHost = "telnyx-recordings.test";
    private readonly ConcurrentDictionary<string, List<string>> _recordings = new();
    private readonly ConcurrentQueue<string> _recordingRequests = new();
    private readonly ConcurrentQueue<(string Url, string? Authorization)> _mediaFetches = new();
    private int _recordingFailures;

    /// <summary>The scheme of the download links Telnyx hands out (a test may make it "http").</summary>
    public string MediaScheme { get; set; } = "https";

    /// <summary>"GET recordings/{id}", "DELETE recording_transcriptions/{id}", … in the order they arrived (failed ones included).</summary>
    public IReadOnlyList<string> RecordingRequests => _recordingRequests.ToArray();

    /// <summary>Requests made to the storage host, with the Authorization header they carried.</summary>
    public IReadOnlyList<(string Url, string? Authorization)> MediaFetches => _mediaFetches.ToArray();

    public bool HasRecording(string id) => _recordings.ContainsKey(id);

    public bool HasTranscription(string id) => _recordings.Values.Any(t => t.Contains(id));

    /// <summary>A recording the account holds, with one transcription; returns the recording id.</summary>
    public string AddRecording() => AddRecording(out _);

    public string AddRecording(out string transcriptionId)
    {
        var id = Guid.NewGuid().ToString();
        transcriptionId = Guid.NewGuid().ToString();
        _recordings[id] = [transcriptionId];
        return id;
    }

    /// <summary>The next <paramref name="count"/> recording requests answer 503, as an outage.</summary>
    public void FailRecordingRequests(int count) => Volatile.Write(ref _recordingFailures, count);

    private (int, string) Recordings(string method, string path, IReadOnlyDictionary<string, string> query)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // v2, recordings|recording_transcriptions, id?
        _recordingRequests.Enqueue($"{method} {string.Join('/', parts.Skip(1))}");
        if (Interlocked.Decrement(ref _recordingFailures) >= 0) return Error(503, 10007, "Service unavailable");
        switch (method, parts)
        {
            case ("GET", [_, "recordings", var id]):
                if (!_recordings.ContainsKey(id)) return Error(404, 10005, "Resource not found");
                var link = $"{MediaScheme}://{MediaHost}/{id}.mp3?X-Amz-Expires=600&X-Amz-Signature=0f1e";
                return (200, Data(new JsonObject
                {
                    ["record_type"] = "recording", ["id"] = id, ["channels"] = "single", ["source"] = "call", ["status"] = "completed",
                    ["duration_millis"] = 14000, ["download_urls"] = new JsonObject { ["mp3"] = link },
                }));
            case ("GET", [_, "recording_transcriptions"]):
                var of = query.GetValueOrDefault("filter[recording_id]");
                var items = _recordings.Where(r => r.Key == of).SelectMany(r => r.Value.ToArray().Select(t => (JsonNode)new JsonObject
                {
                    ["record_type"] = "recording_transcription", ["id"] = t, ["recording_id"] = r.Key, ["status"] = "completed",
                })).ToArray();
                return (200, new JsonObject { ["data"] = new JsonArray(items), ["meta"] = new JsonObject { ["total_results"] = items.Length } }.ToJsonString());
            case ("DELETE", [_, "recording_transcriptions", var tid]):
                var owner = _recordings.FirstOrDefault(r => r.Value.Contains(tid));
                if (owner.Key is null) return Error(404, 10005, "Resource not found");
                lock (owner.Value) owner.Value.Remove(tid);
                return (200, Data(new JsonObject { ["record_type"] = "recording_transcription", ["id"] = tid }));
            case ("DELETE", [_, "recordings", var rid]):
                return _recordings.TryRemove(rid, out _)
                    ? (200, Data(new JsonObject { ["record_type"] = "recording", ["id"] = rid }))
                    : Error(404, 10005, "Resource not found");
            default:
                return Error(404, 10005, "Resource not found");
        }
    }

    /// <summary>The storage host behind the download links: serves the silent MP3 for a recording that exists.</summary>
    public HttpMessageHandler MediaHandler() => new Media(this);

    private sealed class Media(FakeTelnyxApi api) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var uri = request.RequestUri!;
            api._mediaFetches.Enqueue((uri.ToString(), request.Headers.Authorization?.ToString()));
            var id = uri.AbsolutePath.Trim('/').Replace(".mp3", "", StringComparison.Ordinal);
            if (uri.Host != MediaHost || !api._recordings.ContainsKey(id)) return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden));
            var content = new ByteArrayContent(Recoverly.Telephony.RecordingMedia.SilentMp3());
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("audio/mpeg");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }

    private (int, string) Search(IReadOnlyDictionary<string, string> query)
    {
        if (query.GetValueOrDefault("filter[record_type]") != "messaging") return Error(400, 10015, "filter[record_type] is required");
        var cld = query.GetValueOrDefault("filter[cld]");
        var cli = query.GetValueOrDefault("filter[cli]");
        DateTime? since = query.TryGetValue("filter[created_at][gte]", out var gte)
            ? DateTime.Parse(gte, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            : null;
        var records = _sent.Where(s => (cld is null || s.To == cld) && (cli is null || s.From == cli) && (since is null || s.At >= since))
            .OrderByDescending(s => s.At)
            .Select(s => (JsonNode)new JsonObject
            {
                ["record_type"] = "message_detail_record", ["uuid"] = s.Sid, ["direction"] = "outbound", ["cld"] = s.To, ["cli"] = s.From,
                ["created_at"] = Iso(s.At), ["message_type"] = "SMS", ["status"] = "delivered", ["profile_id"] = s.MessagingServiceSid,
            })
            .ToArray();
        return (200, new JsonObject
        {
            ["data"] = new JsonArray(records),
            ["meta"] = new JsonObject { ["page_number"] = 1, ["page_size"] = 20, ["total_pages"] = 1, ["total_results"] = records.Length },
        }.ToJsonString());
    }

    private (int, string) Numbers(IReadOnlyDictionary<string, string> query)
    {
        var only = query.GetValueOrDefault("filter[phone_number]");
        if (only is null) Interlocked.Increment(ref _listings);
        var numbers = _numbers.Where(n => only is null || n.Value == only)
            .Select(n => (JsonNode)new JsonObject { ["id"] = n.Key, ["record_type"] = "phone_number", ["phone_number"] = n.Value, ["status"] = "active" })
            .ToArray();
        return (200, new JsonObject { ["data"] = new JsonArray(numbers) }.ToJsonString());
    }

    private static string Iso(DateTime at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Data(JsonObject data) => new JsonObject { ["data"] = data }.ToJsonString();

    private static JsonObject Message(SentText s, string status) => new()
    {
        ["record_type"] = "message", ["direction"] = "outbound", ["id"] = s.Sid, ["type"] = "SMS", ["messaging_profile_id"] = s.MessagingServiceSid,
        ["from"] = new JsonObject { ["phone_number"] = s.From, ["carrier"] = "TELNYX LLC", ["line_type"] = "VoIP" },
        ["to"] = new JsonArray(new JsonObject { ["phone_number"] = s.To, ["status"] = status, ["carrier"] = "T-MOBILE USA, INC.", ["line_type"] = "Wireless" }),
        ["text"] = s.Body, ["webhook_url"] = s.StatusCallback, ["encoding"] = "GSM-7", ["parts"] = 1, ["received_at"] = Iso(s.At),
        ["sent_at"] = null, ["completed_at"] = null, ["valid_until"] = Iso(s.At.AddHours(1)), ["errors"] = new JsonArray(),
    };

    private static (int, string) Error(int status, int code, string title, string? detail = null) => (status, new JsonObject
    {
        ["errors"] = new JsonArray(new JsonObject
        {
            ["code"] = code.ToString(CultureInfo.InvariantCulture), ["title"] = title, ["detail"] = detail ?? title,
            ["meta"] = new JsonObject { ["url"] = $"https://developers.telnyx.com/api/errors/{code}" },
        }),
    }.ToJsonString());

    /// <summary>The in-process transport: plugs in as the "telnyx" HttpClient's primary handler.</summary>
    public HttpMessageHandler Handler() => new InProcess(this);

    private sealed class InProcess(FakeTelnyxApi api) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(ct);
            var query = new Dictionary<string, string>();
            foreach (var pair in request.RequestUri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                query[WebUtility.UrlDecode(kv[0])] = kv.Length > 1 ? WebUtility.UrlDecode(kv[1]) : "";
            }
            var (status, json) = await api.HandleAsync(request.Method.Method, request.RequestUri.AbsolutePath, query, body,
                request.Headers.Authorization?.ToString(), ct);
            return new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
    }
}
