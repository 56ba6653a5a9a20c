using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Texts;
using Recoverly.Telephony;
using Recoverly.Telephony.Simulator;

namespace Recoverly.Hosting;

/// <summary>
/// Runs the missed-call webhook's path and the dispatcher's once the server listens, before the process says it is ready, so
/// the first real burst after a start (a deploy, a crash restart) does not pay for query compilation and JIT on the caller's
/// time; `/healthz` answers 200 only after this (<see cref="Readiness"/>; docs/deploy.md, "Start-up and readiness").
/// <list type="number">
/// <item>Every connection of the pool (on SQLite, <see cref="SqliteConnections"/>) is opened and primed: the lookup runs often
/// enough to be prepared on it, and the write is planned (EXPLAIN), so no connection meets its first real call cold.</item>
/// <item>On a web process, missed calls to a fictional business are rehearsed through the server's own socket and the whole
/// pipeline (<see cref="RehearsalDoor"/>), the real webhook endpoint, its filters and the real write; on a dispatcher, texts
/// from that business are sent through the real dispatcher, to the provider's client, which sends them to a stand-in of the
/// provider on loopback (<see cref="RehearsalProvider"/>). All inside one transaction that is rolled back; often enough that
/// the runtime promotes both paths to fully optimised code, which it then waits for.</item>
/// </list>
/// Nothing stays written and nothing is sent: the numbers are fictional (555-01xx), no request leaves the machine (nor carries
/// the provider's credentials) and the rehearsal's transaction never commits.
/// </summary>
public static class HotPathWarmup
{
    /// <summary>555-01xx numbers are reserved for fiction: never a real Recoverly number.</summary>
    private const string FictionalNumber = "+12025550199";

    private const string FictionalCaller = "+12025550198";

    private const string FictionalBusinessLine = "+12025550197";

    /// <summary>The rehearsed texts' sending number: no Numbers row, so no registration check holds its texts back.</summary>
    private const string FictionalSender = "+12025550196";

    /// <summary>
    /// Rehearsed calls by default. The runtime promotes a method after 30 calls, but with profile-guided tiering ReadyToRun code
    /// goes through an instrumented version first, which needs calls of its own: after 60 rounds much of the server's code was
    /// still promoted in the first burst. 100 took the first burst's median p99 from 25 ms to 20 ms; 200 and 300 did no better
    /// and cost seconds more at start-up (docs/benchmarks.md).
    /// </summary>
    public const int DefaultRounds = 100;

    /// <summary>The fictional callers run out at 300 (+1 212, 312 and 415 555 0100–0199).</summary>
    public const int MaxRounds = 300;

    private const int TierUpCalls = 30;

    /// <summary>
    /// SQLite connections opened and primed (Microsoft.Data.Sqlite's pool has no size): a new connection sets its pragmas, reads
    /// the schema and prepares each statement afresh, which a burst's first requests otherwise pay for together. Eight covered
    /// the first burst at 100 calls/s (docs/benchmarks.md); more are opened as load needs them.
    /// </summary>
    public const int SqliteConnections = 8;

    /// <summary>Methods compiled in 100 ms that still count as an idle compiler (a rehearsal's promotions come by the dozen).</summary>
    private const int IdleJitMethods = 3;

    /// <summary>How long start-up waits, at most, for the optimising compiler to finish what the rehearsal queued.</summary>
    private static readonly TimeSpan JitSettleLimit = TimeSpan.FromSeconds(15);

    public static async Task RunAsync(WebApplication app, CancellationToken ct)
    {
        var services = app.Services;
        var log = app.Logger;
        var clock = Stopwatch.StartNew();
        var config = services.GetRequiredService<IConfiguration>();
        int connections;
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            // Every connection of the pool unless Recoverly:WarmUpConnections says fewer.
            var pool = db.Provider == DatabaseProvider.Postgres ? new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()).MaxPoolSize : SqliteConnections;
            connections = ConnectionsToPrime(config, pool);
            var urls = scope.ServiceProvider.GetRequiredService<PublicUrls>();
            var business = new Business { Name = "Warm-up", BusinessPhone = FictionalNumber };
            _ = WebhookEndpoints.Greeting(business, CallOutcome.Texted, urls).ToString();
            _ = new Twilio.Security.RequestValidator("warm-up").Validate(urls.For("/twilio/voice"),
                new Dictionary<string, string> { ["CallSid"] = "CA0", ["To"] = FictionalNumber }, "AAAA");
            // What GET /healthz asks once ready (a load balancer's first probe lands in the first burst): compiled now.
            var dispatches = services.GetRequiredService<IOptions<RecoverlyOptions>>().Value.HasRole("dispatcher");
            await HealthEndpoint.CheckAsync(db, services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, dispatches, ct);
        }
        // All at once, so each scope holds its own connection and the pool opens every one of them.
        var scopes = Enumerable.Range(0, connections).Select(_ => services.CreateAsyncScope()).ToList();
        try
        {
            await Task.WhenAll(scopes.Select(s => PrimeAsync(s.ServiceProvider, ct)));
        }
        finally
        {
            foreach (var s in scopes) await s.DisposeAsync();
        }
        var roles = services.GetRequiredService<IOptions<RecoverlyOptions>>().Value;
        if (roles.HasRole("web")) connections += await PrimeCallWriterAsync(services, ct);
        if (roles.HasRole("dispatcher")) connections += await PrimeDispatchPoolAsync(services, config, ct);
        var rounds = Math.Max(0, config.GetValue("Recoverly:WarmUpRounds", DefaultRounds));
        var (rehearsed, texted, through, sent) = await RehearseAsync(app, Math.Min(rounds, MaxRounds), roles.HasRole("web"), roles.HasRole("dispatcher"), log, ct);
        // Fewer calls than the promotion threshold queue nothing for the optimising compiler: nothing to wait for. Such a token
        // rehearsal (the tests') is not worth a full collection either.
        var full = Math.Max(rehearsed, sent) >= TierUpCalls;
        var settled = full ? await SettleJitAsync(ct) : TimeSpan.Zero;
        // Start-up leaves its garbage, the rehearsal's among it, in the oldest generation. Left alone, the first collection under
        // load would be a full, blocking one (40 ms on the benchmark machine, docs/benchmarks.md); it is done now instead, before
        // anyone waits on it.
        var collected = Stopwatch.StartNew();
        if (full) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        collected.Stop();
        log.LogInformation(
            "Hot paths warmed on {Connections} connection(s), {Rehearsed} rehearsed call(s) ({Texted} texted, all rolled back){Through}, {Sent} rehearsed send(s), JIT settled in {Settled} ms, {Heap}; {Milliseconds} ms in all",
            connections, rehearsed, texted, rehearsed == 0 ? "" : $" through {through}", sent, (long)settled.TotalMilliseconds,
            full ? $"heap collected in {collected.ElapsedMilliseconds} ms" : "heap left to the runtime", clock.ElapsedMilliseconds);
    }

    /// <summary>
    /// Inside one write transaction that is rolled back: on a web process, missed calls from fictional callers to a fictional
    /// business, each a signed <c>POST /twilio/voice</c> to this server's own socket, let in by the <see cref="RehearsalDoor"/>
    /// (HTTP parsing, routing, every middleware, the signature filter, form parsing, lookup, write, TwiML); where the server has
    /// no plain-HTTP socket (a test host), to the endpoint and its filters directly; on Telnyx, whose requests only Telnyx can
    /// sign, straight through the recorder. On a dispatcher, texts from that business sent through the real dispatcher
    /// (<see cref="RehearseSendsAsync"/>). Returns how many calls were rehearsed, how many of them queued a text-back (the full
    /// write), what they went through and how many texts the provider's client took; a failure costs only the warm-up.
    /// </summary>
    private static async Task<(int Rehearsed, int Texted, string Through, int Sent)> RehearseAsync(WebApplication app, int rounds, bool web,
        bool dispatcher, ILogger log, CancellationToken ct)
    {
        if (rounds == 0 || !(web || dispatcher)) return (0, 0, "", 0);
        await using var scope = app.Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<RecoverlyDb>();
        using var rehearsal = Rehearsal.Begin();
        var done = 0;
        var texted = 0;
        var sent = 0;
        var through = "";
        try
        {
            await using var tx = await db.BeginWriteAsync(ct);
            // The transaction holds the write gate around everything rehearsed; the statements inside must not queue for it
            // again (the next scope to take this pooled context gets the real gate back).
            db.WriteGate = WaitedWriteGate.Instance;
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            var business = Business.StartTrial("Warm-up", FictionalBusinessLine, FictionalNumber, "America/New_York", now);
            business.DailyTextBackCap = rounds;
            // A rehearsed text never asks the line-type lookup, which is a paid request to the provider.
            business.LineTypeLookupOff = true;
            db.Businesses.Add(business);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            if (web)
            {
                var voice = TwilioVoiceEndpoint(app, sp);
                if (voice is null)
                {
                    through = "the recorder";
                    var recorder = sp.GetRequiredService<MissedCallRecorder>();
                    var urls = sp.GetRequiredService<PublicUrls>();
                    for (; done < rounds; done++)
                    {
                        var recorded = await recorder.RecordAsync(RehearsalCall(done), ct) ?? throw new InvalidOperationException("the rehearsal business was not found");
                        _ = WebhookEndpoints.Greeting(recorded.Business, recorded.Call.Outcome, urls).ToString();
                    }
                }
                else
                {
                    var self = RehearsalDoor.LocalAddress(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
                    if (self is not null)
                    {
                        using var pass = sp.GetRequiredService<RehearsalDoor>().Open(sp);
                        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
                        {
                            BaseAddress = self,
                        };
                        var signed = SignedFor(self, sp.GetRequiredService<IOptions<RecoverlyOptions>>().Value.PublicBaseUrl);
                        try
                        {
                            for (; done < rounds; done++) await PostVoiceAsync(client, pass.Key, voice.Value.AuthToken, signed, RehearsalCall(done), ct);
                            through = "the server's socket";
                        }
                        catch (Exception e) when (done == 0 && e is HttpRequestException or NotThroughTheDoorException)
                        {
                            // Nothing of this process's answers there (a test host names an address it does not listen on): the
                            // calls go to the endpoint directly instead.
                        }
                    }
                    if (through == "")
                    {
                        through = "the endpoint";
                        for (; done < rounds; done++) await PostVoiceAsync(voice.Value.Endpoint, voice.Value.AuthToken, RehearsalCall(done), sp, ct);
                    }
                }
                texted = await db.OutboundMessages.CountAsync(m => m.BusinessId == business.Id && m.Kind == OutboundKind.TextBack, ct);
            }
            if (dispatcher) sent = await RehearseSendsAsync(sp, db, business.Id, rounds, ct);
            // Disposing the transaction uncommitted rolls every rehearsed row back.
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The sends' count is only known once they all ran, so a failure names the calls done and nothing more.
            log.LogWarning("Start-up rehearsal stopped after {Rounds} call(s), the first real calls and texts will be slower: {Error}", done, e.Message);
        }
        return (done, texted, through, sent);
    }

    /// <summary>
    /// Texts from the rehearsal's business, each claimed, paced and fenced, handed to the provider's client and its outcome
    /// written by a dispatcher of its own (the same code as the running one), one at a time in the rehearsal's transaction.
    /// That dispatcher's clock stands in the year 2000 and moves one pacing interval per text: its claims find only these rows,
    /// since every real row is due later, and a number's gate opens for each text in turn. Returns how many the provider's client
    /// took.
    /// </summary>
    private static async Task<int> RehearseSendsAsync(IServiceProvider sp, RecoverlyDb db, long businessId, int rounds, CancellationToken ct)
    {
        var clock = new RehearsalClock();
        var epoch = clock.GetUtcNow().UtcDateTime;
        for (var i = 0; i < rounds; i++)
            Outbox.Enqueue(db, new OutboxItem(businessId, OutboundKind.TextBack, RehearsalCaller(i), FictionalSender, "Warm-up")
            {
                ExpiresAt = epoch.AddDays(1),
            }, epoch);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        // Its warnings and errors are logged (a rehearsal that cannot send says why), not each rehearsed text.
        var dispatcher = ActivatorUtilities.CreateInstance<Dispatcher>(sp, new DispatchScopes(new OneContextScopes(sp, db), DispatchConnection.Shared), (TimeProvider)clock,
            new ProblemsOnly<Dispatcher>(sp.GetRequiredService<ILogger<Dispatcher>>()));
        var batch = sp.GetRequiredService<IOptions<DispatchOptions>>().Value.BatchSize;
        var step = await sp.GetRequiredService<SendPacer>().IntervalAsync(FictionalSender, ct) ?? TimeSpan.Zero;
        await using var standIn = await RehearsalProvider.StartAsync(ct);
        Rehearsal.SendTo(standIn.Address);
        for (var pass = 0; pass < rounds; pass++)
        {
            var (claimed, ready) = await dispatcher.ClaimReadyAsync(batch, ct);
            if (claimed == 0) break;
            // Every other text leaves a moment after its turn was taken, as under load, so its turn is confirmed again first.
            if (pass % 2 == 1) clock.Advance(SendPacer.Margin(step) + SendPacer.ConfirmSlack + TimeSpan.FromMilliseconds(1));
            foreach (var row in ready) await dispatcher.ProcessAsync(row, ct);
            clock.Advance(SendPacer.Span(step) + TimeSpan.FromMilliseconds(1));
        }
        var sent = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.BusinessId == businessId && m.From == FictionalSender && m.ProviderSid != null)
            .Select(m => new { m.Id, m.ProviderSid, m.Attempts, m.SentAt }).ToListAsync(ct);
        // Under load, outcomes finishing together are written as one group (SendFinisher). Written again here as a group, by a
        // worker that holds none of them, the statement runs in full and changes nothing.
        if (db.Provider == DatabaseProvider.Postgres && sent.Count > 1)
            await SendCompletion.ApplyManyAsync(db, new OutboxLeases("rehearsal"), [.. sent.Select(m => (m.Id,
                new AfterSend(OutboundStatus.Sent, m.Attempts, null, m.ProviderSid, "queued", null, OutboxReason.None, m.SentAt, m.SentAt)))],
                clock.GetUtcNow().UtcDateTime, ct);
        return sent.Count;
    }

    /// <summary>
    /// The rehearsal's write gate: its transaction already holds the real one, so every write goes through, but on another turn
    /// of the thread pool, as a write that had to wait for the gate does under load. On SQLite, whose statements finish without
    /// waiting, that wait is where a burst's callers first suspend: each async method above it then takes its waiting path, which
    /// the runtime compiles on first use (docs/deploy.md, "Start-up and readiness").
    /// </summary>
    private sealed class WaitedWriteGate : IWriteGate
    {
        public static readonly WaitedWriteGate Instance = new();

        public async ValueTask<IDisposable> EnterAsync(CancellationToken ct)
        {
            await Task.Yield();
            return await NoWriteGate.Instance.EnterAsync(ct);
        }
    }

    /// <summary>A logger that passes on warnings and errors only.</summary>
    private sealed class ProblemsOnly<T>(ILogger<T> inner) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    /// <summary>The rehearsed dispatcher's clock, moved by hand.</summary>
    private sealed class RehearsalClock : TimeProvider
    {
        private DateTimeOffset _now = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>Scopes that all hand out the rehearsal's one context, its connection and its transaction; any other service comes from the rehearsal's scope.</summary>
    private sealed class OneContextScopes(IServiceProvider services, RecoverlyDb db) : IServiceScopeFactory, IServiceScope, IServiceProvider
    {
        public IServiceScope CreateScope() => this;

        public IServiceProvider ServiceProvider => this;

        public object? GetService(Type serviceType) => serviceType == typeof(RecoverlyDb) ? db : services.GetService(serviceType);

        public void Dispose()
        {
        }
    }

    /// <summary>A different fictional caller for each rehearsed call (one missed call each, so every one is texted).</summary>
    private static string RehearsalCaller(int round) => $"+1{CallerAreaCodes[round / 100]}55501{round % 100:00}";

    /// <summary>The callers' area codes, apart from the business's (202), so no caller is one of the business's own numbers.</summary>
    private static readonly string[] CallerAreaCodes = ["212", "312", "415"];

    private static IncomingCall RehearsalCall(int round) => new($"CA{round:x32}", RehearsalCaller(round), FictionalNumber, null, null);

    /// <summary>The fields Twilio posts for a call ringing in.</summary>
    private static Dictionary<string, string> VoiceFields(IncomingCall call) => new()
    {
        ["CallSid"] = call.CallSid, ["From"] = call.From, ["To"] = call.To, ["Direction"] = "inbound", ["CallStatus"] = "ringing",
    };

    private static (Endpoint Endpoint, string AuthToken)? TwilioVoiceEndpoint(WebApplication app, IServiceProvider sp)
    {
        if (sp.GetRequiredService<IOptions<TelephonyOptions>>().Value.IsTelnyx) return null;
        var token = sp.GetRequiredService<IOptions<TwilioOptions>>().Value.AuthToken;
        if (string.IsNullOrEmpty(token)) return null;
        var endpoint = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().FirstOrDefault(e =>
            e.RoutePattern.RawText == "/twilio/voice" && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("POST") == true);
        return endpoint is null ? null : (endpoint, token);
    }

    /// <summary>Runs the endpoint (with its filters) on a request signed the way Twilio signs, in the rehearsal's scope.</summary>
    private static async Task PostVoiceAsync(Endpoint endpoint, string authToken, IncomingCall call, IServiceProvider sp, CancellationToken ct)
    {
        var fields = VoiceFields(call);
        var http = new DefaultHttpContext { RequestServices = sp, RequestAborted = ct };
        http.SetEndpoint(endpoint);
        var request = http.Request;
        request.Method = HttpMethods.Post;
        request.Scheme = "https";
        request.Host = new HostString("localhost");
        request.Path = "/twilio/voice";
        request.ContentType = "application/x-www-form-urlencoded";
        var body = Encoding.UTF8.GetBytes(string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}")));
        request.Body = new MemoryStream(body);
        request.ContentLength = body.Length;
        var url = TwilioSignatureFilter.WebhookUrl(request, sp.GetRequiredService<IOptions<RecoverlyOptions>>().Value.PublicBaseUrl);
        request.Headers["X-Twilio-Signature"] = SimulatorCarrier.Sign(authToken, url, fields);
        http.Response.Body = Stream.Null;
        await endpoint.RequestDelegate!(http);
        if (http.Response.StatusCode != StatusCodes.Status200OK)
            throw new InvalidOperationException($"the voice webhook answered {http.Response.StatusCode}");
    }

    /// <summary>
    /// The URL the server checks a rehearsed call's signature against, and the host the request names: the public base's, or the
    /// server's own address as the door presents it (https).
    /// </summary>
    private static (string Url, string? Host) SignedFor(Uri self, string? publicBaseUrl)
    {
        var seen = new DefaultHttpContext().Request;
        seen.Scheme = Uri.UriSchemeHttps;
        seen.Host = new HostString(self.Authority);
        seen.Path = "/twilio/voice";
        var host = Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var publicBase) ? publicBase.Authority : null;
        return (TwilioSignatureFilter.WebhookUrl(seen, publicBaseUrl), host);
    }

    /// <summary>Posts the call to this server's own socket, as Twilio would, with the door's key and the signature, read to its end.</summary>
    private static async Task PostVoiceAsync(HttpClient client, string key, string authToken, (string Url, string? Host) signed, IncomingCall call,
        CancellationToken ct)
    {
        var fields = VoiceFields(call);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add(RehearsalDoor.Header, key);
        if (signed.Host is not null) request.Headers.Host = signed.Host;
        request.Headers.Add("X-Twilio-Signature", SimulatorCarrier.Sign(authToken, signed.Url, fields));
        using var response = await client.SendAsync(request, ct);
        _ = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.Headers.TryGetValues(RehearsalDoor.Header, out var door) || !door.Contains(RehearsalDoor.Admitted))
            throw new NotThroughTheDoorException();
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
            throw new InvalidOperationException($"the voice webhook answered {(int)response.StatusCode} through the server's socket");
    }

    /// <summary>An answer from the server's address that this process's <see cref="RehearsalDoor"/> did not give.</summary>
    private sealed class NotThroughTheDoorException() : Exception("the server's address answered without letting the rehearsal in");

    /// <summary>
    /// Waits until the JIT has been all but idle for half a second (the optimising compiler works in the background after a
    /// method's 30th call), at most <see cref="JitSettleLimit"/>. All but: the process already listens, and a load balancer's
    /// probes or a dispatcher's polls promote a method or two now and then; waiting for none at all waited out the limit.
    /// </summary>
    private static async Task<TimeSpan> SettleJitAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var last = System.Runtime.JitInfo.GetCompiledMethodCount();
        for (var quiet = 0; quiet < 5 && clock.Elapsed < JitSettleLimit;)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            quiet = now - last <= IdleJitMethods ? quiet + 1 : 0;
            last = now;
        }
        return clock.Elapsed;
    }

    /// <summary>
    /// Opens every connection of the dispatcher's own pool (PostgreSQL; fewer when Recoverly:WarmUpConnections says so), each
    /// running the dispatcher's claim five times so Npgsql prepares it: a claim in the year 2000, when nothing is due, so it leases nothing.
    /// Returns how many were opened.
    /// </summary>
    private static async Task<int> PrimeDispatchPoolAsync(IServiceProvider services, IConfiguration config, CancellationToken ct)
    {
        var pool = services.GetRequiredService<DispatchConnection>();
        if (pool.ConnectionString is null) return 0;
        var factory = services.GetRequiredService<DispatchScopes>();
        var count = ConnectionsToPrime(config, pool.Size);
        var scopes = Enumerable.Range(0, count).Select(_ => factory.Create()).ToList();
        try
        {
            var leases = new OutboxLeases("warm-up");
            var never = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            // The claim the dispatcher will run: with numbers paced by default, the one that also paces and fences.
            var rates = await services.GetRequiredService<SendPacer>().RatesAsync(ct);
            await Task.WhenAll(scopes.Select(async s =>
            {
                for (var i = 0; i < 5; i++)
                    await leases.ClaimForDispatchAsync(s.Db, 1, 1, never, TimeSpan.FromSeconds(1), [], rates, realClock: true, ct);
            }));
        }
        finally
        {
            foreach (var s in scopes) await s.DisposeAsync();
        }
        return count;
    }

    /// <summary>The connection that writes missed calls together on PostgreSQL (docs/product/missed-calls.md): 1 if primed, else 0.</summary>
    private static async Task<int> PrimeCallWriterAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var recorder = scope.ServiceProvider.GetRequiredService<MissedCallRecorder>();
        return await recorder.PlanWriteTogetherAsync(PlannedBusiness(), PlannedCall, ct) ? 1 : 0;
    }

    /// <summary>The call and business a write is planned for (EXPLAIN): never written, so no such business need exist.</summary>
    private static readonly IncomingCall PlannedCall = new("CA" + new string('0', 32), FictionalCaller, FictionalNumber, null, null);

    private static Business PlannedBusiness() => new() { Id = 0, Name = "Warm-up", BusinessPhone = FictionalNumber, OwnerPhone = FictionalNumber };

    /// <summary>Every connection of a pool of <paramref name="pool"/>, unless Recoverly:WarmUpConnections says fewer (at least 1).</summary>
    private static int ConnectionsToPrime(IConfiguration config, int pool) =>
        Math.Clamp(string.IsNullOrWhiteSpace(config["Recoverly:WarmUpConnections"]) ? pool : config.GetValue<int>("Recoverly:WarmUpConnections"), 1, pool);

    private static async Task PrimeAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<RecoverlyDb>();
        await db.Database.OpenConnectionAsync(ct);
        var recorder = services.GetRequiredService<MissedCallRecorder>();
        // Npgsql prepares a statement the fifth time a connection runs it (Auto Prepare Min Usages).
        for (var i = 0; i < 5; i++) await recorder.LookupAsync(PlannedCall, ct);
        await recorder.PlanWriteAsync(PlannedBusiness(), PlannedCall, ct);
    }
}
