using System.Threading.Channels;
using Npgsql;

namespace Recoverly.Calls;

/// <summary>What the missed-call write returned for one call.</summary>
public sealed record WrittenCall(long Id, string Outcome, long? ContactId, long? EpisodeFirstCallId)
{
    /// <summary>The write's one row, at the reader's current position.</summary>
    public static WrittenCall Read(System.Data.Common.DbDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3));
}

/// <summary>
/// PostgreSQL: writes the missed calls of webhooks that come in together in one round trip and one commit, instead of a round
/// trip and a commit each (docs/product/missed-calls.md, "How a call is written"). A write that finds nothing running
/// goes at once; writes that come in while one is running go together next, up to <see cref="MaxBatch"/>, so nothing waits for
/// a batch to fill. The statements of a batch run in the order of their business and caller (so two processes' batches take
/// their rows in the same order, and a wait that still forms a cycle ends at the lock timeout) and as one transaction. If the batch fails, none of it is kept and each
/// call is handed back to be written on its own, on its webhook's own connection, where a call's own failure (a replay's
/// unique CallSid) reaches only that call and a row lock held elsewhere holds up only the call that needs it.
/// </summary>
public sealed class CallWriteBatcher : IAsyncDisposable
{
    public const int MaxBatch = 64;

    /// <summary>
    /// How long a batch waits for a row lock before it gives its calls back to be written one by one: the batcher writes for the
    /// whole process, so a row held elsewhere (an owner's settings being saved) must not hold up every call behind it.
    /// </summary>
    public const int LockTimeoutMilliseconds = 250;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly string _connectionString;
    private readonly ILogger<CallWriteBatcher> _log;
    private readonly Task _loop;
    private long _arrivals, _batches, _written, _handedBack;
    private int _inFlight;

    /// <param name="webConnection">The web pool's connection string: the batcher takes it under its own application name with a
    /// pool of one and a lock timeout, so its writes never queue for a connection behind the lookups of the webhooks waiting on
    /// it.</param>
    public CallWriteBatcher(string webConnection, ILogger<CallWriteBatcher> log)
    {
        _connectionString = OwnConnection(webConnection);
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The batcher's own connection string for the web pool's <paramref name="webConnection"/>.</summary>
    internal static string OwnConnection(string webConnection)
    {
        var builder = new NpgsqlConnectionStringBuilder(webConnection);
        builder.ApplicationName = string.IsNullOrEmpty(builder.ApplicationName) ? "recoverly-calls" : builder.ApplicationName + "-calls";
        builder.MaxPoolSize = 1;
        builder.MinPoolSize = 1; // kept open through quiet hours, so the first call after them meets a warm server process
        builder.Options = (builder.Options is { Length: > 0 } options ? options + " " : "") + $"-c lock_timeout={LockTimeoutMilliseconds}";
        return builder.ConnectionString;
    }

    /// <summary>Batches committed so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Calls written in committed batches so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Calls handed back to be written on their own so far.</summary>
    public long HandedBack => Interlocked.Read(ref _handedBack);

    /// <summary>Calls waiting for the next batch.</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Calls in the batch being written now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The batcher's own connection string (its pool of one); never logged, it may hold the password.</summary>
    internal string ConnectionString => _connectionString;

    private sealed class Pending(long arrival, string sql, long businessId, string caller, NpgsqlParameter[] parameters)
    {
        /// <summary>Keeps two calls from one caller to one business in the order they came.</summary>
        public long Arrival => arrival;
        public string Sql => sql;
        public long BusinessId => businessId;
        public string Caller => caller;
        public NpgsqlParameter[] Parameters => parameters;
        public TaskCompletionSource<WrittenCall?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (one statement returning the call's id, outcome, contact and episode's first call) together
    /// with the writes that come in with it. Null when the batch failed and nothing of it was kept: the caller writes the call
    /// on its own.
    /// </summary>
    public Task<WrittenCall?> WriteAsync(string sql, long businessId, string caller, NpgsqlParameter[] parameters)
    {
        var pending = new Pending(Interlocked.Increment(ref _arrivals), sql, businessId, caller, parameters);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(CallWriteBatcher));
        return pending.Done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            if (batch.Count > 1) batch.Sort(LockOrder);
            Volatile.Write(ref _inFlight, batch.Count);
            try
            {
                await WriteTogetherAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // One transaction: nothing of the batch was kept, unless its commit went out and its answer was lost, in which
                // case each call finds its CallSid taken when written again and is answered as the replay it then is.
                Interlocked.Add(ref _handedBack, batch.Count);
                _log.LogWarning("Writing {Count} missed call(s) together failed ({Error}); each is written on its own", batch.Count,
                    e is PostgresException pg ? pg.SqlState : e.GetType().Name);
                foreach (var pending in batch) pending.Done.TrySetResult(null);
            }
            Volatile.Write(ref _inFlight, 0);
            batch.Clear();
        }
    }

    private static int LockOrder(Pending a, Pending b) =>
        a.BusinessId != b.BusinessId ? a.BusinessId.CompareTo(b.BusinessId)
        : string.CompareOrdinal(a.Caller, b.Caller) is var byCaller and not 0 ? byCaller
        : a.Arrival.CompareTo(b.Arrival);

    private async Task WriteTogetherAsync(List<Pending> batch)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlBatch(connection);
        foreach (var pending in batch) Add(command, pending.Sql, pending.Parameters);
        var written = new WrittenCall[batch.Count];
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0) await reader.NextResultAsync().ConfigureAwait(false);
                await reader.ReadAsync().ConfigureAwait(false);
                written[i] = WrittenCall.Read(reader);
            }
        }
        // Answered only once the reader is closed: the whole batch has committed.
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _written, batch.Count);
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(written[i]);
    }

    /// <summary>
    /// Opens the batcher's connection and runs <paramref name="explain"/> (an EXPLAIN of the write: nothing runs or is written)
    /// on it as a batch, so the first calls of a burst find its server process with the tables' catalog entries loaded.
    /// </summary>
    public async Task PrimeAsync(string explain, NpgsqlParameter[] parameters, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlBatch(connection);
        Add(command, explain, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
        }
    }

    private static void Add(NpgsqlBatch batch, string sql, NpgsqlParameter[] parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        statement.Parameters.AddRange(parameters);
        batch.BatchCommands.Add(statement);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
