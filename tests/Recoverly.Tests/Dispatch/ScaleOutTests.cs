using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Dispatch;

/// <summary>
/// Several processes on one PostgreSQL (docs/deploy.md): 2 web + 2 dispatcher processes, 400 missed calls
/// over 20 numbers fired at both web processes at once, one dispatcher killed with SIGKILL mid-run, and
/// callers texting STOP while their text-backs wait for a slot. Everything is judged at the
/// Twilio-compatible stand-in, which sees exactly what carriers would.
/// </summary>
[Collection(AppProcessCollection.Name)]
public class ScaleOutTests
{
    private const int Numbers = 20;
    private const int CallersPerNumber = 20;
    private const double RatePerSecond = 1;

    /// <summary>
    /// A text fenced just before a STOP committed may still be on its way to the provider when the STOP's
    /// webhook answers; one that reaches the provider this long after the STOP was answered was not fenced.
    /// </summary>
    private static readonly TimeSpan InFlightGrace = TimeSpan.FromSeconds(3);

    private static string Number(int n) => $"+1512555{300 + n:D4}";
    private static string Caller(int i) => $"+1512555{2000 + i:D4}";

    [Fact]
    public async Task Two_web_and_two_dispatcher_processes_text_every_caller_once_honour_every_stop()
    {
        await using var sink = await TwilioSink.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Telephony__SendRatePerSecond"] = RatePerSecond.ToString(CultureInfo.InvariantCulture),
            // A killed dispatcher's rows are taken over within seconds, yet not before the stand-in (in this busy test
            // process) has surely read the requests the dispatcher sent before it died.
            ["Dispatch__LeaseSeconds"] = "10",
        };
        Dictionary<string, string?> As(string role) => new(settings) { ["Recoverly__Roles"] = role };

        await using var web1 = await AppProcess.CreateAsync(Db.Postgres, sink, As("web"));
        for (var n = 0; n < Numbers; n++)
            await web1.AddBusinessAsync($"Business {n}", Number(n), $"+1512555{500 + n:D4}");
        await using var web2 = AppProcess.SharingDatabaseWith(web1, sink, As("web"));
        await using var dispatcher1 = AppProcess.SharingDatabaseWith(web1, sink, As("dispatcher"));
        await using var dispatcher2 = AppProcess.SharingDatabaseWith(web1, sink, As("dispatcher"));
        await Task.WhenAll(web1.StartServerAsync(), web2.StartServerAsync(), dispatcher1.StartServerAsync(), dispatcher2.StartServerAsync());
        AppProcess[] webs = [web1, web2];

        // Caller i calls number i % 20.
        var callers = Enumerable.Range(0, Numbers * CallersPerNumber).ToList();
        var calls = Task.Run(() => Parallel.ForEachAsync(callers, new ParallelOptions { MaxDegreeOfParallelism = 48 }, async (i, _) =>
        {
            using var response = await webs[i % 2].MissedCallAsync(Caller(i), Number(i % Numbers));
            Assert.True(response.IsSuccessStatusCode, $"missed call {i}: HTTP {(int)response.StatusCode}");
        }));

        await Eventually.TrueAsync(() => sink.Api.Sent.Count >= 60 || calls.IsFaulted, "sixty texts were sent");
        dispatcher1.KillHard();
        var sentAtKill = sink.Api.Sent.Count;

        await calls;
        // Per number, the last two callers still waiting for their text-back (the STOP races its slot) and one already texted, text STOP.
        var waiting = await web1.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.TextBack)
            .Select(m => new { m.To, m.From, Waiting = m.ProviderSid == null, m.Id }).ToListAsync());
        var stoppers = waiting.GroupBy(w => w.From)
            .SelectMany(n => n.Where(w => w.Waiting).OrderByDescending(w => w.Id).Take(2).Concat(n.Where(w => !w.Waiting).Take(1)))
            .Select(w => callers.Single(i => Caller(i) == w.To)).ToHashSet();
        var stopAnswered = new ConcurrentDictionary<int, DateTime>();
        var stops = Parallel.ForEachAsync(stoppers, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            // Some text STOP twice at once, to both web processes: still one confirmation.
            var twice = i % 3 == 0;
            var answers = await Task.WhenAll(Enumerable.Range(0, twice ? 2 : 1).Select(k => webs[(i + k) % 2].InboundSmsAsync(Caller(i), "STOP", Number(i % Numbers))));
            foreach (var a in answers)
            {
                Assert.True(a.IsSuccessStatusCode, $"STOP from caller {i}: HTTP {(int)a.StatusCode}");
                a.Dispose();
            }
            stopAnswered[i] = DateTime.UtcNow;
        });
        await stops;

        await Eventually.TrueAsync(
            () => web1.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Status == OutboundStatus.Pending || m.Status == OutboundStatus.InDoubt
                                                                         || m.Status == OutboundStatus.Sending).ContinueWith(t => t.Result == 0)),
            "every text was sent or cancelled", TimeSpan.FromSeconds(150), () => dispatcher2.ConsoleTail());

        var rows = await web1.QueryAsync(d => d.OutboundMessages.AsNoTracking().ToListAsync());
        var sent = sink.Api.Sent.ToList();
        Assert.True(sentAtKill < sent.Count, "the dispatcher was killed mid-run");
        Assert.Equal(Numbers * CallersPerNumber, rows.Count(r => r.Kind == OutboundKind.TextBack));

        // Every text the stand-in took belongs to exactly one row, and every row marked sent is at the stand-in: nothing sent twice or lost.
        var unowned = sent.Where(s => rows.All(r => r.ProviderSid != s.Sid)).Select(s => $"{s.Sid} to {s.To} from {s.From} at {s.At:HH:mm:ss.fff}: "
            + string.Join("; ", rows.Where(r => r.To == s.To && r.From == s.From).Select(r => $"row {r.Id} {r.Kind} {r.Status} {r.Reason} sid {r.ProviderSid} attempts {r.Attempts}")));
        Assert.True(!unowned.Any(), "texts at the stand-in no row owns: " + string.Join(" | ", unowned));
        Assert.Equal(sent.Select(s => s.Sid).Order(), rows.Where(r => r.ProviderSid != null).Select(r => r.ProviderSid).Order());
        Assert.All(rows, r => Assert.True(r.ProviderSid != null || r.Status == OutboundStatus.Cancelled,
            $"row {r.Id} ({r.Kind}) ended {r.Status} ({r.Reason})"));

        var bySid = rows.Where(r => r.ProviderSid != null).ToDictionary(r => r.ProviderSid!);
        foreach (var i in callers)
        {
            var textBack = rows.Single(r => r.Kind == OutboundKind.TextBack && r.To == Caller(i));
            var textBacksAtStandIn = sent.Where(s => s.To == Caller(i) && bySid[s.Sid].Kind == OutboundKind.TextBack).ToList();
            var confirmations = sent.Count(s => s.To == Caller(i) && bySid[s.Sid].Kind == OutboundKind.OptOutConfirmation);
            if (!stoppers.Contains(i))
            {
                Assert.True(textBacksAtStandIn.Count == 1, $"caller {i} got {textBacksAtStandIn.Count} text-backs");
                Assert.Equal(0, confirmations);
                continue;
            }
            Assert.True(confirmations == 1, $"caller {i} texted STOP and got {confirmations} confirmations");
            Assert.Equal(textBack.Status == OutboundStatus.Cancelled ? 0 : 1, textBacksAtStandIn.Count);
            foreach (var text in textBacksAtStandIn)
                Assert.True(text.At < stopAnswered[i] + InFlightGrace,
                    $"caller {i} got a text-back {(text.At - stopAnswered[i]).TotalSeconds:0.000} s after their STOP was answered");
        }
        // Pacing: the gate is confirmed as each request leaves (docs/product/sending.md), so a number's requests leave an
        // interval apart (SentAt is that moment). Arrival times at the stand-in are not used: here the stand-in shares a
        // test process and two cores with four app processes and the other tests, and reads requests late by varying amounts.
        var interval = TimeSpan.FromSeconds(1 / RatePerSecond) - TimeSpan.FromMilliseconds(1); // PostgreSQL keeps microseconds
        foreach (var number in rows.Where(r => r.ProviderSid != null).GroupBy(r => r.From))
        {
            var left = number.Select(r => r.SentAt!.Value).Order().ToList();
            var closest = left.Zip(left.Skip(1), (a, b) => b - a).Min();
            Assert.True(closest >= interval, $"number {number.Key} sent two texts {closest.TotalMilliseconds:0} ms apart");
        }
    }
}
