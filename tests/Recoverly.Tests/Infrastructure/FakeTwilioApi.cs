using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Recoverly.Tests.Infrastructure;

public sealed record SentText(string Sid, string To, string? From, string? MessagingServiceSid, string Body, string? StatusCallback, DateTime At,
    int? ValidityPeriod = null);

/// <summary>A call placed through the Calls API: who was called, from which number, and the inline TwiML it was to play.</summary>
public sealed record PlacedCall(string Sid, string To, string? From, string? Twiml, string? Url, DateTime At)
{
    /// <summary>The 6-digit code the call says ("Your code is 1, 2, 3, 4, 5, 6."), or null.</summary>
    public string? Code => System.Text.RegularExpressions.Regex.Match(Twiml ?? "", @"code is ([\d, ]+)") is { Success: true } m
        ? new string(m.Groups[1].Value.Where(char.IsAsciiDigit).ToArray())
        : null;
}

/// <summary>
/// A scripted answer to one send: an HTTP status and a Twilio error code. With <see cref="Until"/>, the answer is
/// held until that task completes (or the caller gives up): the test decides when, not a timer.
/// </summary>
public sealed record Scripted(int HttpStatus, int Code, bool Record = false, Task? Until = null)
{
    /// <summary>An answer that never comes: the request stays in flight until the app gives up on it or dies.</summary>
    public static Task Never => new TaskCompletionSource().Task;
}

/// <summary>
/// A Twilio REST double speaking the real wire format (Messages.json create and list, Basic auth,
/// Twilio's error JSON). Used in-process as an HttpMessageHandler and over real HTTP as a sink.
/// </summary>
public sealed class FakeTwilioApi(string accountSid, string authToken) : IFakeSmsApi
{
    private readonly ConcurrentQueue<SentText> _sent = new();
    private readonly ConcurrentQueue<Scripted> _script = new();
    private readonly ConcurrentQueue<SentText> _autoReplies = new();
    private readonly ConcurrentDictionary<string, bool> _blocked = new();
    private int _requests;
    private int _inFlight;

    public const string DefaultStopReply = "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.";
    public const string DefaultStartReply = "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe.";
    public const string DefaultHelpReply = "Reply STOP to unsubscribe. Msg&Data Rates May Apply.";

    /// <summary>Replies Twilio's default keyword handling sent (not through the API, so not in <see cref="Sent"/>).</summary>
    public IReadOnlyList<SentText> AutoRepliesTo(string to) => _autoReplies.Where(s => s.To == to).ToList();

    /// <summary>
    /// A text reaching an account with Twilio's default keyword handling on, before the webhook: the exact default
    /// keywords (whole message, any case) are answered here, STOP blocks later sends (21610), START/YES/UNSTOP lift it.
    /// </summary>
    public void Receive(string from, string to, string body)
    {
        var answered = Recoverly.Telephony.ProviderKeywords.AnsweredByProvider(Recoverly.Telephony.ProviderKeywords.Twilio, body, null,
            Recoverly.Telephony.KeywordReplies.Provider);
        if (answered == Recoverly.Telephony.ProviderKeywords.Stop) _blocked[from] = true;
        if (answered == Recoverly.Telephony.ProviderKeywords.Start) _blocked.TryRemove(from, out _);
        var reply = answered switch
        {
            Recoverly.Telephony.ProviderKeywords.Stop => DefaultStopReply,
            Recoverly.Telephony.ProviderKeywords.Start => DefaultStartReply,
            Recoverly.Telephony.ProviderKeywords.Help => DefaultHelpReply,
            _ => null,
        };
        if (reply is not null) _autoReplies.Enqueue(new SentText("SM" + Guid.NewGuid().ToString("N"), from, to, null, reply, null, Clock()));
    }

    public IReadOnlyList<SentText> Sent => _sent.ToArray();

    private readonly ConcurrentQueue<PlacedCall> _calls = new();

    /// <summary>Calls placed through <c>Calls.json</c>, oldest first.</summary>
    public IReadOnlyList<PlacedCall> Calls => _calls.ToArray();

    /// <summary>The code the latest call to <paramref name="to"/> said.</summary>
    public string CodeSaidTo(string to) =>
        _calls.LastOrDefault(c => c.To == to)?.Code ?? throw new InvalidOperationException($"no verification call to {to}");

    /// <summary>The provider's clock (date_created); TestApp points it at the app's fake time.</summary>
    public Func<DateTime> Clock { get; set; } = () => DateTime.UtcNow;
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Send requests received and held (<see cref="Scripted.Until"/>), not answered yet.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);
    public IReadOnlyList<SentText> SentTo(string to) => _sent.Where(s => s.To == to).ToList();

    /// <summary>The next send requests get these answers, in order; then normal acceptance resumes.</summary>
    public void Script(params Scripted[] answers)
    {
        foreach (var a in answers) _script.Enqueue(a);
    }

    public async Task<(int Status, string Json)> HandleAsync(string method, string path, IReadOnlyDictionary<string, string> query,
        IReadOnlyDictionary<string, string> form, string? authorization, CancellationToken ct)
    {
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        if (authorization != expectedAuth) return Error(401, 20003, "Authenticate");
        if (method == "POST" && path.EndsWith($"/2010-04-01/Accounts/{accountSid}/Calls.json", StringComparison.Ordinal))
        {
            // Twilio's rules for a call create: To and From numbers, and exactly one of Url, Twiml or ApplicationSid.
            form.TryGetValue("To", out var callTo);
            form.TryGetValue("From", out var callFrom);
            form.TryGetValue("Twiml", out var twiml);
            form.TryGetValue("Url", out var url);
            if (string.IsNullOrEmpty(callTo)) return Error(400, 21201, "No 'To' number is specified");
            if (string.IsNullOrEmpty(callFrom)) return Error(400, 21213, "No 'From' number is specified");
            if (string.IsNullOrEmpty(twiml) == string.IsNullOrEmpty(url)) return Error(400, 21205, "Either Url or Twiml is required");
            var placed = new PlacedCall("CA" + Guid.NewGuid().ToString("N"), callTo, callFrom, twiml, url, Clock());
            _calls.Enqueue(placed);
            return (201, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["account_sid"] = accountSid, ["api_version"] = "2010-04-01", ["sid"] = placed.Sid, ["to"] = placed.To, ["from"] = placed.From,
                ["status"] = "queued", ["direction"] = "outbound-api", ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Calls/{placed.Sid}.json",
            }));
        }
        var prefix = $"/2010-04-01/Accounts/{accountSid}/Messages.json";
        if (!path.EndsWith(prefix, StringComparison.Ordinal)) return Error(404, 20404, "The requested resource was not found");

        if (method == "GET")
        {
            query.TryGetValue("To", out var to);
            query.TryGetValue("From", out var from);
            var list = _sent.Where(s => (to is null || s.To == to) && (from is null || s.From == from)).Reverse()
                .Select(s => Resource(s, "sent")).ToList();
            return (200, JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["messages"] = list, ["end"] = Math.Max(0, list.Count - 1), ["first_page_uri"] = prefix, ["next_page_uri"] = null,
                ["page"] = 0, ["page_size"] = 50, ["previous_page_uri"] = null, ["start"] = 0, ["uri"] = prefix,
            }));
        }

        Interlocked.Increment(ref _requests);
        form.TryGetValue("Body", out var body);
        form.TryGetValue("To", out var toNumber);
        if (string.IsNullOrEmpty(toNumber) || string.IsNullOrEmpty(body)) return Error(400, 21602, "Message body is required.");
        form.TryGetValue("From", out var fromNumber);
        form.TryGetValue("MessagingServiceSid", out var service);
        form.TryGetValue("StatusCallback", out var callback);
        int? validity = null;
        if (form.TryGetValue("ValidityPeriod", out var rawValidity))
        {
            // Twilio's own rule: whole seconds from 1 to 36000.
            if (!int.TryParse(rawValidity, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v is < 1 or > 36000)
                return Error(400, 21624, "Invalid validity period value");
            validity = v;
        }
        var text = new SentText("SM" + Guid.NewGuid().ToString("N"), toNumber, fromNumber, service, body, callback, Clock(), validity);
        if (_blocked.ContainsKey(toNumber)) return Error(400, 21610, "Attempt to send to unsubscribed recipient");

        if (_script.TryDequeue(out var scripted))
        {
            // Counted before it is recorded, so a test that sees the text recorded also sees it in flight.
            if (scripted.Until is not null) Interlocked.Increment(ref _inFlight);
            try
            {
                if (scripted.Record) _sent.Enqueue(text);
                if (scripted.Until is { } until) await until.WaitAsync(ct);
            }
            finally
            {
                if (scripted.Until is not null) Interlocked.Decrement(ref _inFlight);
            }
            if (scripted.HttpStatus is >= 200 and < 300) return (201, JsonSerializer.Serialize(Resource(text, "queued")));
            return Error(scripted.HttpStatus, scripted.Code, $"Scripted error {scripted.Code}");
        }
        _sent.Enqueue(text);
        return (201, JsonSerializer.Serialize(Resource(text, "queued")));
    }

    private static (int, string) Error(int status, int code, string message) =>
        (status, JsonSerializer.Serialize(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }));

    private Dictionary<string, object?> Resource(SentText s, string status) => new()
    {
        ["account_sid"] = accountSid, ["api_version"] = "2010-04-01", ["body"] = s.Body,
        ["date_created"] = s.At.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture), ["date_sent"] = null,
        ["date_updated"] = s.At.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture), ["direction"] = "outbound-api",
        ["error_code"] = null, ["error_message"] = null, ["from"] = s.From, ["messaging_service_sid"] = s.MessagingServiceSid,
        ["num_media"] = "0", ["num_segments"] = "1", ["price"] = null, ["price_unit"] = "USD", ["sid"] = s.Sid, ["status"] = status,
        ["to"] = s.To, ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Messages/{s.Sid}.json",
    };

    /// <summary>Recording media fetches, by their path.</summary>
    public IReadOnlyList<string> RecordingFetches => _recordingFetches.ToArray();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _recordingFetches = new();

    /// <summary>GET …/Recordings/RE….mp3 as Twilio answers it (Basic auth required): a small MP3. Null for any other path.</summary>
    private HttpResponseMessage? Recording(string path, string? authorization)
    {
        if (!path.StartsWith($"/2010-04-01/Accounts/{accountSid}/Recordings/RE", StringComparison.Ordinal)) return null;
        _recordingFetches.Enqueue(path);
        var expectedAuth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        if (authorization != expectedAuth) return new HttpResponseMessage(HttpStatusCode.Unauthorized);
        var content = new ByteArrayContent(Recoverly.Telephony.RecordingMedia.SilentMp3());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("audio/mpeg");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    /// <summary>The in-process transport: plugs in as the "twilio" HttpClient's primary handler.</summary>
    public HttpMessageHandler Handler() => new InProcess(this);

    private sealed class InProcess(FakeTwilioApi api) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var form = new Dictionary<string, string>();
            if (request.Content is not null)
                foreach (var pair in (await request.Content.ReadAsStringAsync(ct)).Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    var kv = pair.Split('=', 2);
                    form[WebUtility.UrlDecode(kv[0])] = kv.Length > 1 ? WebUtility.UrlDecode(kv[1]) : "";
                }
            var query = new Dictionary<string, string>();
            foreach (var pair in request.RequestUri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                query[WebUtility.UrlDecode(kv[0])] = kv.Length > 1 ? WebUtility.UrlDecode(kv[1]) : "";
            }
            if (api.Recording(request.RequestUri.AbsolutePath, request.Headers.Authorization?.ToString()) is { } media) return media;
            var (status, json) = await api.HandleAsync(request.Method.Method, request.RequestUri.AbsolutePath, query, form,
                request.Headers.Authorization?.ToString(), ct);
            return new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
    }
}
