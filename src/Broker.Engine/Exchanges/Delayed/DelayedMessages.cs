using Broker.DataModel.Content;
using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Stores;

namespace Broker.Engine.Exchanges.Delayed;

/// <summary>
/// The messages a delayed exchange holds. Bodies live in the exchange's log (on disk, like a queue's
/// tail; every message of a durable exchange is synced, whatever its delivery mode, as the plugin keeps
/// them all on disk, and its publisher is confirmed then);
/// memory holds only a (due time, sequence, location) entry per message, in a heap ordered by due
/// time then arrival. One timer is armed for the earliest due time: nothing runs while messages wait.
/// When it fires, due messages are read back one by one and routed through the vhost's one publish
/// operation; a record is settled once the copies it was routed to are on disk.
/// </summary>
internal sealed class DelayedMessages : IPersistListener
{
    /// <summary>Messages routed per batch before outputs are flushed.</summary>
    private const int RunBatch = 256;

    /// <summary>Timers take at most about 49 days; a later due time wakes the timer early and it re-arms.</summary>
    private const long MaxTimerDelay = 3_600_000;

    private readonly DelayedMessageExchange _exchange;
    private readonly IQueueLog _log;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly PriorityQueue<long, DueKey> _due = new();
    private readonly Dictionary<long, long> _awaitingDisk = [];
    private readonly ITimer _timer;
    private readonly List<(long Location, long Sequence)> _run = [];
    private readonly RouteTargets _targets = new();
    private readonly FlushBatch _flush = new();
    private long _nextSequence;
    private long _armedFor = long.MaxValue;
    private bool _started;
    private bool _stopped;
    private int _wakeups;

    public DelayedMessages(DelayedMessageExchange exchange, IQueueLog log, TimeProvider time)
    {
        _exchange = exchange;
        _log = log;
        _time = time;
        _timer = time.CreateTimer(static state => ((DelayedMessages)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _nextSequence = log.NextSequence;
        if (log.RecoveredCount > 0)
        {
            LoadRecovered();
        }
        else
        {
            _started = true;
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _due.Count;
            }
        }
    }

    private bool Durable => _exchange.Durable;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Holds <paramref name="message"/> for <paramref name="delay"/> ms. The log copies it (in a durable
    /// exchange it joins the publisher's persist tracking); the caller keeps its reference.
    /// </summary>
    public void Add(Message message, long delay)
    {
        var now = Now;
        var dueAt = now + delay;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            var sequence = _nextSequence++;
            var location = _log.Append(sequence, message, persistent: Durable, toTail: true, dueAt);
            _due.Enqueue(location, new DueKey(dueAt, sequence));
            if (dueAt < _armedFor)
            {
                ArmLocked(now);
            }
        }
    }

    /// <summary>Arms the timer for recovered messages (after bindings were restored).</summary>
    public void Start()
    {
        lock (_lock)
        {
            _started = true;
            ArmLocked(Now);
        }
    }

    /// <summary>The exchange was deleted: what it held is dropped, as the plugin's pending messages route nowhere.</summary>
    public void Drop()
    {
        lock (_lock)
        {
            Stop();
            _due.Clear();
            _awaitingDisk.Clear();
            _log.Delete();
        }
    }

    /// <summary>The broker is stopping: no more routing; the log keeps what is pending.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            _timer.Dispose();
        }
    }

    public void OnPersisted(ulong confirmSequence, bool success)
    {
        // A copy that could not be stored leaves the record in place: routed again after a restart.
        if (!success)
        {
            return;
        }

        lock (_lock)
        {
            var sequence = (long)confirmSequence;
            // Settled even when stopping: the writer still runs, and a routed record must not be routed again.
            if (_awaitingDisk.Remove(sequence, out var location))
            {
                _log.Settle(location, sequence, persistent: true);
            }
        }
    }

    public void OnPersistBatchCompleted()
    {
    }

    private void LoadRecovered()
    {
        var cursor = _log.Start;
        var entries = new List<QueueEntry>();
        while (_log.Read(ref cursor, entries, 1024, 16L * 1024 * 1024) > 0)
        {
            foreach (var entry in entries)
            {
                _due.Enqueue(entry.Location, new DueKey(entry.ExpiresAt, entry.Sequence));
                entry.Message.Release();
            }

            entries.Clear();
        }
    }

    private void ArmLocked(long now)
    {
        if (!_started || _stopped || !_due.TryPeek(out _, out var first))
        {
            return;
        }

        var delay = Math.Clamp(first.DueAt - now, 0, MaxTimerDelay);
        _armedFor = now + delay;
        _timer.Change(TimeSpan.FromMilliseconds(delay), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        // One run at a time; a wake-up during a run makes it look again before it stops.
        if (Interlocked.Increment(ref _wakeups) != 1)
        {
            return;
        }

        do
        {
            Volatile.Write(ref _wakeups, 1);
            try
            {
                RouteDue();
            }
            catch (Exception ex)
            {
                _exchange.VirtualHost.Engine.ReportUnexpected(ex, $"routing delayed messages of {_exchange.DisplayName}");
            }
        }
        while (Interlocked.CompareExchange(ref _wakeups, 0, 1) != 1);
    }

    private void RouteDue()
    {
        while (true)
        {
            lock (_lock)
            {
                if (_stopped)
                {
                    return;
                }

                var now = Now;
                _run.Clear();
                while (_run.Count < RunBatch && _due.TryPeek(out var location, out var key) && key.DueAt <= now)
                {
                    _due.Dequeue();
                    _run.Add((location, key.Sequence));
                }

                if (_run.Count == 0)
                {
                    _armedFor = long.MaxValue;
                    ArmLocked(now);
                    return;
                }
            }

            foreach (var (location, sequence) in _run)
            {
                Route(location, sequence);
            }

            _flush.FlushAll();
        }
    }

    /// <summary>Reads a due message back, marks it as having come through a delay, and publishes it.</summary>
    private void Route(long location, long sequence)
    {
        var message = _log.ReadAt(location);
        if (message is null)
        {
            return;
        }

        var persistent = Durable;
        message = WithNegatedDelay(message);
        message.TimeToLive = TimeToLive(message);
        try
        {
            IPersistListener? listener = null;
            if (persistent)
            {
                lock (_lock)
                {
                    _awaitingDisk[sequence] = location;
                }

                listener = this;
            }

            var headers = MessageProperties.Parse(message.Properties).HeadersBody;
            var outcome = _exchange.VirtualHost.Publish(_exchange, ref message, headers, _targets, _flush, listener, (ulong)sequence);
            if (!outcome.PersistPending)
            {
                lock (_lock)
                {
                    _awaitingDisk.Remove(sequence);
                    _log.Settle(location, sequence, persistent);
                }
            }
        }
        finally
        {
            message.Release();
        }
    }

    /// <summary>
    /// A copy whose x-delay is -delay (a long), as the plugin's swap_delay_header does before routing:
    /// a delayed exchange further on does not hold it again. Releases <paramref name="message"/>.
    /// </summary>
    private Message WithNegatedDelay(Message message)
    {
        var properties = MessageProperties.Parse(message.Properties);
        if (DelayHeader.Read(properties.HeadersBody, out var delay) != DelayKind.Delayed)
        {
            return message;
        }

        var buffer = message.Properties.Length + DelayHeader.MaxGrowth <= 1024
            ? stackalloc byte[1024]
            : new byte[message.Properties.Length + DelayHeader.MaxGrowth];
        var length = DelayHeader.WriteNegated(message.Properties, properties.HeadersBodyOffset, properties.HeadersBody.Length, delay, buffer);
        var copy = _exchange.VirtualHost.Engine.Messages.Rent(message.Exchange, message.RoutingKey, buffer[..length], message.BodyLength, message.IsPersistent, message.Priority);
        copy.AppendBody(message.Body);
        message.Release();
        return copy;
    }

    /// <summary>
    /// The expiration property's TTL, which counts from when the message reaches a queue: at its due
    /// time. The log does not keep the value the channel parsed (and validated) at publish.
    /// </summary>
    private static long TimeToLive(Message message)
    {
        var properties = MessageProperties.Parse(message.Properties);
        return properties.HasExpiration && long.TryParse(properties.Expiration, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var ttl)
            ? ttl
            : -1;
    }

    private readonly record struct DueKey(long DueAt, long Sequence) : IComparable<DueKey>
    {
        public int CompareTo(DueKey other) => DueAt != other.DueAt ? DueAt.CompareTo(other.DueAt) : Sequence.CompareTo(other.Sequence);
    }
}
