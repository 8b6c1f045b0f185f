using System.Buffers;
using System.Diagnostics;
using Broker.Engine.Stores;

namespace Broker.Engine.Messages;

/// <summary>
/// A published message. One pooled buffer holds the exchange name, routing key, encoded properties and
/// body, exactly as they go out in basic.deliver, so delivering is a copy of bytes with no re-encoding.
/// Every queue the message was routed to holds a reference; the buffer goes back to the pool when the
/// last reference is released.
/// </summary>
public sealed class Message
{
    private byte[] _buffer = [];
    private int _exchangeLength;
    private int _routingKeyLength;
    private int _propertiesLength;
    private int _bodyLength;
    private int _bodyWritten;
    private int _references;
    private MessagePool? _pool;

    // Publisher-confirm tracking of persistent copies: one count per durable queue log that must
    // sync the message, plus one held by the publisher while it routes.
    private IPersistListener? _persistListener;
    private ulong _confirmSequence;
    private int _pendingPersists;
    private int _persistFailed;

    internal Message()
    {
    }

    public ReadOnlySpan<byte> Exchange => _buffer.AsSpan(0, _exchangeLength);

    public ReadOnlySpan<byte> RoutingKey => _buffer.AsSpan(_exchangeLength, _routingKeyLength);

    /// <summary>Property flags and list as the publisher encoded them.</summary>
    public ReadOnlySpan<byte> Properties => _buffer.AsSpan(_exchangeLength + _routingKeyLength, _propertiesLength);

    public ReadOnlySpan<byte> Body => _buffer.AsSpan(BodyOffset, _bodyLength);

    public int BodyLength => _bodyLength;

    public bool IsComplete => _bodyWritten == _bodyLength;

    /// <summary>delivery_mode 2.</summary>
    public bool IsPersistent { get; private set; }

    public byte Priority { get; private set; }

    /// <summary>
    /// BCC routing keys: removed from the headers at publish, still used when the message is
    /// dead-lettered (RabbitMQ keeps them in the message's routing keys). Null almost always.
    /// </summary>
    public IReadOnlyList<string>? HiddenRoutingKeys { get; set; }

    /// <summary>The per-message TTL from the expiration property, in milliseconds; -1 when absent.</summary>
    public long TimeToLive { get; set; } = -1;

    /// <summary>A durable copy could not be stored, or a queue refused the message: its confirm is a nack.</summary>
    public bool IsPersistFailed => Volatile.Read(ref _persistFailed) != 0;

    /// <summary>Bytes this message keeps in memory (for memory accounting and length limits).</summary>
    public int Size => _exchangeLength + _routingKeyLength + _propertiesLength + _bodyLength;

    private int BodyOffset => _exchangeLength + _routingKeyLength + _propertiesLength;

    internal void Initialize(MessagePool pool, ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey, ReadOnlySpan<byte> properties, int bodyLength, bool persistent, byte priority)
    {
        Debug.Assert(_references == 0, "a pooled message still had references");
        _pool = pool;
        var total = exchange.Length + routingKey.Length + properties.Length + bodyLength;
        _buffer = pool.Buffers.Rent(total);
        exchange.CopyTo(_buffer);
        routingKey.CopyTo(_buffer.AsSpan(exchange.Length));
        properties.CopyTo(_buffer.AsSpan(exchange.Length + routingKey.Length));
        _exchangeLength = exchange.Length;
        _routingKeyLength = routingKey.Length;
        _propertiesLength = properties.Length;
        _bodyLength = bodyLength;
        _bodyWritten = 0;
        IsPersistent = persistent;
        Priority = priority;
        _references = 1;
        _persistListener = null;
        _pendingPersists = 0;
        _persistFailed = 0;
        TimeToLive = -1;
        HiddenRoutingKeys = null;
    }

    /// <summary>A queue refused the message (x-overflow reject-publish): the publisher's confirm becomes a nack.</summary>
    public void MarkRejected() => Volatile.Write(ref _persistFailed, 1);

    /// <summary>The publisher wants to know when every durable copy is on disk (publisher confirms, tx).</summary>
    public void BeginPersistTracking(IPersistListener listener, ulong confirmSequence)
    {
        _persistListener = listener;
        _confirmSequence = confirmSequence;
        _pendingPersists = 1;
    }

    /// <summary>
    /// Routing is done: returns true when nothing is left to wait for (no durable copy, or all synced
    /// already), in which case the listener is not called.
    /// </summary>
    public bool EndPersistTracking()
    {
        if (_persistListener is null)
        {
            return true;
        }

        if (Interlocked.Decrement(ref _pendingPersists) == 0)
        {
            _persistListener = null;
            return true;
        }

        return false;
    }

    /// <summary>A durable copy is on its way to disk (called by a log's append).</summary>
    public void AddPendingPersist()
    {
        if (_persistListener is not null)
        {
            Interlocked.Increment(ref _pendingPersists);
        }
    }

    /// <summary>
    /// A durable copy reached the disk, or failed to (called from the store's writer thread). Returns
    /// the listener when this was the last copy it waited for (it has been told), else null.
    /// </summary>
    public IPersistListener? CompletePersist(bool success)
    {
        var listener = _persistListener;
        if (listener is null)
        {
            return null;
        }

        if (!success)
        {
            Volatile.Write(ref _persistFailed, 1);
        }

        if (Interlocked.Decrement(ref _pendingPersists) != 0)
        {
            return null;
        }

        _persistListener = null;
        listener.OnPersisted(_confirmSequence, Volatile.Read(ref _persistFailed) == 0);
        return listener;
    }

    /// <summary>Appends the next body frame's bytes; returns false if they overflow the declared size.</summary>
    public bool AppendBody(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length > _bodyLength - _bodyWritten)
        {
            return false;
        }

        chunk.CopyTo(_buffer.AsSpan(BodyOffset + _bodyWritten));
        _bodyWritten += chunk.Length;
        return true;
    }

    /// <summary>Appends body bytes from a (possibly multi-segment) frame payload.</summary>
    public bool AppendBody(in ReadOnlySequence<byte> chunk)
    {
        if (chunk.Length > _bodyLength - _bodyWritten)
        {
            return false;
        }

        chunk.CopyTo(_buffer.AsSpan(BodyOffset + _bodyWritten));
        _bodyWritten += (int)chunk.Length;
        return true;
    }

    public void AddReference()
    {
        var after = Interlocked.Increment(ref _references);
        Debug.Assert(after > 1, "a released message was referenced again");
    }

    public void Release()
    {
        var after = Interlocked.Decrement(ref _references);
        Debug.Assert(after >= 0, "a message was released more often than referenced");
        if (after == 0)
        {
            var pool = _pool;
            pool?.Buffers.Return(_buffer);
            _buffer = [];
            _pool = null;
            pool?.Return(this);
        }
    }
}
