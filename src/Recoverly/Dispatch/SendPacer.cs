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

    /// <summary>Reserves the sender's next slot; the caller sends at the returned time (now or later).</summary>
    public DateTime Reserve(string sender, DateTime now)
    {
        var rate = options.Value.SendRatePerSecond;
        if (rate <= 0) return now; // 0 = unlimited (a provider-side queue such as a Messaging Service paces instead)
        var interval = TimeSpan.FromSeconds(1 / rate);
        while (true)
        {
            var next = _nextFree.GetOrAdd(sender, now);
            var slot = next > now ? next : now;
            if (_nextFree.TryUpdate(sender, slot + interval, next)) return slot;
        }
    }
}
