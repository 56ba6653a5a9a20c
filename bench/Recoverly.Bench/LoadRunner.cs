using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace Recoverly.Bench;

/// <summary>Everything measured for one batch of webhooks, indexed by call; times are Stopwatch ticks.</summary>
public sealed class LoadPhase(CallWebhook[] calls, int replays)
{
    public CallWebhook[] Calls { get; } = calls;
    public int ReplaysPerCall { get; } = replays;
    public long[] Scheduled { get; } = new long[calls.Length];
    public long[] Sent { get; } = new long[calls.Length];
    public long[] Done { get; } = new long[calls.Length];
    /// <summary>HTTP status, or -1 when the request failed without one.</summary>
    public int[] Status { get; } = new int[calls.Length];
    public long[] ReplayLatency { get; } = new long[calls.Length * replays];
    public int[] ReplayStatus { get; } = new int[calls.Length * replays];
    public ConcurrentDictionary<string, int> Errors { get; } = new();
    /// <summary>2xx answers whose TwiML rejected the call (the number was not recognised).</summary>
    public int Rejected;
    /// <summary>Times a request had to wait for a free client slot (the client, not the app, was the limit).</summary>
    public int ClientQueued;

    public static bool IsSuccess(int status) => status is >= 200 and < 300;
}

/// <summary>
/// Open-loop load: call i is due at start + i/rate whatever happened to earlier calls, so a slow
/// app shows up as latency instead of silently lowering the offered rate. A dedicated thread keeps
/// the schedule; requests run on the thread pool with at most <c>concurrency</c> in flight.
/// </summary>
/// <param name="voiceUrls">Call i goes to <c>voiceUrls[i % n]</c>: several app instances share the load in turn.</param>
public sealed class LoadRunner(HttpClient http, IReadOnlyList<string> voiceUrls, int concurrency)
{
    private static readonly MediaTypeHeaderValue FormType = new("application/x-www-form-urlencoded");
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);

    public static HttpClient CreateClient(int concurrency) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = concurrency,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public async Task<LoadPhase> RunAsync(CallWebhook[] calls, double rate, int replays)
    {
        var phase = new LoadPhase(calls, replays);
        var tasks = new Task[calls.Length];
        var interval = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 50;
        var scheduler = new Thread(() =>
        {
            for (var next = 0; next < calls.Length;)
            {
                var now = Stopwatch.GetTimestamp();
                for (; next < calls.Length && start + (long)(next * interval) <= now; next++)
                {
                    var i = next;
                    phase.Scheduled[i] = start + (long)(i * interval);
                    tasks[i] = Task.Run(() => CallAsync(phase, i));
                }
                if (next < calls.Length) Thread.Sleep(1); // ~1 ms granularity; a spin would steal a core from the app
            }
        })
        { IsBackground = true, Name = "bench-scheduler", Priority = ThreadPriority.AboveNormal };
        scheduler.Start();
        await Task.Run(scheduler.Join);
        await Task.WhenAll(tasks);
        return phase;
    }

    private async Task CallAsync(LoadPhase phase, int i)
    {
        var call = phase.Calls[i];
        // The first replay races the original (two deliveries in flight at once); later ones follow
        // its answer, as Twilio's retries do.
        var race = phase.ReplaysPerCall > 0 ? ReplayAsync(phase, i, 0) : Task.CompletedTask;
        var (status, sent, done) = await SendAsync(phase, call);
        phase.Sent[i] = sent;
        phase.Done[i] = done;
        phase.Status[i] = status;
        for (var r = 1; r < phase.ReplaysPerCall; r++) await ReplayAsync(phase, i, r);
        await race;
    }

    private async Task ReplayAsync(LoadPhase phase, int i, int r)
    {
        // With several instances a replay goes to another one than the original: the race crosses processes.
        var (status, sent, done) = await SendAsync(phase, phase.Calls[i], r + 1);
        phase.ReplayStatus[i * phase.ReplaysPerCall + r] = status;
        phase.ReplayLatency[i * phase.ReplaysPerCall + r] = done - sent;
    }

    private async Task<(int Status, long Sent, long Done)> SendAsync(LoadPhase phase, CallWebhook call, int instanceOffset = 0)
    {
        if (!_slots.Wait(0))
        {
            Interlocked.Increment(ref phase.ClientQueued);
            await _slots.WaitAsync();
        }
        var sent = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, voiceUrls[(call.Index + instanceOffset) % voiceUrls.Count])
            {
                Content = new ByteArrayContent(call.Body) { Headers = { ContentType = FormType } },
            };
            request.Headers.TryAddWithoutValidation("X-Twilio-Signature", call.Signature);
            sent = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var done = Stopwatch.GetTimestamp();
            var status = (int)response.StatusCode;
            if (LoadPhase.IsSuccess(status) && (await response.Content.ReadAsStringAsync()).Contains("<Reject", StringComparison.Ordinal))
                Interlocked.Increment(ref phase.Rejected);
            return (status, sent, done);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            phase.Errors.AddOrUpdate(e.GetType().Name + ": " + e.Message, 1, (_, n) => n + 1);
            return (-1, sent, Stopwatch.GetTimestamp());
        }
        finally
        {
            _slots.Release();
        }
    }
}
