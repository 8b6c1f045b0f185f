using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Tracing;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Sessions;

/// <summary>
/// One client session with a virtual host (an AMQP channel): the one owner of its consumers, their
/// prefetch credit, its delivery tags and its unacknowledged deliveries. Queues deliver through it
/// from any thread (<see cref="TryDeliver"/>, under the queue's lock); the session's own
/// <see cref="_lock"/> guards what both sides touch and is held while the delivery is written, so
/// tags reach the client in order. Protocol-neutral: an <see cref="IDeliveryTarget"/> writes.
/// </summary>
public sealed class Session : IConsumerSession
{
    private readonly Lock _lock = new();
    private readonly IDeliveryTarget _target;
    private readonly Dictionary<string, Consumer> _consumers = [];
    private readonly UnackedDeliveries _unacked = new();
    private QueueEntry[] _settleEntries = [];
    private bool _open = true;
    private ulong _deliveryTag;
    private int _consumerUnacked;
    private int _prefetchCount;
    private int _globalPrefetch;
    private ulong _watchedTag;
    private long _watchedSince;

    // The consumer tag of untracked deliveries (direct reply-to), or null when nobody takes them.
    private byte[]? _untrackedConsumerTag;

    /// <param name="number">The session's number on its connection (the AMQP channel number).</param>
    public Session(VirtualHost virtualHost, IClientConnection connection, IDeliveryTarget target, int number = 0)
    {
        VirtualHost = virtualHost;
        Connection = connection;
        _target = target;
        TraceOrigin = new TraceOrigin(connection.Name, number, connection.UserName);
    }

    public VirtualHost VirtualHost { get; }

    public IClientConnection Connection { get; }

    /// <summary>The channel the session serves, for the management API's channel and consumer details.</summary>
    public ushort ChannelNumber => (ushort)TraceOrigin.Channel;

    /// <summary>Prefetch limits as basic.qos set them: per consumer and channel-wide (0 is none).</summary>
    public (int PerConsumer, int Global) Prefetch
    {
        get
        {
            lock (_lock)
            {
                return (_prefetchCount, _globalPrefetch);
            }
        }
    }

    /// <summary>Adds the session's consumers to <paramref name="into"/> (a snapshot for monitoring).</summary>
    public void CopyConsumers(List<Consumer> into)
    {
        lock (_lock)
        {
            into.AddRange(_consumers.Values);
        }
    }

    /// <summary>How the firehose names this session's publishes and deliveries.</summary>
    public TraceOrigin TraceOrigin { get; }

    /// <summary>Deliveries waiting for an ack (consumers' and gets').</summary>
    public int UnackedCount
    {
        get
        {
            lock (_lock)
            {
                return _unacked.Count;
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

    /// <summary>
    /// basic.consume: subscribes to <paramref name="queue"/> with a tag unique in this session
    /// (generated when empty). Errors carry RabbitMQ's codes and texts. The caller confirms, then pumps
    /// the queue, so the confirmation goes out before the first delivery.
    /// </summary>
    public Result<Consumer> Consume(MessageQueue queue, string tag, bool noAck, bool exclusive, FieldTable arguments)
    {
        if (!queue.IsAccessibleBy(Connection))
        {
            return VirtualHost.ExclusiveLockedError(queue);
        }

        var priority = 0;
        if (arguments.TryGetValue("x-priority", out var priorityArgument))
        {
            if (FieldValues.AsInteger(priorityArgument) is not { } value || value is < int.MinValue or > int.MaxValue)
            {
                return EngineError.PreconditionFailed(
                    $"invalid arg 'x-priority' for {queue.DisplayName}: {{unacceptable_type,{FieldValues.TypeName(priorityArgument)}}}");
            }

            priority = (int)value;
        }

        int prefetch, globalPrefetch;
        lock (_lock)
        {
            (prefetch, globalPrefetch) = (_prefetchCount, _globalPrefetch);
        }

        var refused = queue.Type.CheckConsume(queue, noAck, arguments, prefetch, globalPrefetch);
        if (refused.IsError)
        {
            return refused;
        }

        if (tag.Length == 0)
        {
            tag = VirtualHost.GenerateName("amq.ctag-");
        }

        Consumer consumer;
        lock (_lock)
        {
            if (_consumers.ContainsKey(tag))
            {
                return EngineError.NotAllowed($"attempt to reuse consumer tag '{tag}'");
            }

            consumer = new Consumer(tag, queue, this, noAck, exclusive && queue.Type.HonoursExclusiveConsume, priority, _prefetchCount, arguments);
            _consumers.Add(tag, consumer);
        }

        var error = queue.AddConsumer(consumer);
        if (error.IsError)
        {
            lock (_lock)
            {
                _consumers.Remove(tag);
            }

            return error;
        }

        return consumer;
    }

    public bool HasConsumer(string tag)
    {
        lock (_lock)
        {
            return _consumers.ContainsKey(tag);
        }
    }

    /// <summary>basic.cancel: an unknown tag is no error. An auto-delete queue goes with its last consumer.</summary>
    public void Cancel(string tag)
    {
        Consumer? consumer;
        lock (_lock)
        {
            _consumers.Remove(tag, out consumer);
        }

        if (consumer is not null && consumer.Queue.RemoveConsumer(consumer))
        {
            VirtualHost.DeleteQueue(consumer.Queue);
        }
    }

    /// <summary>
    /// basic.qos as RabbitMQ reads it: global applies to the whole session, shared by its consumers;
    /// otherwise to consumers created from now on, and it lifts a session-wide limit. Returns true when
    /// consumers may now take more: call <see cref="PumpConsumerQueues"/> after answering.
    /// </summary>
    public bool SetPrefetch(int count, bool global)
    {
        lock (_lock)
        {
            if (global)
            {
                var raised = count == 0 || (_globalPrefetch != 0 && count > _globalPrefetch);
                _globalPrefetch = count;
                return raised;
            }

            // rabbit_channel: "ensures that if default was set, it's overridden".
            _prefetchCount = count;
            var lifted = _globalPrefetch != 0;
            _globalPrefetch = 0;
            return lifted;
        }
    }

    public bool TryDeliver(Consumer consumer, MessageQueue queue, in QueueEntry entry, FlushBatch batch)
    {
        lock (_lock)
        {
            if (!_open)
            {
                return false;
            }

            if (!consumer.NoAck
                && ((consumer.PrefetchLimit > 0 && consumer.Unacked >= consumer.PrefetchLimit)
                    || (_globalPrefetch > 0 && _consumerUnacked >= _globalPrefetch)))
            {
                return false;
            }

            var tag = _deliveryTag + 1;
            var annotation = DeliveryAnnotation.For(queue.Type.DeliveryAnnotation, entry);
            if (!_target.TryWriteDelivery(consumer.TagBytes, tag, entry.Redelivered, entry.Message, annotation, yieldIfSaturated: true, batch))
            {
                return false;
            }

            _deliveryTag = tag;
            if (VirtualHost.Tracing)
            {
                VirtualHost.TraceDelivery(TraceOrigin, queue, entry.Message, entry.Redelivered, annotation);
            }

            if (!consumer.NoAck)
            {
                _unacked.Add(new UnackedDelivery(tag, queue, entry, consumer));
                consumer.Unacked++;
                _consumerUnacked++;
            }
        }

        queue.Stats.OnDelivered(consumer.NoAck, entry.Redelivered);
        return true;
    }

    public void OnConsumerCancelled(Consumer consumer)
    {
        lock (_lock)
        {
            // The tag may already belong to a newer consumer (cancelled and consumed again meanwhile):
            // only the consumer the queue let go of leaves.
            if (!_open || !_consumers.TryGetValue(consumer.Tag, out var current) || !ReferenceEquals(current, consumer))
            {
                return;
            }

            _consumers.Remove(consumer.Tag);

            // Written under the lock, so it cannot follow the session's close onto a closed channel.
            _target.WriteConsumerCancelled(consumer);
        }

        _target.Flush();
    }

    /// <summary>
    /// basic.get: takes the queue's head and writes it with the next delivery tag. Returns false when
    /// the queue has nothing ready; an error when the queue is exclusive to another connection.
    /// </summary>
    public Result<bool> Get(MessageQueue queue, bool noAck, FlushBatch batch)
    {
        if (!queue.IsAccessibleBy(Connection))
        {
            return VirtualHost.ExclusiveLockedError(queue);
        }

        var refused = queue.Type.CheckGet(queue);
        if (refused.IsError)
        {
            return refused;
        }

        if (!queue.TryGet(noAck, out var entry, out var remaining, batch))
        {
            return false;
        }

        lock (_lock)
        {
            var tag = ++_deliveryTag;
            if (!noAck)
            {
                _unacked.Add(new UnackedDelivery(tag, queue, entry, consumer: null));
            }

            var annotation = DeliveryAnnotation.For(queue.Type.DeliveryAnnotation, entry);
            _target.WriteGetOk(tag, entry.Redelivered, entry.Message, annotation, remaining);

            // RabbitMQ traces a basic.get as a delivery (a direct reply, untracked, is not traced).
            if (VirtualHost.Tracing)
            {
                VirtualHost.TraceDelivery(TraceOrigin, queue, entry.Message, entry.Redelivered, annotation);
            }
        }

        if (noAck)
        {
            // Nothing will settle it: the queue handed over its reference with the entry.
            entry.Message.Release();
        }

        return true;
    }

    /// <summary>Who takes untracked deliveries (direct reply-to): a consumer tag, or null for nobody.</summary>
    public void SetUntrackedConsumer(string? tag)
    {
        var bytes = tag is null ? null : System.Text.Encoding.UTF8.GetBytes(tag);
        lock (_lock)
        {
            _untrackedConsumerTag = bytes;
        }
    }

    /// <summary>
    /// A delivery that no queue tracks (direct reply-to): written to the untracked consumer with the
    /// next tag, never unacked. False when there is no such consumer, or the session or output is closed.
    /// </summary>
    public bool TryDeliverUntracked(Message message, FlushBatch batch)
    {
        lock (_lock)
        {
            if (!_open || _untrackedConsumerTag is not { } consumerTag)
            {
                return false;
            }

            var tag = _deliveryTag + 1;
            if (!_target.TryWriteDelivery(consumerTag, tag, redelivered: false, message, DeliveryAnnotation.None, yieldIfSaturated: false, batch))
            {
                return false;
            }

            _deliveryTag = tag;
            return true;
        }
    }

    /// <summary>
    /// Takes acknowledged deliveries out of the unacked set (as rabbit_channel:collect_acks): tag 0
    /// with multiple means all; an unknown tag fails the whole call with 406 and changes nothing.
    /// </summary>
    public EngineError TakeUnacked(ulong deliveryTag, bool multiple, List<UnackedDelivery> taken)
    {
        lock (_lock)
        {
            if (multiple && deliveryTag == 0)
            {
                _unacked.RemoveAll(taken);
                return EngineError.None;
            }

            if (!_unacked.Contains(deliveryTag))
            {
                return EngineError.PreconditionFailed($"unknown delivery tag {deliveryTag}");
            }

            if (multiple)
            {
                _unacked.RemoveUpTo(deliveryTag, taken);
            }
            else
            {
                _unacked.TryRemove(deliveryTag, out var delivery);
                taken.Add(delivery);
            }

            return EngineError.None;
        }
    }

    /// <summary>
    /// basic.reject and basic.nack of taken deliveries: refused when one came from a queue that does not
    /// support them (a stream); the deliveries are then put back, unsettled.
    /// </summary>
    public EngineError CheckReject(List<UnackedDelivery> taken)
    {
        foreach (var delivery in taken)
        {
            var refused = delivery.Queue.Type.CheckReject(delivery.Queue);
            if (refused.IsError)
            {
                RestoreUnacked(taken);
                taken.Clear();
                return refused;
            }
        }

        return EngineError.None;
    }

    /// <summary>basic.recover: every unacknowledged delivery, in tag order.</summary>
    public void TakeAllUnacked(List<UnackedDelivery> taken)
    {
        lock (_lock)
        {
            _unacked.RemoveAll(taken);
        }
    }

    /// <summary>Puts taken deliveries back (a rolled-back transaction's acks), in tag order.</summary>
    public void RestoreUnacked(List<UnackedDelivery> deliveries)
    {
        lock (_lock)
        {
            _unacked.Restore(deliveries);
        }
    }

    /// <summary>
    /// Settles taken deliveries: their consumers get credit back and their queues ack, requeue or
    /// discard them; consumers held back by the session-wide prefetch are served again. Clears
    /// <paramref name="settled"/>.
    /// </summary>
    public void Settle(List<UnackedDelivery> settled, SettleAction action, FlushBatch batch)
    {
        if (settled.Count == 0)
        {
            return;
        }

        var freedGlobal = false;
        lock (_lock)
        {
            foreach (var delivery in settled)
            {
                if (delivery.Consumer is { } consumer)
                {
                    consumer.Unacked--;
                    _consumerUnacked--;
                    freedGlobal = _globalPrefetch > 0;
                }
            }
        }

        SettleInQueues(settled, action, batch);
        settled.Clear();

        // A session-wide prefetch freed by an ack on one queue may let consumers on others proceed.
        if (freedGlobal)
        {
            PumpConsumerQueues(batch);
        }
    }

    /// <summary>
    /// Whether its oldest unacknowledged delivery has been waiting longer than <paramref name="timeoutMs"/>.
    /// Called about once a second (any thread): the first call that sees a delivery at the head starts
    /// its clock, so deliveries carry no timestamp and the check costs the hot path nothing.
    /// </summary>
    public bool AckTimedOut(long nowMs, long timeoutMs)
    {
        lock (_lock)
        {
            if (!_open || !_unacked.TryGetOldestTag(out var tag))
            {
                _watchedTag = 0;
                return false;
            }

            if (tag != _watchedTag)
            {
                _watchedTag = tag;
                _watchedSince = nowMs;
                return false;
            }

            return nowMs - _watchedSince > timeoutMs;
        }
    }

    /// <summary>Serves this session's consumers from the thread pool (after its output drained).</summary>
    public void ScheduleConsumerPumps()
    {
        List<MessageQueue> queues = [];
        lock (_lock)
        {
            foreach (var consumer in _consumers.Values)
            {
                queues.Add(consumer.Queue);
            }
        }

        foreach (var queue in queues)
        {
            queue.SchedulePump();
        }
    }

    /// <summary>
    /// Ends the session: consumers are cancelled (an auto-delete queue goes with its last one), and
    /// unacknowledged deliveries, with <paramref name="alsoRequeue"/> (a transaction's uncommitted
    /// acks), go back to their queues in tag order, redelivered, at their original positions.
    /// </summary>
    public void Close(List<UnackedDelivery>? alsoRequeue, FlushBatch batch)
    {
        List<Consumer> consumers;
        var unacked = new List<UnackedDelivery>();
        lock (_lock)
        {
            if (!_open)
            {
                return;
            }

            _open = false;
            consumers = [.. _consumers.Values];
            _consumers.Clear();
            _unacked.RemoveAll(unacked);
            _consumerUnacked = 0;
        }

        foreach (var consumer in consumers)
        {
            if (consumer.Queue.RemoveConsumer(consumer))
            {
                VirtualHost.DeleteQueue(consumer.Queue);
            }
        }

        if (alsoRequeue is { Count: > 0 })
        {
            unacked.AddRange(alsoRequeue);
            unacked.Sort(static (a, b) => a.Tag.CompareTo(b.Tag));
        }

        SettleInQueues(unacked, SettleAction.Requeue, batch);
    }

    /// <summary>Delivers what credit allows on every queue this session consumes from.</summary>
    public void PumpConsumerQueues(FlushBatch batch)
    {
        List<MessageQueue> queues = [];
        lock (_lock)
        {
            foreach (var consumer in _consumers.Values)
            {
                if (!queues.Contains(consumer.Queue))
                {
                    queues.Add(consumer.Queue);
                }
            }
        }

        foreach (var queue in queues)
        {
            queue.Pump(batch);
        }
    }

    /// <summary>Settles deliveries in their queues, grouping runs from the same queue into one call.</summary>
    private void SettleInQueues(List<UnackedDelivery> deliveries, SettleAction action, FlushBatch batch)
    {
        if (deliveries.Count == 0)
        {
            return;
        }

        // A per-session scratch array: the shared pool for this struct type misses more than it hits.
        // Settles come from the session's one client thread (or its close), never two at once.
        if (_settleEntries.Length < Math.Min(deliveries.Count, 1024))
        {
            _settleEntries = new QueueEntry[Math.Min(1024, Math.Max(deliveries.Count, 16))];
        }

        var buffer = _settleEntries;
        var used = 0;
        try
        {
            var start = 0;
            while (start < deliveries.Count)
            {
                var queue = deliveries[start].Queue;
                var count = 0;
                while (start + count < deliveries.Count && count < buffer.Length && ReferenceEquals(deliveries[start + count].Queue, queue))
                {
                    buffer[count] = deliveries[start + count].Entry;
                    count++;
                }

                used = Math.Max(used, count);
                queue.Settle(buffer.AsSpan(0, count), action, batch);
                if (action == SettleAction.Ack)
                {
                    queue.Stats.OnAcked(count);
                }

                start += count;
            }
        }
        finally
        {
            buffer.AsSpan(0, used).Clear();
        }
    }
}
