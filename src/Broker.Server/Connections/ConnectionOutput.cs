using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Broker.Engine.Delivery;
using Broker.Server.Hosting;

namespace Broker.Server.Connections;

/// <summary>
/// A connection's outgoing frames. Any thread may write (replies from the read loop, deliveries from
/// queue pumps and other connections' publishes) while holding <see cref="SyncRoot"/>; nothing flushes per
/// frame: writers add the output to their <see cref="FlushBatch"/> and it is flushed once per batch.
/// When the socket cannot keep up the flush stays pending, the output counts as saturated, and queues
/// skip this connection's consumers until it drains; then <see cref="Drained"/> wakes them.
/// </summary>
internal sealed class ConnectionOutput : IFlushTarget
{
    private readonly PipeWriter _writer;
    private readonly long _saturationBytes;
    private readonly Action _onFlushCompleted;
    private readonly ServerClock _clock;
    private ConfiguredValueTaskAwaitable<FlushResult>.ConfiguredValueTaskAwaiter _pendingFlush;
    private bool _flushing;
    private bool _starved;
    private bool _completed;

    public ConnectionOutput(PipeWriter writer, long saturationBytes, ServerClock clock)
    {
        _writer = writer;
        _clock = clock;
        LastSentMs = clock.NowMs;
        _saturationBytes = saturationBytes;
        _onFlushCompleted = OnFlushCompleted;
    }

    /// <summary>Held while writing frames; never held across a flush's completion.</summary>
    public Lock SyncRoot { get; } = new();

    /// <summary>The pipe to write frames to. Only while holding <see cref="SyncRoot"/>.</summary>
    public PipeWriter Writer => _writer;

    /// <summary>Raised (on any thread, no locks held) when a saturated output drained and consumers were skipped.</summary>
    public event Action? Drained;

    /// <summary>Raised when flushing or waking consumers after a flush failed unexpectedly (a broker bug, not a broken socket).</summary>
    public event Action<Exception>? Failed;

    /// <summary>When the last flush that sent something started (server clock, ms); for heartbeats.</summary>
    public long LastSentMs { get; private set; }

    private long _sentBytes;

    /// <summary>Bytes handed to the socket so far (the management API's send_oct).</summary>
    public long SentBytes => Volatile.Read(ref _sentBytes);

    public bool IsCompleted => Volatile.Read(ref _completed);

    /// <summary>
    /// True when more should not be written for consumers now: a flush is waiting on the socket, or
    /// much is written but not flushed. Remembers that someone was turned away, to wake them later.
    /// Call holding <see cref="SyncRoot"/>.
    /// </summary>
    public bool RefuseIfSaturated()
    {
        if (_flushing || _writer.UnflushedBytes >= _saturationBytes)
        {
            _starved = true;
            return true;
        }

        return false;
    }

    public void Flush()
    {
        bool wake;
        lock (SyncRoot)
        {
            if (_flushing || _completed || _writer.UnflushedBytes == 0)
            {
                return;
            }

            LastSentMs = _clock.NowMs;
            _sentBytes += _writer.UnflushedBytes;
            var awaiter = _writer.FlushAsync().ConfigureAwait(false).GetAwaiter();
            if (!awaiter.IsCompleted)
            {
                _flushing = true;
                _pendingFlush = awaiter;
                awaiter.UnsafeOnCompleted(_onFlushCompleted);
                return;
            }

            Complete(awaiter);
            wake = _starved && !_completed;
            _starved = false;
        }

        if (wake)
        {
            Drained?.Invoke();
        }
    }

    /// <summary>Marks the output finished: nothing more is written or flushed.</summary>
    public void MarkCompleted()
    {
        lock (SyncRoot)
        {
            _completed = true;
        }
    }

    private void OnFlushCompleted()
    {
        bool more;
        bool wake;
        lock (SyncRoot)
        {
            _flushing = false;
            Complete(_pendingFlush);
            _pendingFlush = default;
            more = !_completed && _writer.UnflushedBytes > 0;
            wake = _starved && !_completed;
            _starved = false;
        }

        try
        {
            if (more)
            {
                Flush();
            }

            if (wake)
            {
                Drained?.Invoke();
            }
        }
        catch (Exception ex)
        {
            // Runs as a pipe continuation: a failure here must not take the process down, nor leave a
            // connection that silently drops every reply: the owner reports it and ends the connection.
            MarkCompleted();
            Failed?.Invoke(ex);
        }
    }

    private void Complete(ConfiguredValueTaskAwaitable<FlushResult>.ConfiguredValueTaskAwaiter awaiter)
    {
        try
        {
            var result = awaiter.GetResult();
            if (result.IsCompleted || result.IsCanceled)
            {
                _completed = true;
            }
        }
        catch (Exception)
        {
            // The transport failed; the read loop notices and tears the connection down.
            _completed = true;
        }
    }
}
