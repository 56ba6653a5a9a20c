using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Hosting;

public sealed class MetricsOptions
{
    /// <summary>Serve the Prometheus scrape endpoint (off by default).</summary>
    public bool Enabled { get; set; }
    /// <summary>Scrapers send <c>Authorization: Bearer {Token}</c>; required when enabled.</summary>
    public string? Token { get; set; }
}

/// <summary>
/// Recoverly's own measurements (docs/metrics.md). The instruments are static and cost one
/// <c>Enabled</c> check on the hot path unless a scraper is configured (<c>Metrics:Enabled</c>).
/// </summary>
public static class RecoverlyMetrics
{
    public const string MeterName = "Recoverly";

    /// <summary>Where scrapers ask; like <c>/healthz</c>, answered on any scheme (docs/metrics.md).</summary>
    public const string Path = "/metrics";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> TimeToText = Meter.CreateHistogram("recoverly.text_back.time_to_text", "s",
        "From the missed call being recorded to the provider accepting its text-back.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 300] });

    private static readonly Counter<long> Sends = Meter.CreateCounter<long>("recoverly.sends", "{message}",
        "Send requests to the provider, by message kind, outcome and provider error code.");

    private static readonly Histogram<double> WebhookDuration = Meter.CreateHistogram("recoverly.webhook.duration", "s",
        "Time to answer a provider webhook, by route.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    private static readonly Counter<long> ConsentEventsWritten = Meter.CreateCounter<long>("recoverly.consent.events", "{event}",
        "Consent ledger entries written, by kind.");

    public static void Sent(OutboundKind kind, SendOutcome outcome, int? errorCode)
    {
        if (!Sends.Enabled || Rehearsal.Active) return;
        Sends.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()), new KeyValuePair<string, object?>("outcome", outcome.ToString()),
            new KeyValuePair<string, object?>("error_code", errorCode?.ToString(CultureInfo.InvariantCulture) ?? "none"));
    }

    public static void TextBackAccepted(TimeSpan sinceRecorded)
    {
        if (TimeToText.Enabled && !Rehearsal.Active) TimeToText.Record(Math.Max(0, sinceRecorded.TotalSeconds));
    }

    public static void ConsentRecorded(ConsentKind kind)
    {
        if (ConsentEventsWritten.Enabled) ConsentEventsWritten.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
    }

    /// <summary>Times every provider webhook; the route (not the URL) is the label, so the series stay few.</summary>
    public static async ValueTask<object?> TimeWebhookAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!WebhookDuration.Enabled || Rehearsal.Active) return await next(context);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await next(context);
        }
        finally
        {
            var route = (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "other";
            WebhookDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("route", route));
        }
    }

    public static IServiceCollection AddRecoverlyMetrics(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<MetricsOptions>(config.GetSection("Metrics"));
        var options = config.GetSection("Metrics").Get<MetricsOptions>() ?? new MetricsOptions();
        if (!options.Enabled) return services;
        var roles = config.GetSection("Recoverly").Get<RecoverlyOptions>() ?? new RecoverlyOptions();
        if (roles.HasRole("dispatcher")) services.AddSingleton<OutboxGauges>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(MeterName).AddPrometheusExporter());
        return services;
    }

    /// <summary>The scrape endpoint, only with <c>Metrics:Enabled</c>, only for a scraper that presents <c>Metrics:Token</c>.</summary>
    public static void UseRecoverlyMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.Enabled) return;
        _ = app.Services.GetService<OutboxGauges>(); // registers the outbox gauges with this process's meter
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Token ?? ""));
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: null, path: Path,
            configureBranchedPipeline: scrape => scrape.Use(async (http, next) =>
            {
                if (!Authorized(http.Request.Headers.Authorization.ToString(), expected))
                {
                    http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    http.Response.Headers.WWWAuthenticate = "Bearer";
                    return;
                }
                await next(http);
            }),
            optionsName: null);
    }

    private static bool Authorized(string header, byte[] expected)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}

/// <summary>
/// Outbox depth and the age of the oldest due row, read from the database when a scrape asks (at most
/// once a second, however many scrapers), so they cost nothing between scrapes.
/// </summary>
public sealed class OutboxGauges
{
    private static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(1);
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxGauges> _log;
    private readonly Lock _gate = new();
    private OutboxBacklog? _last;
    private DateTime _readAt = DateTime.MinValue;

    public OutboxGauges(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider time, ILogger<OutboxGauges> log)
    {
        _scopes = scopes;
        _time = time;
        _log = log;
        var meter = meters.Create(RecoverlyMetrics.MeterName);
        meter.CreateObservableGauge("recoverly.outbox.depth", () => Read() is { } b ? [new Measurement<int>(b.Waiting)] : Array.Empty<Measurement<int>>(),
            "{message}", "Outbox rows not yet sent, including ones scheduled for later.");
        meter.CreateObservableGauge("recoverly.outbox.oldest_due_age",
            () => Read() is { } b ? [new Measurement<double>(b.OldestDueAge.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s", "How long the oldest due, unsent outbox row has waited.");
    }

    private OutboxBacklog? Read()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            if (_last is not null && now - _readAt < ReuseFor) return _last;
            try
            {
                using var scope = _scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
                // Gauge callbacks are synchronous; this runs on the scrape's request, never on a send.
                _last = OutboxBacklog.ReadAsync(db, now, CancellationToken.None).GetAwaiter().GetResult();
                _readAt = now;
                return _last;
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "Could not read the outbox for metrics");
                return null;
            }
        }
    }
}
