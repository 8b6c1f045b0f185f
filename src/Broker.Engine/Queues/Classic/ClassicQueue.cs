using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Messages;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues.Classic;

/// <summary>
/// A classic queue: its ready messages in FIFO (or priority) order, its consumers, and the delivery pump that
/// hands the one to the other. Ready messages are a head kept in memory and, beyond the head's
/// limits, a tail in the queue's log (one log per level in a priority queue, see ClassicQueue.Tails.cs),
/// read back in order as the head drains; persistent messages of a durable queue are always in the log too. TTL, length limits and dead-lettering follow RabbitMQ's
/// classic queues. All state is guarded by one lock; the lock order is queue, then session, then
/// connection output (see src/LOCKING.md). Messages that leave for a dead-letter exchange are routed
/// after the lock is released.
/// </summary>
public sealed partial class ClassicQueue : MessageQueue
{
    /// <summary>Most deliveries in one go before yielding to other work (fairness between queues).</summary>
    private const int DeliveryBudget = 256;

    private readonly Lock _lock = new();
    private readonly ReadySet _ready;
    private readonly List<Consumer> _consumers = [];
    private readonly FlushBatch _pumpBatch = new();
    private readonly DeliveryPump _pump;
    private readonly QueueLimits _limits;
    private readonly HeadMemory _memory;
    private readonly Refiller _refiller;
    private readonly List<(QueueEntry Entry, DeadLetterReason Reason)> _deadLetters = [];
    private readonly bool _countsReturns;
    private readonly bool _keepsEveryMessage;

    /// <summary><see cref="_deadLetters"/>'s count, readable without the lock.</summary>
    private int _deadLetterCount;

    // 1 while a thread routes this queue's dead letters (DeadLetterPending).
    private int _routingDeadLetters;
    private int _roundRobin;
    private Dictionary<int, int>? _roundRobinByPriority;
    private long _nextSequence;
    private int _unacked;
    private bool _hadConsumers;

    // Body bytes of all ready messages, head and tail (x-max-length-bytes counts bodies).
    private long _readyBodyBytes;

    public ClassicQueue(VirtualHost virtualHost, QueueType type, in QueueDeclaration declaration, IQueueLog log)
        : base(virtualHost, type, declaration)
    {
        _limits = virtualHost.Engine.Options.QueueLimits;
        _memory = virtualHost.Engine.HeadMemory;
        _ready = new ReadySet(_memory, Settings.MaxPriority);
        _refiller = new Refiller(this);
        _pump = new DeliveryPump(_lock, this, RunDelivery);
        _countsReturns = type.CountsReturns;
        _keepsEveryMessage = type.KeepsEveryMessage;

        // What a durable queue's logs recovered at start-up are their tails, in order.
        _tails = OpenTails(log);
        _readyBodyBytes = 0;
        StartExpiryTimers();
    }

    /// <summary>Ready messages held in the log only (not in memory).</summary>
    public long TailCount
    {
        get
        {
            lock (_lock)
            {
                return _tailCount;
            }
        }
    }

    public override QueueCounts GetCounts()
    {
        lock (_lock)
        {
            return new QueueCounts(_ready.Count + _tailCount, _consumers.Count, _unacked);
        }
    }

    public override QueueDetails GetDetails()
    {
        lock (_lock)
        {
            return new QueueDetails(new QueueCounts(_ready.Count + _tailCount, _consumers.Count, _unacked), _readyBodyBytes, _ready.Count, _ready.Bytes);
        }
    }

    public override void CopyConsumers(List<Consumer> into)
    {
        lock (_lock)
        {
            into.AddRange(_consumers);
        }
    }

    public override EnqueueResult Enqueue(Message message, FlushBatch batch)
    {
        EnqueueResult result;
        lock (_lock)
        {
            result = EnqueueLocked(message, batch);
        }

        DeadLetterPending(batch);
        return result;
    }

    private EnqueueResult EnqueueLocked(Message message, FlushBatch batch)
    {
        if (IsDeleted)
        {
            return EnqueueResult.Gone;
        }

        var settings = Settings;
        if (settings.HasLengthLimit && settings.Overflow != OverflowBehaviour.DropHead && IsFullFor(message))
        {
            // RabbitMQ's reject-publish: the newest message is refused; -dlx also dead-letters it.
            if (settings.Overflow == OverflowBehaviour.RejectPublishDeadLetter && settings.DeadLetterExchange is not null)
            {
                message.AddReference();
                _deadLetters.Add((new QueueEntry(-1, message, redelivered: false), DeadLetterReason.MaxLength));
                Volatile.Write(ref _deadLetterCount, _deadLetters.Count);
            }

            return EnqueueResult.Rejected;
        }

        var sequence = _nextSequence++;
        Stats.OnPublished();
        var expiresAt = ExpiryFor(message);
        var persistent = IsKeptOnDisk(message);
        // Older messages that expired go first, so they are not delivered ahead of this one.
        ExpireLocked();
        _readyBodyBytes += message.BodyLength;
        ref var tail = ref _tails[_ready.LevelOf(message)];
        if (tail.Count == 0 && HeadHasRoom(message.Size))
        {
            var location = persistent ? tail.Log.Append(sequence, message, persistent: true, toTail: false, expiresAt) : RecordLocation.None;
            message.AddReference();
            _ready.Append(new QueueEntry(sequence, message, redelivered: false, location, expiresAt));
        }
        else
        {
            // Over the head's limits (or behind an existing tail of its level, to keep order): the log holds it.
            if (tail.Count == 0)
            {
                tail.Cursor = tail.Log.End;
                tail.FirstSequence = sequence;
            }

            tail.Log.Append(sequence, message, persistent, toTail: true, expiresAt);
            tail.Count++;
            _tailCount++;
        }

        // A consumer waiting with credit gets it now, before TTL 0 or a length limit of 0 can drop it
        // (RabbitMQ delivers first, then applies the limits).
        if (_consumers.Count > 0)
        {
            DeliverLocked(batch, expireFirst: false);
        }

        if (settings.HasLengthLimit)
        {
            DropOverLimitLocked();
        }

        if (expiresAt != QueueEntry.NoExpiry)
        {
            // TTL 0 means "deliver now or never": what the delivery left behind expires at once.
            ExpireLocked();
            ArmExpiryTimerLocked();
        }

        return EnqueueResult.Enqueued;
    }

    public override EngineError AddConsumer(Consumer consumer)
    {
        lock (_lock)
        {
            if (IsDeleted)
            {
                return EngineError.NotFound($"no queue '{Name}' in vhost '{VirtualHost.Name}'");
            }

            // A single-active-consumer queue refuses exclusive consumers even when it has none.
            if ((_consumers.Count > 0 && (consumer.Exclusive || _consumers[0].Exclusive)) || (consumer.Exclusive && Settings.SingleActiveConsumer))
            {
                return EngineError.AccessRefused($"queue '{Name}' in vhost '{VirtualHost.Name}' in exclusive use");
            }

            // Sorted by priority, highest first; equal priorities keep arrival order. A single active
            // consumer queue keeps arrival order only: the first one registered is the active one.
            var at = _consumers.Count;
            while (!Settings.SingleActiveConsumer && at > 0 && _consumers[at - 1].Priority < consumer.Priority)
            {
                at--;
            }

            _consumers.Insert(at, consumer);
            _hadConsumers = true;
            TouchLocked();
            return EngineError.None;
        }
    }

    public override bool RemoveConsumer(Consumer consumer)
    {
        lock (_lock)
        {
            if (!_consumers.Remove(consumer))
            {
                return false;
            }

            TouchLocked();

            // Under single active consumer the next one in line takes over now.
            if (Settings.SingleActiveConsumer && _consumers.Count > 0 && (_ready.Count > 0 || _tailCount > 0))
            {
                _pump.ScheduleLocked();
            }

            return AutoDelete && _hadConsumers && _consumers.Count == 0 && !IsDeleted;
        }
    }

    public override bool TryGet(bool noAck, out QueueEntry entry, out long remaining, FlushBatch batch)
    {
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    TouchLocked();
                    ExpireLocked();
                    if (IsDeleted || (_ready.Count == 0 && _tailCount == 0))
                    {
                        entry = default;
                        remaining = 0;
                        return false;
                    }

                    if (_ready.Count > 0 && HeadIsNextLocked())
                    {
                        // The caller writes get-ok from the message and then releases it if no-ack.
                        entry = _ready.TakeHead();
                        _readyBodyBytes -= entry.Message.BodyLength;
                        OnDeliveredLocked(entry, noAck, release: false);
                        Stats.OnGot(noAck, entry.Redelivered);

                        // get-ok's count leaves out what is already expired at the new head (as RabbitMQ's).
                        ExpireLocked();
                        remaining = _ready.Count + _tailCount;
                        if (NeedsRefillLocked())
                        {
                            _refiller.ScheduleLocked();
                        }

                        return true;
                    }
                }

                // What comes next is in a tail: read some back now, without the lock, then take one.
                _refiller.RefillNow(batch);
            }
        }
        finally
        {
            DeadLetterPending(batch);
        }
    }

    public override void Settle(ReadOnlySpan<QueueEntry> entries, SettleAction action, FlushBatch batch)
    {
        lock (_lock)
        {
            foreach (ref readonly var entry in entries)
            {
                SettleLocked(entry, action);
            }

            if (action == SettleAction.Requeue)
            {
                // A requeue into a full drop-head queue drops from the head: possibly the requeued message.
                if (Settings.HasLengthLimit)
                {
                    DropOverLimitLocked();
                }

                ExpireLocked();
                ArmExpiryTimerLocked();
            }

            if (_consumers.Count > 0)
            {
                DeliverLocked(batch);
            }
        }

        DeadLetterPending(batch);
    }

    public override void Pump(FlushBatch batch)
    {
        lock (_lock)
        {
            if (_consumers.Count > 0 && (_ready.Count > 0 || _tailCount > 0))
            {
                DeliverLocked(batch);
            }
        }

        DeadLetterPending(batch);
    }

    public override void SchedulePump()
    {
        lock (_lock)
        {
            _pump.ScheduleLocked();
        }
    }

    public override void Touch()
    {
        lock (_lock)
        {
            TouchLocked();
        }
    }

    public override long Purge()
    {
        lock (_lock)
        {
            var purged = (long)_ready.Clear(entry =>
            {
                LogOf(entry.Message).Settle(entry.Location, entry.Sequence, IsKeptOnDisk(entry.Message));
                entry.Message.Release();
            });
            purged += DropTailLocked();
            _readyBodyBytes = 0;
            return purged;
        }
    }

    internal override long MarkDeleted(List<Consumer> detachedConsumers)
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
            var count = (long)_ready.Clear(static entry => entry.Message.Release()) + _tailCount;
            _tailCount = 0;
            _tailEpoch++;
            _readyBodyBytes = 0;
            foreach (ref var tail in _tails.AsSpan())
            {
                tail.Count = 0;
                tail.Log.Delete();
            }

            StopTimersLocked();
            return count;
        }
    }

    /// <summary>One run of the delivery pump (see <see cref="DeliveryPump"/>): true when it stopped on its budget.</summary>
    private bool RunDelivery()
    {
        bool more;
        lock (_lock)
        {
            more = _consumers.Count > 0 && DeliverLocked(_pumpBatch);
        }

        DeadLetterPending(_pumpBatch);
        _pumpBatch.FlushAll();
        return more;
    }

    /// <summary>
    /// Whether the message's record in the log is synced and recovered: persistent messages of a durable
    /// queue, and every message of a type that keeps all (quorum queues ignore the delivery mode).
    /// </summary>
    private bool IsKeptOnDisk(Message message) => Durable && (_keepsEveryMessage || message.IsPersistent);

    /// <summary>Whether the head in memory takes one more message: its limits count every priority level.</summary>
    private bool HeadHasRoom(int size) =>
        _ready.Count < _limits.HeadMaxCount && _ready.Bytes + size <= _limits.HeadMaxBytes && _memory.HasRoom;

    private bool IsFullFor(Message message)
    {
        var settings = Settings;
        var count = _ready.Count + _tailCount;
        return (settings.MaxLength >= 0 && count >= settings.MaxLength)
            || (settings.MaxLengthBytes >= 0 && _readyBodyBytes + message.BodyLength > settings.MaxLengthBytes);
    }

    /// <summary>
    /// x-overflow drop-head: messages go from the head (dead-lettered as maxlen) until within the limits.
    /// In a priority queue that is the next to deliver, the oldest of the highest priority, not the
    /// oldest of all: RabbitMQ drops from its first non-empty backing queue, highest priority first.
    /// A reject-publish queue never drops what it holds: a requeue may leave it over its limit, as in RabbitMQ.
    /// </summary>
    private void DropOverLimitLocked()
    {
        var settings = Settings;
        if (settings.Overflow != OverflowBehaviour.DropHead)
        {
            return;
        }
        while ((settings.MaxLength >= 0 && _ready.Count + _tailCount > settings.MaxLength)
            || (settings.MaxLengthBytes >= 0 && _readyBodyBytes > settings.MaxLengthBytes))
        {
            if (_ready.Count == 0 || !HeadIsNextLocked())
            {
                if (_tailCount == 0 || !_refiller.RefillLocked())
                {
                    return;
                }

                continue;
            }

            var dropped = _ready.TakeHead();
            _readyBodyBytes -= dropped.Message.BodyLength;
            RemoveLocked(dropped, DeadLetterReason.MaxLength);
        }
    }

    /// <summary>A ready message leaves for good: its record is settled; it is dead-lettered if the queue has a DLX.</summary>
    private void RemoveLocked(in QueueEntry entry, DeadLetterReason reason)
    {
        var settings = Settings;
        if (settings.DeadLetterAtLeastOnce && settings.DeadLetterExchange is not null && entry.Location != RecordLocation.None && IsKeptOnDisk(entry.Message))
        {
            // At least once: the record stays until the dead-lettered copies are on disk.
            AwaitDeadLetterLocked(entry);
        }
        else
        {
            LogOf(entry.Message).Settle(entry.Location, entry.Sequence, IsKeptOnDisk(entry.Message));
        }

        if (settings.DeadLetterExchange is not null)
        {
            _deadLetters.Add((entry, reason));
            Volatile.Write(ref _deadLetterCount, _deadLetters.Count);
        }
        else
        {
            entry.Message.Release();
        }
    }

    private void SettleLocked(in QueueEntry entry, SettleAction action)
    {
        _unacked--;
        if (action == SettleAction.Requeue && !IsDeleted)
        {
            var returned = entry.AsReturned(counted: _countsReturns);
            var limit = Settings.DeliveryLimit;
            if (limit >= 0 && returned.DeliveryCount > limit)
            {
                RemoveLocked(returned, DeadLetterReason.DeliveryLimit);
                return;
            }

            if (_countsReturns && IsKeptOnDisk(entry.Message))
            {
                LogOf(entry.Message).MarkReturned(entry.Location, entry.Sequence, returned.DeliveryCount);
            }

            _ready.InsertOrdered(returned);
            _readyBodyBytes += entry.Message.BodyLength;
            return;
        }

        if (IsDeleted)
        {
            entry.Message.Release();
            return;
        }

        if (action == SettleAction.Discard)
        {
            RemoveLocked(entry, DeadLetterReason.Rejected);
            return;
        }

        LogOf(entry.Message).Settle(entry.Location, entry.Sequence, IsKeptOnDisk(entry.Message));
        entry.Message.Release();
    }

    /// <summary>Bookkeeping when an entry leaves the ready list for a consumer or basic.get.</summary>
    private void OnDeliveredLocked(in QueueEntry entry, bool noAck, bool release = true)
    {
        if (noAck)
        {
            LogOf(entry.Message).Settle(entry.Location, entry.Sequence, IsKeptOnDisk(entry.Message));
            if (release)
            {
                entry.Message.Release();
            }

            return;
        }

        _unacked++;
        if (IsKeptOnDisk(entry.Message) && !entry.Redelivered)
        {
            LogOf(entry.Message).MarkDelivered(entry.Location, entry.Sequence);
        }
    }

    /// <summary>
    /// Hands ready messages to consumers with credit: highest priority first, round robin among equals.
    /// Returns true when it stopped on its budget with more to deliver (the caller reschedules).
    /// </summary>
    private bool DeliverLocked(FlushBatch batch, bool expireFirst = true)
    {
        if (expireFirst)
        {
            ExpireLocked();
        }

        var budget = DeliveryBudget;
        while (_ready.Count > 0 && (_tailCount == 0 || HeadIsNextLocked()))
        {
            if (budget-- == 0)
            {
                _pump.ScheduleLocked();
                return true;
            }

            if (!DeliverOneLocked(batch, expireFirst))
            {
                return false;
            }
        }

        // Empty, or a higher priority level waits in its tail: read back before delivering more.
        if (_tailCount > 0)
        {
            _refiller.ScheduleLocked();
        }

        return false;
    }

    private bool DeliverOneLocked(FlushBatch batch, bool expire)
    {
        if (expire && _ready.PeekHead().ExpiresAt != QueueEntry.NoExpiry)
        {
            ExpireLocked();
            if (_ready.Count == 0 || !HeadIsNextLocked())
            {
                // What comes next is in a tail: the refill delivers it.
                if (_tailCount > 0)
                {
                    _refiller.ScheduleLocked();
                }

                return false;
            }
        }

        var consumers = _consumers;
        var count = Settings.SingleActiveConsumer ? Math.Min(1, consumers.Count) : consumers.Count;
        var groupStart = 0;
        while (groupStart < count)
        {
            var priority = consumers[groupStart].Priority;
            var groupEnd = groupStart + 1;
            while (groupEnd < count && consumers[groupEnd].Priority == priority)
            {
                groupEnd++;
            }

            // Each priority group takes turns on its own (the whole list is one group unless x-priority is used).
            var groupSize = groupEnd - groupStart;
            var single = groupSize == count;
            var cursor = single ? _roundRobin : GroupCursor(priority);
            for (var k = 0; k < groupSize; k++)
            {
                var index = groupStart + ((cursor + k) % groupSize);
                var consumer = consumers[index];
                ref readonly var head = ref _ready.PeekHead();
                if (consumer.Session.TryDeliver(consumer, this, head, batch))
                {
                    var entry = _ready.TakeHead();
                    _readyBodyBytes -= entry.Message.BodyLength;
                    OnDeliveredLocked(entry, consumer.NoAck);
                    if (NeedsRefillLocked())
                    {
                        _refiller.ScheduleLocked();
                    }

                    if (single)
                    {
                        _roundRobin = index - groupStart + 1;
                    }
                    else
                    {
                        _roundRobinByPriority![priority] = index - groupStart + 1;
                    }

                    return true;
                }
            }

            groupStart = groupEnd;
        }

        return false;
    }

    private int GroupCursor(int priority)
    {
        _roundRobinByPriority ??= [];
        return _roundRobinByPriority.GetValueOrDefault(priority);
    }

    /// <summary>
    /// Routes what was queued for dead-lettering, outside the lock (the target may be this queue), one
    /// thread at a time so that they reach their targets in the order they left this queue: two threads
    /// (an expiry timer and a tail read, say) routing their lists at once would interleave them.
    /// </summary>
    private void DeadLetterPending(FlushBatch batch)
    {
        // Unlocked look first: this runs after every enqueue, settle and pump, and the list is nearly
        // always empty. Missing an entry another thread just added is harmless: that thread calls this
        // itself once it leaves the lock.
        while (Volatile.Read(ref _deadLetterCount) != 0)
        {
            // Not a lock to wait on: routing may enqueue into a queue that dead-letters back here.
            // The thread routing takes what others add; it looks again after letting go, as an entry
            // added between its last look and its release found the flag still set.
            if (Interlocked.CompareExchange(ref _routingDeadLetters, 1, 0) != 0)
            {
                return;
            }

            try
            {
                while (TakeDeadLetters() is { } pending)
                {
                    VirtualHost.DeadLetter(this, pending, batch);
                }
            }
            finally
            {
                Interlocked.Exchange(ref _routingDeadLetters, 0);
            }
        }
    }

    private List<(QueueEntry Entry, DeadLetterReason Reason)>? TakeDeadLetters()
    {
        lock (_lock)
        {
            if (_deadLetters.Count == 0)
            {
                return null;
            }

            List<(QueueEntry Entry, DeadLetterReason Reason)> pending = [.. _deadLetters];
            _deadLetters.Clear();
            Volatile.Write(ref _deadLetterCount, 0);
            return pending;
        }
    }
}
