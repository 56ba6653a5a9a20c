using Microsoft.EntityFrameworkCore.Storage;

namespace Recoverly.Data;

/// <summary>
/// The write gate and a database transaction taken together, released together. Every multi-statement
/// write goes through <see cref="RecoverlyDb.BeginWriteAsync"/>: on SQLite the gate queues writers in
/// this process (one writer at a time), on PostgreSQL it is free.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly IDisposable? _gate;
    private readonly IDbContextTransaction? _tx;

    private WriteTransaction(IDisposable? gate, IDbContextTransaction? tx)
    {
        _gate = gate;
        _tx = tx;
    }

    internal static async Task<WriteTransaction> BeginAsync(RecoverlyDb db, CancellationToken ct)
    {
        // Start-up's rehearsal holds the gate and one transaction around everything it runs, and rolls it all back; its own
        // gate lets every write through, after a wait as under load (HotPathWarmup).
        if (Hosting.Rehearsal.Active && db.Database.CurrentTransaction is not null)
            return new WriteTransaction(await db.WriteGate.EnterAsync(ct), null);
        var gate = await db.WriteGate.EnterAsync(ct);
        try
        {
            return new WriteTransaction(gate, await db.Database.BeginTransactionAsync(ct));
        }
        catch
        {
            gate.Dispose();
            throw;
        }
    }

    public Task CommitAsync(CancellationToken ct) => _tx?.CommitAsync(ct) ?? Task.CompletedTask;

    /// <summary>Rolls back unless committed, then lets the next writer in.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_tx is not null) await _tx.DisposeAsync();
        }
        finally
        {
            _gate?.Dispose();
        }
    }
}
