using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Recoverly.Telephony;

namespace Recoverly.Dispatch;

/// <summary>
/// Per-sender throughput (SPEC 3.2): each sending number gets evenly spaced slots, so a burst
/// queues in the outbox instead of drawing 429s. Slots are per dispatcher process.
/// </summary>
public sealed class SendPacer(IOptions<TelephonyOptions> options)
{
    private readonly ConcurrentDictionary<string, DateTime> _nextFree = new();

    private TimeSpan Interval => TimeSpan.FromSeconds(1 / Math.Max(0.001, options.Value.SendRatePerSecond));

    /// <summary>Reserves the sender's next slot; the caller sends at the returned time (now or later).</summary>
    public DateTime Reserve(string sender, DateTime now)
    {
        var interval = Interval;
        while (true)
        {
            var next = _nextFree.GetOrAdd(sender, now);
            var slot = next > now ? next : now;
            if (_nextFree.TryUpdate(sender, slot + interval, next)) return slot;
        }
    }
}
