namespace Recoverly.Dispatch;

public sealed class DispatchOptions
{
    public int BatchSize { get; set; } = 100;
    /// <summary>Sends in flight at once per process: at least the send rate times the provider's round trip (200/s x 0.3 s = 60), with room for stalls.</summary>
    public int Concurrency { get; set; } = 256;
    /// <summary>Sends in flight at once per sending number in one process, so one number's burst cannot take every slot.</summary>
    public int ConcurrencyPerSender { get; set; } = 4;
    /// <summary>How long a claimed row stays ours unless renewed; a crashed dispatcher's rows are picked up after this.</summary>
    public double LeaseSeconds { get; set; } = 30;
    public double PollMilliseconds { get; set; } = 200;
    /// <summary>
    /// After a webhook signals new work, how long to wait before claiming, so the texts of calls arriving together share a
    /// claim and an outcome write (docs/product/sending.md, "Gathering"); 0 claims at once.
    /// </summary>
    public double GatherMilliseconds { get; set; } = 20;
    /// <summary>Per-send timeout; past it the outcome is unknown and the row is reconciled before any resend.</summary>
    public double SendTimeoutSeconds { get; set; } = 10;

    public static TimeSpan Backoff(int attempt)
    {
        // 1 s, 2 s, 4 s … capped at 30 s: the lead is hot, so retries stay close together.
        var seconds = Math.Min(30, Math.Pow(2, Math.Max(0, attempt - 1)));
        return TimeSpan.FromSeconds(seconds);
    }
}
