using Microsoft.EntityFrameworkCore.Storage;

namespace Recoverly.Data;

/// <summary>
/// The write gate and a database transaction taken together, released together. Every multi-statement
/// write goes through <see cref="RecoverlyDb.BeginWriteAsync"/>: on SQLite the gate queues writers in
/// this process (one writer at a time), on PostgreSQL it is free.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly IDisposable _gate;
    private readonly IDbContextTransaction _tx;

    private WriteTransaction(IDisposable gate, IDbContextTransaction tx)
    {
        _gate = gate;
        _tx = tx;
    }

    internal static async Task<WriteTransaction> BeginAsync(RecoverlyDb db, CancellationToken ct)
    {
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

    public Task CommitAsync(CancellationToken ct) => _tx.CommitAsync(ct);

    /// <summary>Rolls back unless committed, then lets the next writer in.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _tx.DisposeAsync();
        }
        finally
        {
            _gate.Dispose();
        }
    }
}
