using Broker.DataModel.Encoding;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

internal sealed partial class AmqpChannel
{
    private Task? HandleQueueDeclare(QueueDeclare declare)
    {
        var name = declare.Queue;
        if (declare.Passive && name.Length == 0)
        {
            name = ExpandQueueName(name, MethodIds.QueueDeclare);
        }

        if (declare.Passive && IsDirectReplyQueueName(name))
        {
            // Direct reply-to's pseudo-queue "exists" (Spring detects the feature this way).
            return ReplyWhenPersisted(new QueueDeclareOk(name, 0, 1), declare.Nowait);
        }

        if (!declare.Passive && name.Length > 0)
        {
            CheckConfigure(name, isQueue: true, MethodIds.QueueDeclare);

            // Dead-lettering reads from the queue and writes to the exchange on the declarer's behalf, so
            // RabbitMQ asks for both here (a value of the wrong type is the engine's 406 instead).
            if (declare.Arguments?.TryGetValue("x-dead-letter-exchange", out var value) == true && FieldValues.AsString(value) is { } deadLetterExchange
                && value is byte[] or string)
            {
                CheckRead(name, isQueue: true, MethodIds.QueueDeclare);
                CheckWrite(deadLetterExchange, isQueue: false, MethodIds.QueueDeclare);
            }
        }

        var result = _virtualHost.DeclareQueue(
            name, declare.Passive, declare.Durable, declare.Exclusive, declare.AutoDelete, declare.Arguments ?? new FieldTable(), _connection);
        if (result.IsError)
        {
            throw AmqpException.From(result.Error, MethodIds.QueueDeclare);
        }

        var declared = result.Value;
        if (declared.Created && declared.Queue.Exclusive)
        {
            _connection.AddExclusiveQueue(declared.Queue);
        }

        _lastDeclaredQueue = declared.Queue.Name;
        return ReplyWhenPersisted(new QueueDeclareOk(declared.Queue.Name, declared.MessageCount, declared.ConsumerCount), declare.Nowait);
    }

    private Task? HandleQueueBind(QueueBind bind)
    {
        var queue = ExpandQueueName(bind.Queue, MethodIds.QueueBind);
        var routingKey = ExpandRoutingKey(bind.Queue, bind.RoutingKey);
        CheckBindPermissions(queue, isQueue: true, bind.Exchange, MethodIds.QueueBind);
        var error = _virtualHost.BindQueue(queue, bind.Exchange, routingKey, bind.Arguments ?? new FieldTable(), _connection);
        if (error.IsError)
        {
            throw AmqpException.From(error, MethodIds.QueueBind);
        }

        return ReplyWhenPersisted(default(QueueBindOk), bind.Nowait);
    }

    private Task? HandleQueueUnbind(QueueUnbind unbind)
    {
        var queue = ExpandQueueName(unbind.Queue, MethodIds.QueueUnbind);
        var routingKey = ExpandRoutingKey(unbind.Queue, unbind.RoutingKey);
        CheckBindPermissions(queue, isQueue: true, unbind.Exchange, MethodIds.QueueUnbind);
        var error = _virtualHost.UnbindQueue(queue, unbind.Exchange, routingKey, unbind.Arguments ?? new FieldTable(), _connection);
        if (error.IsError)
        {
            throw AmqpException.From(error, MethodIds.QueueUnbind);
        }

        return ReplyWhenPersisted(default(QueueUnbindOk), nowait: false);
    }

    private void HandleQueuePurge(QueuePurge purge)
    {
        var queue = ExpandQueueName(purge.Queue, MethodIds.QueuePurge);
        CheckRead(queue, isQueue: true, MethodIds.QueuePurge);
        var result = _virtualHost.PurgeQueue(queue, _connection);
        if (result.IsError)
        {
            throw AmqpException.From(result.Error, MethodIds.QueuePurge);
        }

        if (!purge.Nowait)
        {
            Reply(new QueuePurgeOk((uint)result.Value));
        }
    }

    private Task? HandleQueueDelete(QueueDelete delete)
    {
        var queue = ExpandQueueName(delete.Queue, MethodIds.QueueDelete);
        CheckConfigure(queue, isQueue: true, MethodIds.QueueDelete);
        var result = _virtualHost.DeleteQueue(queue, delete.IfUnused, delete.IfEmpty, _connection);
        if (result.IsError)
        {
            throw AmqpException.From(result.Error, MethodIds.QueueDelete);
        }

        return ReplyWhenPersisted(new QueueDeleteOk((uint)result.Value), delete.Nowait);
    }

    /// <summary>An empty queue name means the queue most recently declared on this channel.</summary>
    private string ExpandQueueName(string name, uint methodId)
    {
        if (name.Length > 0)
        {
            return name;
        }

        if (_lastDeclaredQueue.Length == 0)
        {
            throw AmqpException.NotFound("no previously declared queue", methodId);
        }

        return _lastDeclaredQueue;
    }

    /// <summary>Binding with both queue and routing key empty binds with the last declared queue's name as key.</summary>
    private string ExpandRoutingKey(string queue, string routingKey) =>
        queue.Length == 0 && routingKey.Length == 0 ? _lastDeclaredQueue : routingKey;
}
