using System.Threading.Channels;

namespace Recoverly.Dispatch;

/// <summary>Wakes the in-process dispatcher the moment a webhook commits new outbox rows.</summary>
public sealed class DispatchSignal
{
    private readonly Channel<bool> _pulses = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    public void Notify() => _pulses.Writer.TryWrite(true);

    /// <summary>Waits for a pulse or the poll interval (other instances may have written work); true when a pulse came.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _pulses.Reader.ReadAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
