using System.Buffers;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
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

        // The limit applies before qos-ok goes out; deliveries that a raised limit lets through follow it.
        // RabbitMQ 4.3 denies the deprecated feature global_qos and then handles global=true exactly as
        // global=false (rabbit_channel's basic.qos clauses): a per-consumer limit.
        var raised = _session.SetPrefetch(qos.PrefetchCount, qos.Global && _connection.Engine.Options.Compat.PermitsGlobalQos);
        Reply(default(BasicQosOk));
        if (raised)
        {
            _session.PumpConsumerQueues(Batch);
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

        var result = _session.Consume(queue, consume.ConsumerTag, consume.NoAck, consume.Exclusive, consume.Arguments ?? new FieldTable());
        if (result.IsError)
        {
            throw AmqpException.From(result.Error, MethodIds.BasicConsume);
        }

        // consume-ok goes out before the first delivery, which the pump below may write.
        if (!consume.Nowait)
        {
            Reply(new BasicConsumeOk(result.Value!.Tag));
        }

        queue.Pump(Batch);
    }

    private void HandleBasicCancel(BasicCancel cancel)
    {
        if (!CancelDirectReplies(cancel.ConsumerTag))
        {
            _session.Cancel(cancel.ConsumerTag);
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

        var result = _session.Get(queue, get.NoAck, Batch);
        if (result.IsError)
        {
            throw AmqpException.From(result.Error, MethodIds.BasicGet);
        }

        if (!result.Value)
        {
            Reply(new BasicGetEmpty(ClusterId: string.Empty));
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

        _session.Settle(settled, SettleAction.Ack, Batch);
    }

    private void HandleBasicNack(ulong deliveryTag, bool multiple, bool requeue, uint methodId)
    {
        var settled = TakeUnacked(deliveryTag, multiple, methodId);
        var refused = _session.CheckReject(settled);
        if (refused.IsError)
        {
            throw AmqpException.From(refused, methodId);
        }

        var action = requeue ? SettleAction.Requeue : SettleAction.Discard;
        if (_transaction is not null)
        {
            _transaction.AddSettle(settled, action);
            return;
        }

        _session.Settle(settled, action, Batch);
    }

    private void HandleBasicRecover(bool requeue, uint methodId, bool reply)
    {
        if (!requeue)
        {
            throw AmqpException.NotImplemented("requeue=false", methodId);
        }

        var all = _settleScratch;
        all.Clear();
        _session.TakeAllUnacked(all);
        _session.Settle(all, SettleAction.Requeue, Batch);
        if (reply)
        {
            Reply(default(BasicRecoverOk));
        }
    }

    private List<UnackedDelivery> TakeUnacked(ulong deliveryTag, bool multiple, uint methodId)
    {
        var taken = _settleScratch;
        taken.Clear();
        var error = _session.TakeUnacked(deliveryTag, multiple, taken);
        if (error.IsError)
        {
            throw AmqpException.From(error, methodId);
        }

        return taken;
    }

    /// <summary>Wakes this channel's consumers' queues from the thread pool (after the output drained).</summary>
    public void ScheduleConsumerPumps() => _session.ScheduleConsumerPumps();

    public bool TryWriteDelivery(ReadOnlySpan<byte> consumerTag, ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, bool yieldIfSaturated, FlushBatch batch)
    {
        lock (_output.SyncRoot)
        {
            if (_output.IsCompleted || (yieldIfSaturated && _output.RefuseIfSaturated()))
            {
                return false;
            }

            ContentFrames.WriteBasicDeliver(_output.Writer, Number, consumerTag, deliveryTag, redelivered, message.Exchange, message.RoutingKey);
            WriteContent(message, annotation);
        }

        batch.Add(_output);
        return true;
    }

    public void WriteGetOk(ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, long remaining)
    {
        lock (_output.SyncRoot)
        {
            if (!_output.IsCompleted)
            {
                ContentFrames.WriteBasicGetOk(_output.Writer, Number, deliveryTag, redelivered, message.Exchange, message.RoutingKey, (uint)remaining);
                WriteContent(message, annotation);
            }
        }
    }

    /// <summary>The content frames of a delivery, with the queue's annotation header when it has one. Under the output lock.</summary>
    private void WriteContent(Message message, in DeliveryAnnotation annotation)
    {
        if (annotation.IsNone)
        {
            ContentFrames.WriteContent(_output.Writer, Number, message.Properties, message.Body, _connection.FrameMax);
            return;
        }

        var properties = message.Properties;
        var size = HeaderAnnotation.MaxSize(properties, annotation.HeaderName);
        var rented = size > 256 ? ArrayPool<byte>.Shared.Rent(size) : null;
        Span<byte> buffer = rented is null ? stackalloc byte[256] : rented;
        var written = HeaderAnnotation.Write(properties, annotation.HeaderName, annotation.Value, buffer);
        ContentFrames.WriteContent(_output.Writer, Number, buffer[..written], message.Body, _connection.FrameMax);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void WriteConsumerCancelled(Consumer consumer)
    {
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

    public void Flush() => _output.Flush();
}
