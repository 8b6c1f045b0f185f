using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Messages;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// A stream: every message appended to its log at the next offset, stamped with the time, and kept
/// until retention removes its whole segment. Each consumer reads from its own position at its own
/// pace; acknowledgements only give credit back. Memory holds the index and what consumers have
/// unacknowledged, never the stream: reads come from the log (see StreamQueue.Delivery.cs).
/// </summary>
public sealed partial class StreamQueue : MessageQueue
{
    private readonly Lock _lock = new();
    private readonly IStreamLog _log;
    private volatile StreamRetention _retention;
    private readonly StreamIndex _index = new();
    private readonly List<StreamSubscription> _subscriptions = [];
    private readonly TimeProvider _time;
    private readonly DeliveryPump _pump;
    private long _next;
    private long _lastTimestamp;
    private LogPosition _lastPosition;

    /// <param name="segmentSize">The log's segment size, fixed when it was opened.</param>
    public StreamQueue(VirtualHost virtualHost, QueueType type, in QueueDeclaration declaration, IStreamLog log, long segmentSize)
        : base(virtualHost, type, declaration)
    {
        _log = log;
        _retention = new StreamRetention(Settings.MaxLengthBytes, Settings.MaxAge, segmentSize);
        _time = virtualHost.Engine.Options.Time;
        _pump = new DeliveryPump(_lock, this, RunDelivery);
        _next = log.NextSequence;
        if (_next > 0)
        {
            IndexRecovered();
        }

        // Consumers get records once they are in the log's file: the writer wakes the pump then.
        log.Written = SchedulePump;
    }

    public StreamRetention Retention => _retention;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public override EnqueueResult Enqueue(Message message, FlushBatch batch)
    {
        lock (_lock)
        {
            if (IsDeleted)
            {
                return EnqueueResult.Gone;
            }

            // Times never go backwards in a stream, so a search by time can trust the order.
            var timestamp = Math.Max(Now, _lastTimestamp);
            var offset = _next;
            var location = _log.Append(offset, message, timestamp, out var size);
            if (location == RecordLocation.None)
            {
                return EnqueueResult.Gone;
            }

            _next = offset + 1;
            Stats.OnPublished();
            _lastTimestamp = timestamp;
            _lastPosition = RecordLocation.Unpack(location);
            if (_index.Add(offset, timestamp, _lastPosition, size))
            {
                ApplyRetentionLocked();
            }

            // Consumers are woken by the log once the record is readable (log.Written), not here.

            return EnqueueResult.Enqueued;
        }
    }

    public override EngineError AddConsumer(Consumer consumer)
    {
        var arguments = consumer.Arguments ?? new DataModel.Encoding.FieldTable();
        var error = StreamOffsetSpec.Parse(arguments, DisplayName, Now, out var spec);
        if (error.IsError)
        {
            return error;
        }

        var (offset, cursor) = ResolveStart(spec);
        lock (_lock)
        {
            if (IsDeleted)
            {
                return EngineError.NotFound($"no queue '{Name}' in vhost '{VirtualHost.Name}'");
            }

            _subscriptions.Add(new StreamSubscription(consumer, StreamFilter.FromArguments(arguments), offset, cursor));
            return EngineError.None;
        }
    }

    public override bool RemoveConsumer(Consumer consumer)
    {
        StreamSubscription? removed = null;
        lock (_lock)
        {
            for (var i = 0; i < _subscriptions.Count; i++)
            {
                if (ReferenceEquals(_subscriptions[i].Consumer, consumer))
                {
                    removed = _subscriptions[i];
                    _subscriptions.RemoveAt(i);
                    break;
                }
            }
        }

        if (removed is not null)
        {
            // Waits for a delivery batch in progress: nothing reaches the consumer after this.
            lock (_deliveryLock)
            {
                removed.Removed = true;
            }
        }

        // Streams are never auto-delete.
        return false;
    }

    /// <summary>Refused before it gets here (basic.get is not supported by streams).</summary>
    public override bool TryGet(bool noAck, out QueueEntry entry, out long remaining, FlushBatch batch)
    {
        entry = default;
        remaining = 0;
        return false;
    }

    /// <summary>An acknowledgement (or a closed channel's unacknowledged delivery) gives its consumer credit back; nothing leaves the stream.</summary>
    public override void Settle(ReadOnlySpan<QueueEntry> entries, SettleAction action, FlushBatch batch)
    {
        foreach (ref readonly var entry in entries)
        {
            entry.Message.Release();
        }

        SchedulePump();
    }

    public override void Touch()
    {
    }

    /// <summary>Refused before it gets here (queue.purge is not supported by streams).</summary>
    public override long Purge() => 0;

    public override void CopyConsumers(List<Consumer> into)
    {
        lock (_lock)
        {
            foreach (var subscription in _subscriptions)
            {
                into.Add(subscription.Consumer);
            }
        }
    }

    public override QueueCounts GetCounts()
    {
        lock (_lock)
        {
            var unacked = 0;
            foreach (var subscription in _subscriptions)
            {
                unacked += subscription.Consumer.Unacked;
            }

            return new QueueCounts(MessageCountLocked(), _subscriptions.Count, unacked);
        }
    }

    public override void StartRecovered()
    {
        lock (_lock)
        {
            ApplyRetentionLocked();
        }
    }

    /// <summary>
    /// A policy changed the stream's retention: it applies at once (as osiris:update_retention). The segment
    /// size stays the log's until the next start, as RabbitMQ's stream members read it when they start.
    /// </summary>
    protected override void OnApplySettings(QueueSettings settings)
    {
        lock (_lock)
        {
            SwapSettings(settings);
            var retention = _retention with { MaxBytes = settings.MaxLengthBytes, MaxAgeMilliseconds = settings.MaxAge };
            if (IsDeleted || retention == _retention)
            {
                return;
            }

            _retention = retention;
            ApplyRetentionLocked();
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

            // Under the delivery lock too: no delivery follows the basic.cancel the caller sends.
            lock (_deliveryLock)
            {
                foreach (var subscription in _subscriptions)
                {
                    subscription.Removed = true;
                    detachedConsumers.Add(subscription.Consumer);
                }
            }

            _subscriptions.Clear();
            var count = MessageCountLocked();
            _log.Delete();
            return count;
        }
    }

    private long MessageCountLocked() => _index.FirstOffset < 0 ? 0 : _next - _index.FirstOffset;

    /// <summary>Drops the oldest segments beyond x-max-length-bytes or x-max-age. Under the lock.</summary>
    private void ApplyRetentionLocked()
    {
        if (_retention.MaxBytes < 0 && _retention.MaxAgeMilliseconds < 0)
        {
            return;
        }

        foreach (var segment in _index.SegmentsBeyond(_retention, Now))
        {
            _index.RemoveSegment(segment);
            _log.DropSegment(segment);
        }
    }

    /// <summary>Builds the index from what the log recovered (a scan of offsets and times, no messages).</summary>
    private void IndexRecovered()
    {
        var records = new List<StreamRecord>(StreamIndex.PointInterval);
        var cursor = _log.Start;
        while (true)
        {
            records.Clear();
            if (_log.Scan(ref cursor, records, StreamIndex.PointInterval) == 0)
            {
                break;
            }

            foreach (var record in records)
            {
                _index.Add(record.Offset, record.Timestamp, record.Position, record.Size);
                _lastTimestamp = Math.Max(_lastTimestamp, record.Timestamp);
                _lastPosition = record.Position;
            }
        }
    }

    /// <summary>
    /// The first offset a new consumer gets and the log position to read it from. The choice is made
    /// under the lock; a search for an offset or a time then scans the log from the nearest index
    /// point without it.
    /// </summary>
    private (long Offset, LogPosition Cursor) ResolveStart(StreamOffsetSpec spec)
    {
        IndexPoint from;
        long target;
        lock (_lock)
        {
            var first = _index.FirstOffset;
            if (first < 0 || spec.Kind == StreamOffsetKind.Next)
            {
                return (_next, _log.End);
            }

            switch (spec.Kind)
            {
                case StreamOffsetKind.Last:
                    // RabbitMQ starts "last" at its last chunk; a chunk here is one message.
                    return (_next - 1, _lastPosition);
                case StreamOffsetKind.First:
                    return (first, _index.FirstPosition!.Value);
                case StreamOffsetKind.Offset:
                    // Past the end, the consumer waits for that offset (as osiris does); before the start, it begins there.
                    if (spec.Value >= _next)
                    {
                        return (spec.Value, _log.End);
                    }

                    target = Math.Max(spec.Value, first);

                    from = _index.FloorByOffset(target)!.Value;
                    break;
                default:
                    target = spec.Value;
                    from = _index.FloorByTime(target)!.Value;
                    break;
            }
        }

        var byTime = spec.Kind == StreamOffsetKind.Timestamp;
        var records = new List<StreamRecord>(256);
        var cursor = from.Position;
        var next = from.Offset;
        while (true)
        {
            records.Clear();
            var scanned = _log.Scan(ref cursor, records, 256);
            if (scanned == 0)
            {
                // Nothing at or after the target yet: start with what comes next.
                return (next, cursor);
            }

            foreach (var record in records)
            {
                if (byTime ? record.Timestamp >= target : record.Offset >= target)
                {
                    return (record.Offset, record.Position);
                }

                next = record.Offset + 1;
            }
        }
    }
}
