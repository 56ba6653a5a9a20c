using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Recoverly.Bench;

/// <summary>What reached the provider, per caller: first arrival time and how many texts.</summary>
public sealed class TextLedger(int measuredCalls, int warmupCalls, int businesses)
{
    private readonly long[] _firstArrival = new long[measuredCalls];
    private readonly int[] _count = new int[measuredCalls];
    private readonly int[] _warmupCount = new int[Math.Max(1, warmupCalls)];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> _requestsBySender = new(StringComparer.Ordinal);
    private long _unknownRecipient, _wrongSender;

    public long UnknownRecipient => Interlocked.Read(ref _unknownRecipient);
    public long WrongSender => Interlocked.Read(ref _wrongSender);

    public void Record(string? to, string? from, long arrivedAt)
    {
        if (Numbering.CallerIndex(to) is var i and >= 0 && i < _count.Length)
        {
            if (from != Numbering.RecoverlyNumber(i % businesses)) Interlocked.Increment(ref _wrongSender);
            if (Interlocked.Increment(ref _count[i]) == 1) Volatile.Write(ref _firstArrival[i], arrivedAt);
        }
        else if (Numbering.WarmupIndex(to) is var w and >= 0 && w < warmupCalls)
        {
            if (from != Numbering.RecoverlyNumber(w % businesses)) Interlocked.Increment(ref _wrongSender);
            Interlocked.Increment(ref _warmupCount[w]);
        }
        else
        {
            Interlocked.Increment(ref _unknownRecipient);
        }
    }

    /// <summary>When a send request from <paramref name="from"/> reached the provider (pacing is judged on arrivals).</summary>
    public void Arrived(string from, long at) => _requestsBySender.GetOrAdd(from, _ => new ConcurrentQueue<long>()).Enqueue(at);

    /// <summary>
    /// Pacing check: pairs of consecutive requests from one number closer than <paramref name="interval"/>
    /// less <paramref name="tolerance"/>, and the closest pair seen, over every sending number.
    /// </summary>
    public (int Senders, int TooClose, double MinGapMs) Pacing(TimeSpan interval, TimeSpan tolerance)
    {
        var limit = (interval - tolerance).TotalSeconds * Stopwatch.Frequency;
        var tooClose = 0;
        var minGap = double.PositiveInfinity;
        foreach (var arrivals in _requestsBySender.Values)
        {
            var sorted = arrivals.ToArray();
            Array.Sort(sorted);
            for (var i = 1; i < sorted.Length; i++)
            {
                var gap = sorted[i] - sorted[i - 1];
                if (gap < limit) tooClose++;
                minGap = Math.Min(minGap, gap * 1000.0 / Stopwatch.Frequency);
            }
        }
        return (_requestsBySender.Count, tooClose, minGap);
    }

    public int Count(int call) => Volatile.Read(ref _count[call]);
    public long FirstArrival(int call) => Volatile.Read(ref _firstArrival[call]);
    public int WarmupCount(int call) => Volatile.Read(ref _warmupCount[call]);
}

/// <summary>
/// A Twilio-compatible Messages endpoint on 127.0.0.1 (Twilio's Messages resource, as documented): checks Basic auth,
/// records when each text arrives, answers 201 with Twilio's JSON, and lists messages for the
/// app's in-doubt reconciliation. It posts no status callbacks, so only the missed-call path is measured.
/// </summary>
public sealed class TwilioSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _accountSid;
    private readonly string _expectedAuthorization;
    private readonly TextLedger _ledger;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SinkMessage>> _byRecipient = new(StringComparer.Ordinal);
    private long _created, _listed, _authFailures, _badRequests;

    private sealed record SinkMessage(string Sid, string To, string From, string Body, DateTime CreatedAt);

    private readonly TimeSpan _latency;

    private TwilioSink(WebApplication app, string accountSid, string authToken, TextLedger ledger, TimeSpan latency)
    {
        _latency = latency;
        _app = app;
        _accountSid = accountSid;
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        _ledger = ledger;
    }

    public const string ClientWarmupPath = "/bench/client-warmup";

    public string BaseUrl { get; private set; } = "";
    public long Created => Interlocked.Read(ref _created);
    public long Listed => Interlocked.Read(ref _listed);
    public long AuthFailures => Interlocked.Read(ref _authFailures);
    public long BadRequests => Interlocked.Read(ref _badRequests);

    /// <param name="latency">How long each send takes to be answered, like a real API's round trip; the text counts as arrived when answered.</param>
    public static async Task<TwilioSink> StartAsync(string accountSid, string authToken, TextLedger ledger, TimeSpan latency = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var sink = new TwilioSink(app, accountSid, authToken, ledger, latency);
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", sink.CreateAsync);
        app.MapGet("/2010-04-01/Accounts/{accountSid}/Messages.json", sink.ListAsync);
        // The bench client's own warm-up target: answers a webhook-shaped POST the way the app does, touching nothing.
        app.MapPost(ClientWarmupPath, sink.WarmupAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.BaseUrl = address.Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        return sink;
    }

    private bool Authorized(HttpContext http, string accountSid) =>
        accountSid == _accountSid && http.Request.Headers.Authorization.ToString() == _expectedAuthorization;

    private async Task CreateAsync(HttpContext http, string accountSid)
    {
        var arrived = Stopwatch.GetTimestamp();
        if (!Authorized(http, accountSid))
        {
            Interlocked.Increment(ref _authFailures);
            await ErrorAsync(http, 401, 20003, "Authenticate");
            return;
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string to = form["To"].ToString(), from = form["From"].ToString(), body = form["Body"].ToString();
        if (to.Length == 0 || from.Length == 0 || body.Length == 0)
        {
            Interlocked.Increment(ref _badRequests);
            await ErrorAsync(http, 400, 21604, "A 'To', 'From' and 'Body' are required.");
            return;
        }
        _ledger.Arrived(from, arrived);
        if (_latency > TimeSpan.Zero)
        {
            await Task.Delay(_latency, http.RequestAborted);
            arrived = Stopwatch.GetTimestamp();
        }
        _ledger.Record(to, from, arrived);
        Interlocked.Increment(ref _created);
        var message = new SinkMessage("SM" + Guid.NewGuid().ToString("N"), to, from, body, DateTime.UtcNow);
        _byRecipient.GetOrAdd(to, _ => new ConcurrentQueue<SinkMessage>()).Enqueue(message);
        await WriteJsonAsync(http, 201, w => WriteResource(w, message));
    }

    /// <summary>The client warm-up's target: reads a form and answers with a message resource like a send, recording nothing.</summary>
    private async Task WarmupAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var message = new SinkMessage("SM" + Guid.NewGuid().ToString("N"), form["To"].ToString(), form["From"].ToString(), "warm-up", DateTime.UtcNow);
        await WriteJsonAsync(http, 201, w => WriteResource(w, message));
    }

    private async Task ListAsync(HttpContext http, string accountSid)
    {
        Interlocked.Increment(ref _listed);
        if (!Authorized(http, accountSid))
        {
            Interlocked.Increment(ref _authFailures);
            await ErrorAsync(http, 401, 20003, "Authenticate");
            return;
        }
        var to = http.Request.Query["To"].ToString();
        var from = http.Request.Query["From"].ToString();
        var found = _byRecipient.TryGetValue(to, out var queue)
            ? queue.Where(m => from.Length == 0 || m.From == from).Reverse().Take(50).ToList()
            : [];
        var uri = $"/2010-04-01/Accounts/{_accountSid}/Messages.json";
        await WriteJsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("messages");
            foreach (var m in found) WriteResource(w, m);
            w.WriteEndArray();
            w.WriteNumber("end", Math.Max(0, found.Count - 1));
            w.WriteString("first_page_uri", uri + "?PageSize=50&Page=0");
            w.WriteNull("next_page_uri");
            w.WriteNumber("page", 0);
            w.WriteNumber("page_size", 50);
            w.WriteNull("previous_page_uri");
            w.WriteNumber("start", 0);
            w.WriteString("uri", uri);
            w.WriteEndObject();
        });
    }

    private void WriteResource(Utf8JsonWriter w, SinkMessage m)
    {
        var created = m.CreatedAt.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        w.WriteStartObject();
        w.WriteString("account_sid", _accountSid);
        w.WriteString("api_version", "2010-04-01");
        w.WriteString("body", m.Body);
        w.WriteString("date_created", created);
        w.WriteNull("date_sent");
        w.WriteString("date_updated", created);
        w.WriteString("direction", "outbound-api");
        w.WriteNull("error_code");
        w.WriteNull("error_message");
        w.WriteString("from", m.From);
        w.WriteNull("messaging_service_sid");
        w.WriteString("num_media", "0");
        w.WriteString("num_segments", "1");
        w.WriteNull("price");
        w.WriteString("price_unit", "USD");
        w.WriteString("sid", m.Sid);
        w.WriteString("status", "queued");
        w.WriteStartObject("subresource_uris");
        w.WriteString("media", $"/2010-04-01/Accounts/{_accountSid}/Messages/{m.Sid}/Media.json");
        w.WriteEndObject();
        w.WriteString("to", m.To);
        w.WriteString("uri", $"/2010-04-01/Accounts/{_accountSid}/Messages/{m.Sid}.json");
        w.WriteEndObject();
    }

    private static Task ErrorAsync(HttpContext http, int status, int code, string message) =>
        WriteJsonAsync(http, status, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("code", code);
            w.WriteString("message", message);
            w.WriteString("more_info", $"https://www.twilio.com/docs/errors/{code}");
            w.WriteNumber("status", status);
            w.WriteEndObject();
        });

    private static async Task WriteJsonAsync(HttpContext http, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
