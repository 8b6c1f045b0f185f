using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Messages;
using Broker.Engine.VirtualHosts;
using Broker.Protocol.Encoding;

namespace Broker.Engine.Queues;

/// <summary>
/// A queue: its ready messages in FIFO order, its consumers, and the delivery pump that hands the one
/// to the other. All state is guarded by one lock; the lock order is queue, then channel, then
/// connection output (see src/LOCKING.md).
/// </summary>
public sealed partial class MessageQueue : IThreadPoolWorkItem
{
    /// <summary>Most deliveries in one go before yielding to other work (fairness between queues).</summary>
    private const int DeliveryBudget = 256;

    private readonly Lock _lock = new();
    private readonly ReadyList _ready = new();
    private readonly List<Consumer> _consumers = [];
    private readonly FlushBatch _pumpBatch = new();
    private int _roundRobin;
    private long _nextSequence;
    private int _unacked;
    private bool _hadConsumers;
    private bool _pumpQueued;
    private bool _pumpRunning;
    private bool _pumpAgain;

    public MessageQueue(VirtualHost virtualHost, string name, bool durable, bool exclusive, bool autoDelete, FieldTable arguments, object? exclusiveOwner)
    {
        VirtualHost = virtualHost;
        Name = name;
        Durable = durable;
        Exclusive = exclusive;
        AutoDelete = autoDelete;
        Arguments = arguments;
        ExclusiveOwner = exclusiveOwner;
    }

    public VirtualHost VirtualHost { get; }

    public string Name { get; }

    public bool Durable { get; }

    public bool Exclusive { get; }

    public bool AutoDelete { get; }

    public FieldTable Arguments { get; }

    /// <summary>The connection that declared an exclusive queue; null for shared queues.</summary>
    public object? ExclusiveOwner { get; }

    /// <summary>Set once the queue is deleted; later operations on it are no-ops.</summary>
    public bool IsDeleted { get; private set; }

    public int MessageCount
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    public int ConsumerCount
    {
        get
        {
            lock (_lock)
            {
                return _consumers.Count;
            }
        }
    }

    public int UnackedCount
    {
        get
        {
            lock (_lock)
            {
                return _unacked;
            }
        }
    }

    public string DisplayName => Names.Queue(Name, VirtualHost.Name);

    /// <summary>True when <paramref name="connection"/> may use the queue (it is not exclusive to another).</summary>
    public bool IsAccessibleBy(object connection) => ExclusiveOwner is null || ReferenceEquals(ExclusiveOwner, connection);

    /// <summary>Adds a message (the caller's reference is not taken: the queue adds its own).</summary>
    public bool Enqueue(Message message, FlushBatch batch)
    {
        lock (_lock)
        {
            if (IsDeleted)
            {
                return false;
            }

            message.AddReference();
            _ready.Append(new QueueEntry(_nextSequence++, message, redelivered: false));
            if (_consumers.Count > 0)
            {
                DeliverLocked(batch);
            }

            return true;
        }
    }

    /// <summary>
    /// Adds a consumer without delivering to it yet (the caller replies consume-ok first, then pumps).
    /// Exclusive consumers refuse company and company refuses them, with RabbitMQ's 403.
    /// </summary>
    public EngineError AddConsumer(Consumer consumer)
    {
        lock (_lock)
        {
            if (IsDeleted)
            {
                return EngineError.NotFound($"no queue '{Name}' in vhost '{VirtualHost.Name}'");
            }

            if (_consumers.Count > 0 && (consumer.Exclusive || _consumers[0].Exclusive))
            {
                return EngineError.AccessRefused($"queue '{Name}' in vhost '{VirtualHost.Name}' in exclusive use");
            }

            // Sorted by priority, highest first; equal priorities keep arrival order.
            var at = _consumers.Count;
            while (at > 0 && _consumers[at - 1].Priority < consumer.Priority)
            {
                at--;
            }

            _consumers.Insert(at, consumer);
            _hadConsumers = true;
            return EngineError.None;
        }
    }

    /// <summary>
    /// Removes a consumer. Returns true when the queue is auto-delete and this was its last consumer,
    /// so the caller should delete it.
    /// </summary>
    public bool RemoveConsumer(Consumer consumer)
    {
        lock (_lock)
        {
            if (!_consumers.Remove(consumer))
            {
                return false;
            }

            return AutoDelete && _hadConsumers && _consumers.Count == 0 && !IsDeleted;
        }
    }

    /// <summary>basic.get: takes the head message. <paramref name="remaining"/> is the ready count after it.</summary>
    public bool TryGet(bool noAck, out QueueEntry entry, out int remaining)
    {
        lock (_lock)
        {
            if (IsDeleted || _ready.Count == 0)
            {
                entry = default;
                remaining = 0;
                return false;
            }

            entry = _ready.TakeHead();
            remaining = _ready.Count;
            if (!noAck)
            {
                _unacked++;
            }

            return true;
        }
    }

    /// <summary>Settles deliveries this queue handed out; then delivers what the freed credit allows.</summary>
    public void Settle(ReadOnlySpan<QueueEntry> entries, SettleAction action, FlushBatch batch)
    {
        lock (_lock)
        {
            foreach (ref readonly var entry in entries)
            {
                SettleLocked(entry, action);
            }

            if (_consumers.Count > 0)
            {
                DeliverLocked(batch);
            }
        }
    }

    public void Settle(in QueueEntry entry, SettleAction action, FlushBatch batch) =>
        Settle(new ReadOnlySpan<QueueEntry>(in entry), action, batch);

    /// <summary>Delivers to consumers that have credit now (after an ack elsewhere freed channel credit).</summary>
    public void Pump(FlushBatch batch)
    {
        lock (_lock)
        {
            if (_consumers.Count > 0 && _ready.Count > 0)
            {
                DeliverLocked(batch);
            }
        }
    }

    /// <summary>Asks for a delivery run on the thread pool (after a consumer's output drained).</summary>
    public void SchedulePump()
    {
        lock (_lock)
        {
            SchedulePumpLocked();
        }
    }

    /// <summary>queue.purge: drops ready messages (not unacknowledged ones) and returns how many.</summary>
    public int Purge()
    {
        lock (_lock)
        {
            return _ready.Clear(static entry => entry.Message.Release());
        }
    }

    /// <summary>
    /// Marks the queue deleted, drops its ready messages and detaches its consumers, which are
    /// returned so the caller can tell their channels. Returns the ready count.
    /// </summary>
    internal int MarkDeleted(List<Consumer> detachedConsumers)
    {
        lock (_lock)
        {
            if (IsDeleted)
            {
                return 0;
            }

            IsDeleted = true;
            detachedConsumers.AddRange(_consumers);
            _consumers.Clear();
            return _ready.Clear(static entry => entry.Message.Release());
        }
    }

    internal (int Messages, int Consumers) GetCounts()
    {
        lock (_lock)
        {
            return (_ready.Count, _consumers.Count);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        bool more;
        lock (_lock)
        {
            _pumpQueued = false;
            if (_pumpRunning)
            {
                _pumpAgain = true;
                return;
            }

            _pumpRunning = true;
            more = _consumers.Count > 0 && DeliverLocked(_pumpBatch);
        }

        _pumpBatch.FlushAll();
        lock (_lock)
        {
            _pumpRunning = false;
            if (more || _pumpAgain)
            {
                _pumpAgain = false;
                SchedulePumpLocked();
            }
        }
    }

    private void SchedulePumpLocked()
    {
        if (_pumpRunning)
        {
            _pumpAgain = true;
        }
        else if (!_pumpQueued && !IsDeleted)
        {
            _pumpQueued = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void SettleLocked(in QueueEntry entry, SettleAction action)
    {
        _unacked--;
        if (action == SettleAction.Requeue && !IsDeleted)
        {
            _ready.InsertOrdered(entry.AsRedelivered());
        }
        else
        {
            entry.Message.Release();
        }
    }

    /// <summary>
    /// Hands ready messages to consumers with credit: highest priority first, round robin among equals.
    /// Returns true when it stopped on its budget with more to deliver (the caller reschedules).
    /// </summary>
    private bool DeliverLocked(FlushBatch batch)
    {
        var budget = DeliveryBudget;
        while (_ready.Count > 0)
        {
            if (budget-- == 0)
            {
                SchedulePumpLocked();
                return true;
            }

            if (!DeliverOneLocked(batch))
            {
                return false;
            }
        }

        return false;
    }

    private bool DeliverOneLocked(FlushBatch batch)
    {
        var consumers = _consumers;
        var count = consumers.Count;
        var groupStart = 0;
        while (groupStart < count)
        {
            var priority = consumers[groupStart].Priority;
            var groupEnd = groupStart + 1;
            while (groupEnd < count && consumers[groupEnd].Priority == priority)
            {
                groupEnd++;
            }

            var groupSize = groupEnd - groupStart;
            for (var k = 0; k < groupSize; k++)
            {
                var index = groupStart + ((_roundRobin + k) % groupSize);
                var consumer = consumers[index];
                ref readonly var head = ref _ready.PeekHead();
                if (consumer.Channel.TryDeliver(consumer, this, head, batch))
                {
                    var entry = _ready.TakeHead();
                    if (consumer.NoAck)
                    {
                        entry.Message.Release();
                    }
                    else
                    {
                        _unacked++;
                    }

                    _roundRobin = index - groupStart + 1;
                    return true;
                }
            }

            groupStart = groupEnd;
        }

        return false;
    }
}
