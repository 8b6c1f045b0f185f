namespace Broker.Engine.Monitoring;

/// <summary>
/// A queue's message counters since it was declared, as the management API's message_stats shows
/// them (publish, deliver, get, redeliver, ack). Publishes, deliveries and gets are counted by the
/// queue under its own lock (or in its one delivery run), so they are plain writes; acks come from
/// the settling sessions, once per settled batch, and are interlocked. Readers see each counter on
/// its own (no consistent set), as RabbitMQ's do.
/// </summary>
public sealed class QueueStats
{
    private long _published;
    private long _delivered;
    private long _deliveredNoAck;
    private long _gets;
    private long _getsNoAck;
    private long _redelivered;
    private long _acked;

    public long Published => Volatile.Read(ref _published);

    /// <summary>Deliveries to consumers that acknowledge.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Deliveries to no-ack consumers.</summary>
    public long DeliveredNoAck => Volatile.Read(ref _deliveredNoAck);

    public long Gets => Volatile.Read(ref _gets);

    public long GetsNoAck => Volatile.Read(ref _getsNoAck);

    public long Redelivered => Volatile.Read(ref _redelivered);

    public long Acked => Volatile.Read(ref _acked);

    /// <summary>Every way a message left for a client: RabbitMQ's deliver_get.</summary>
    public long DeliveredOrGot => Delivered + DeliveredNoAck + Gets + GetsNoAck;

    /// <summary>Under the queue's lock.</summary>
    internal void OnPublished() => Increment(ref _published);

    /// <summary>Under the queue's lock, or in its one delivery run.</summary>
    internal void OnDelivered(bool noAck, bool redelivered)
    {
        Increment(ref noAck ? ref _deliveredNoAck : ref _delivered);
        if (redelivered)
        {
            Increment(ref _redelivered);
        }
    }

    /// <summary>Under the queue's lock.</summary>
    internal void OnGot(bool noAck, bool redelivered)
    {
        Increment(ref noAck ? ref _getsNoAck : ref _gets);
        if (redelivered)
        {
            Increment(ref _redelivered);
        }
    }

    private static void Increment(ref long counter) => Volatile.Write(ref counter, counter + 1);

    public void OnAcked(int count) => Interlocked.Add(ref _acked, count);

    /// <summary>Adds another queue's counters (a deleted queue's, kept in its vhost's totals).</summary>
    public void Add(QueueStats other)
    {
        Interlocked.Add(ref _published, other.Published);
        Interlocked.Add(ref _delivered, other.Delivered);
        Interlocked.Add(ref _deliveredNoAck, other.DeliveredNoAck);
        Interlocked.Add(ref _gets, other.Gets);
        Interlocked.Add(ref _getsNoAck, other.GetsNoAck);
        Interlocked.Add(ref _redelivered, other.Redelivered);
        Interlocked.Add(ref _acked, other.Acked);
    }
}
