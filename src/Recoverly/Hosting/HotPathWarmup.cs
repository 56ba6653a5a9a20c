using System.Diagnostics;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Telephony;

namespace Recoverly.Hosting;

/// <summary>
/// Runs the missed-call webhook's read path once before the server listens, so the first real burst
/// after a start (a deploy, a crash restart) does not pay for query compilation and JIT on the
/// caller's time; `/healthz` answers only after this (docs/deploy.md, "Start-up and readiness").
/// Nothing is written: the lookup asks for a fictional number no business can hold.
/// </summary>
public static class HotPathWarmup
{
    /// <summary>555-01xx numbers are reserved for fiction: never a real Recoverly number.</summary>
    private const string FictionalNumber = "+12025550199";

    public static async Task RunAsync(IServiceProvider services, ILogger log, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using (var scope = services.CreateAsyncScope())
        {
            var recorder = scope.ServiceProvider.GetRequiredService<MissedCallRecorder>();
            await recorder.LookupAsync(new IncomingCall("CA" + new string('0', 32), FictionalNumber, FictionalNumber, null, null), ct);
            var urls = scope.ServiceProvider.GetRequiredService<PublicUrls>();
            var business = new Business { Name = "Warm-up", BusinessPhone = FictionalNumber };
            _ = WebhookEndpoints.Greeting(business, CallOutcome.Texted, urls).ToString();
            _ = new Twilio.Security.RequestValidator("warm-up").Validate(urls.For("/twilio/voice"),
                new Dictionary<string, string> { ["CallSid"] = "CA0", ["To"] = FictionalNumber }, "AAAA");
        }
        log.LogInformation("Hot paths warmed in {Milliseconds} ms", clock.ElapsedMilliseconds);
    }
}
