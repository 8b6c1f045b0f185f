using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.VirtualHosts;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

internal sealed partial class AmqpChannel
{
    private void HandleBasicQos(BasicQos qos)
    {
        if (qos.PrefetchSize != 0)
        {
            throw AmqpException.NotImplemented($"prefetch_size!=0 ({qos.PrefetchSize})", MethodIds.BasicQos);
        }

        bool raised;
        lock (_lock)
        {
            if (qos.Global)
            {
                // RabbitMQ's reinterpretation: global applies to the channel, shared by its consumers.
                raised = qos.PrefetchCount == 0 || (_globalPrefetch != 0 && qos.PrefetchCount > _globalPrefetch);
                _globalPrefetch = qos.PrefetchCount;
            }
            else
            {
                // Applies to consumers created from now on, and (rabbit_channel: "ensures that if
                // default was set, it's overridden") lifts a channel-wide limit.
                _prefetchCount = qos.PrefetchCount;
                raised = _globalPrefetch != 0;
                _globalPrefetch = 0;
            }
        }

        Reply(default(BasicQosOk));
        if (raised)
        {
            PumpConsumerQueues();
        }
    }

    private void HandleBasicConsume(BasicConsume consume)
    {
        if (consume.Queue == DirectReplyRegistry.PseudoQueue)
        {
            ConsumeDirectReplies(consume);
            return;
        }

        var queueName = ExpandQueueName(consume.Queue, MethodIds.BasicConsume);
        CheckRead(queueName, isQueue: true, MethodIds.BasicConsume);
        if (!_virtualHost.TryGetQueue(queueName, out var queue))
        {
            throw AmqpException.From(_virtualHost.NotFoundQueue(queueName), MethodIds.BasicConsume);
        }

        if (!queue.IsAccessibleBy(_connection))
        {
            throw AmqpException.From(VirtualHost.ExclusiveLockedError(queue), MethodIds.BasicConsume);
        }

        var priority = 0;
        var arguments = consume.Arguments ?? new FieldTable();
        if (arguments.TryGetValue("x-priority", out var priorityArgument))
        {
            if (FieldValues.AsInteger(priorityArgument) is not { } value || value is < int.MinValue or > int.MaxValue)
            {
                throw AmqpException.PreconditionFailed(
                    $"invalid arg 'x-priority' for {queue.DisplayName}: {{unacceptable_type,{FieldValues.TypeName(priorityArgument)}}}", MethodIds.BasicConsume);
            }

            priority = (int)value;
        }

        var tag = consume.ConsumerTag.Length > 0 ? consume.ConsumerTag : VirtualHost.GenerateName("amq.ctag-");
        Consumer consumer;
        lock (_lock)
        {
            if (_consumers.ContainsKey(tag))
            {
                throw AmqpException.NotAllowed($"attempt to reuse consumer tag '{tag}'", MethodIds.BasicConsume);
            }

            consumer = new Consumer(tag, queue, this, consume.NoAck, consume.Exclusive, priority, _prefetchCount, arguments);
            _consumers.Add(tag, consumer);
        }

        var error = queue.AddConsumer(consumer);
        if (error.IsError)
        {
            lock (_lock)
            {
                _consumers.Remove(tag);
            }

            throw AmqpException.From(error, MethodIds.BasicConsume);
        }

        // consume-ok goes out before the first delivery, which the pump below may write.
        if (!consume.Nowait)
        {
            Reply(new BasicConsumeOk(tag));
        }

        queue.Pump(Batch);
    }

    private void HandleBasicCancel(BasicCancel cancel)
    {
        if (CancelDirectReplies(cancel.ConsumerTag))
        {
            if (!cancel.Nowait)
            {
                Reply(new BasicCancelOk(cancel.ConsumerTag));
            }

            return;
        }

        Consumer? consumer;
        lock (_lock)
        {
            _consumers.Remove(cancel.ConsumerTag, out consumer);
        }

        if (consumer is not null && consumer.Queue.RemoveConsumer(consumer))
        {
            _virtualHost.DeleteQueue(consumer.Queue);
        }

        if (!cancel.Nowait)
        {
            Reply(new BasicCancelOk(cancel.ConsumerTag));
        }
    }

    private void HandleBasicGet(BasicGet get)
    {
        var queueName = ExpandQueueName(get.Queue, MethodIds.BasicGet);
        CheckRead(queueName, isQueue: true, MethodIds.BasicGet);
        if (!_virtualHost.TryGetQueue(queueName, out var queue))
        {
            throw AmqpException.From(_virtualHost.NotFoundQueue(queueName), MethodIds.BasicGet);
        }

        if (!queue.IsAccessibleBy(_connection))
        {
            throw AmqpException.From(VirtualHost.ExclusiveLockedError(queue), MethodIds.BasicGet);
        }

        if (!queue.TryGet(get.NoAck, out var entry, out var remaining, Batch))
        {
            Reply(new BasicGetEmpty(ClusterId: string.Empty));
            return;
        }

        var message = entry.Message;
        lock (_lock)
        {
            var tag = ++_deliveryTag;
            if (!get.NoAck)
            {
                _unacked.Add(new UnackedDelivery(tag, queue, entry, consumer: null));
            }

            lock (_output.SyncRoot)
            {
                if (!_output.IsCompleted)
                {
                    ContentFrames.WriteBasicGetOk(_output.Writer, Number, tag, entry.Redelivered, message.Exchange, message.RoutingKey, (uint)remaining);
                    ContentFrames.WriteContent(_output.Writer, Number, message.Properties, message.Body, _connection.FrameMax);
                }
            }
        }

        if (get.NoAck)
        {
            message.Release();
        }
    }

    private void HandleBasicAck(ulong deliveryTag, bool multiple)
    {
        var settled = TakeUnacked(deliveryTag, multiple, MethodIds.BasicAck);
        if (_transaction is not null)
        {
            _transaction.AddSettle(settled, SettleAction.Ack);
            return;
        }

        Settle(settled, SettleAction.Ack);
    }

    private void HandleBasicNack(ulong deliveryTag, bool multiple, bool requeue, uint methodId)
    {
        var settled = TakeUnacked(deliveryTag, multiple, methodId);
        var action = requeue ? SettleAction.Requeue : SettleAction.Discard;
        if (_transaction is not null)
        {
            _transaction.AddSettle(settled, action);
            return;
        }

        Settle(settled, action);
    }

    private void HandleBasicRecover(bool requeue, uint methodId, bool reply)
    {
        if (!requeue)
        {
            throw AmqpException.NotImplemented("requeue=false", methodId);
        }

        var all = new List<UnackedDelivery>();
        lock (_lock)
        {
            _unacked.RemoveAll(all);
        }

        Settle(all, SettleAction.Requeue);
        if (reply)
        {
            Reply(default(BasicRecoverOk));
        }
    }

    /// <summary>
    /// Removes acknowledged deliveries from the unacked set (as rabbit_channel:collect_acks): tag 0
    /// with multiple means all; an unknown tag fails the whole call with 406 and changes nothing.
    /// </summary>
    private List<UnackedDelivery> TakeUnacked(ulong deliveryTag, bool multiple, uint methodId)
    {
        var taken = _settleScratch;
        taken.Clear();
        lock (_lock)
        {
            if (multiple && deliveryTag == 0)
            {
                _unacked.RemoveAll(taken);
                return taken;
            }

            if (!_unacked.Contains(deliveryTag))
            {
                throw AmqpException.PreconditionFailed($"unknown delivery tag {deliveryTag}", methodId);
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
        }

        return taken;
    }

    /// <summary>Returns credit for settled deliveries and settles them in their queues.</summary>
    private void Settle(List<UnackedDelivery> settled, SettleAction action)
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

        SettleInQueues(settled, action);
        settled.Clear();

        // A channel-wide prefetch freed by an ack on one queue may let consumers on others proceed.
        if (freedGlobal)
        {
            PumpConsumerQueues();
        }
    }

    private void PumpConsumerQueues()
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
            queue.Pump(Batch);
        }
    }

    /// <summary>Pumps this channel's consumers' queues from the thread pool (after the output drained).</summary>
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

    public bool TryDeliver(Consumer consumer, MessageQueue queue, in QueueEntry entry, FlushBatch batch)
    {
        lock (_lock)
        {
            if (_state != ChannelState.Open)
            {
                return false;
            }

            if (!consumer.NoAck
                && ((consumer.PrefetchLimit > 0 && consumer.Unacked >= consumer.PrefetchLimit)
                    || (_globalPrefetch > 0 && _consumerUnacked >= _globalPrefetch)))
            {
                return false;
            }

            var message = entry.Message;
            lock (_output.SyncRoot)
            {
                if (_output.IsCompleted || _output.RefuseIfSaturated())
                {
                    return false;
                }

                // Tag assignment and the write happen under the channel lock, so tags reach the
                // client in order and a multiple ack never covers a delivery it has not seen.
                var tag = ++_deliveryTag;
                ContentFrames.WriteBasicDeliver(_output.Writer, Number, consumer.TagBytes, tag, entry.Redelivered, message.Exchange, message.RoutingKey);
                ContentFrames.WriteContent(_output.Writer, Number, message.Properties, message.Body, _connection.FrameMax);
                if (!consumer.NoAck)
                {
                    _unacked.Add(new UnackedDelivery(tag, queue, entry, consumer));
                    consumer.Unacked++;
                    _consumerUnacked++;
                }
            }
        }

        batch.Add(_output);
        return true;
    }

    public void OnConsumerCancelled(Consumer consumer)
    {
        lock (_lock)
        {
            if (!_consumers.Remove(consumer.Tag, out var current) || !ReferenceEquals(current, consumer) || _state != ChannelState.Open)
            {
                return;
            }

            // Only clients that said they understand it get a server-sent basic.cancel.
            if (!_connection.ConsumerCancelNotify)
            {
                return;
            }

            lock (_output.SyncRoot)
            {
                if (!_output.IsCompleted)
                {
                    FrameWriter.WriteMethod(_output.Writer, Number, new BasicCancel(consumer.Tag, Nowait: true));
                }
            }
        }

        _output.Flush();
    }
}
