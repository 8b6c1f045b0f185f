using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Engine.Stores;

namespace Broker.Engine.VirtualHosts;

public sealed partial class VirtualHost
{
    /// <summary>
    /// queue.declare. The queue's type comes from x-queue-type (classic when absent) and is looked up
    /// in the engine's <see cref="QueueTypeRegistry"/>; <paramref name="connection"/> becomes the owner
    /// of an exclusive queue.
    /// </summary>
    public Result<QueueDeclareResult> DeclareQueue(string name, bool passive, bool durable, bool exclusive, bool autoDelete, FieldTable arguments, IClientConnection? connection)
    {
        if (passive)
        {
            if (!TryGetQueue(name, out var found))
            {
                return NotFoundQueue(name);
            }

            if (!found.IsAccessibleBy(connection))
            {
                return ExclusiveLockedError(found);
            }

            found.Touch();
            var counts = found.GetCounts();
            return new QueueDeclareResult(found, (uint)counts.Messages, (uint)counts.Consumers, Created: false);
        }

        var typeName = QueueArguments.QueueType(arguments);
        if (name.Length == 0)
        {
            if (typeName != "classic")
            {
                return EngineError.PreconditionFailed($"Cannot declare a server-named queue for type rabbit_{typeName}_queue");
            }

            name = GenerateName("amq.gen-");
        }
        else if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            return EngineError.AccessRefused($"queue name '{name}' contains reserved prefix 'amq.*'");
        }

        durable = durable && !exclusive;
        var declaration = new QueueDeclaration(name, durable, exclusive, autoDelete, arguments, exclusive ? connection : null);
        lock (_lock)
        {
            if (_queues.TryGetValue(name, out var existing))
            {
                // RabbitMQ's strict check: the declaring connection and exclusive flag must match the original.
                if (!ReferenceEquals(existing.ExclusiveOwner, declaration.Owner))
                {
                    return ExclusiveLockedError(existing);
                }

                var resource = existing.DisplayName;
                var error = ArgumentEquivalence.CheckField(existing.Durable, durable, "durable", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.AutoDelete, autoDelete, "auto_delete", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckArguments(existing.Arguments, arguments, resource, QueueArguments.Known);
                if (error.IsError)
                {
                    return error;
                }

                existing.Touch();
                var counts = existing.GetCounts();
                return new QueueDeclareResult(existing, (uint)counts.Messages, (uint)counts.Consumers, Created: false);
            }

            var displayName = Names.Queue(name, Name);
            if (arguments.TryGetValue("x-dead-letter-exchange", out var deadLetterExchange) && deadLetterExchange is not byte[] && deadLetterExchange is not string)
            {
                return EngineError.PreconditionFailed(
                    $"invalid type '{FieldValues.TypeName(deadLetterExchange)}' for arg 'x-dead-letter-exchange' in {displayName}");
            }

            var typeError = QueueArguments.ResolveType(arguments, displayName, Engine.QueueTypes, out var type);
            if (typeError.IsError)
            {
                return typeError;
            }

            var validation = QueueArguments.Validate(arguments, displayName, type);
            if (!validation.IsError)
            {
                validation = CompatibilityChecks.CheckDeclare(Engine.Options.Compat, declaration, type, displayName);
            }

            if (!validation.IsError)
            {
                validation = type.Validate(declaration, displayName);
            }

            if (validation.IsError)
            {
                return validation;
            }

            var queue = type.Create(this, declaration);
            _queues[name] = queue;
            if (durable)
            {
                Engine.Definitions.Persist(new QueueDeclared(Name, name, autoDelete, arguments));
            }

            return new QueueDeclareResult(queue, 0, 0, Created: true);
        }
    }

    /// <summary>Recreates a durable queue from stored definitions at start-up, with the messages its log recovered.</summary>
    public MessageQueue RestoreQueue(string name, bool autoDelete, FieldTable arguments)
    {
        var type = Engine.QueueTypes.TryGet(QueueArguments.QueueType(arguments), out var found) ? found : Engine.QueueTypes.Default;
        var declaration = new QueueDeclaration(name, Durable: true, Exclusive: false, autoDelete, arguments, Owner: null);
        lock (_lock)
        {
            var queue = type.Create(this, declaration);
            _queues[name] = queue;
            return queue;
        }
    }

    /// <summary>queue.delete: returns the number of ready messages deleted with the queue.</summary>
    public Result<long> DeleteQueue(string name, bool ifUnused, bool ifEmpty, IClientConnection? connection)
    {
        List<Consumer> cancelled = [];
        long count;
        lock (_lock)
        {
            if (!_queues.TryGetValue(name, out var queue))
            {
                return 0;
            }

            if (!queue.IsAccessibleBy(connection))
            {
                return ExclusiveLockedError(queue);
            }

            var refused = queue.Type.CheckDelete(queue, ifUnused, ifEmpty);
            if (refused.IsError)
            {
                return refused;
            }

            var counts = queue.GetCounts();
            if (ifUnused && counts.Consumers > 0)
            {
                return EngineError.PreconditionFailed($"{queue.DisplayName} in use");
            }

            if (ifEmpty && counts.Messages > 0)
            {
                return EngineError.PreconditionFailed($"{queue.DisplayName} not empty");
            }

            count = DeleteQueueLocked(queue, cancelled);
        }

        NotifyCancelled(cancelled);
        return count;
    }

    /// <summary>Deletes a queue the engine itself gave up on: auto-delete, or an exclusive owner gone.</summary>
    public void DeleteQueue(MessageQueue queue) => DeleteQueue(queue, stillWanted: null);

    /// <summary>
    /// Deletes the queue unless <paramref name="stillWanted"/>, asked under the vhost's lock (which
    /// redeclarations take), says otherwise: x-expires decides with the queue's lock released.
    /// </summary>
    public void DeleteQueue(MessageQueue queue, Func<MessageQueue, bool>? stillWanted)
    {
        List<Consumer> cancelled = [];
        lock (_lock)
        {
            if (queue.IsDeleted || !_queues.TryGetValue(queue.Name, out var current) || !ReferenceEquals(current, queue)
                || stillWanted?.Invoke(queue) == true)
            {
                return;
            }

            DeleteQueueLocked(queue, cancelled);
        }

        NotifyCancelled(cancelled);
    }

    public Result<long> PurgeQueue(string name, IClientConnection? connection)
    {
        if (!TryGetQueue(name, out var queue))
        {
            return NotFoundQueue(name);
        }

        if (!queue.IsAccessibleBy(connection))
        {
            return ExclusiveLockedError(queue);
        }

        var refused = queue.Type.CheckPurge(queue);
        return refused.IsError ? refused : queue.Purge();
    }

    /// <summary>Removes the exclusive queues of a closed connection.</summary>
    public void DeleteExclusiveQueues(IClientConnection connection)
    {
        foreach (var queue in _queues.Values)
        {
            if (ReferenceEquals(queue.ExclusiveOwner, connection))
            {
                DeleteQueue(queue);
            }
        }
    }

    private long DeleteQueueLocked(MessageQueue queue, List<Consumer> cancelled)
    {
        _queues.TryRemove(new KeyValuePair<string, MessageQueue>(queue.Name, queue));
        if (queue.Durable)
        {
            Engine.Definitions.Persist(new QueueDeleted(Name, queue.Name));
        }

        var count = queue.MarkDeleted(cancelled);
        RemoveBindingsTo(queue);
        RetiredQueueStats.Add(queue.Stats);
        return count;
    }

    /// <summary>Counters of the vhost's deleted queues, so its totals never go down.</summary>
    public Monitoring.QueueStats RetiredQueueStats { get; } = new();

    /// <summary>
    /// The vhost is being deleted: every queue goes (consumers are told, logs removed), delayed
    /// exchanges drop what they hold. Its definitions go with one VirtualHostDeleted record written by the caller.
    /// </summary>
    internal void DeleteEverything()
    {
        List<Consumer> cancelled = [];
        lock (_lock)
        {
            foreach (var queue in _queues.Values)
            {
                DeleteQueueLocked(queue, cancelled);
            }

            foreach (var exchange in _exchanges.Values)
            {
                (exchange as Exchanges.Delayed.DelayedMessageExchange)?.Pending.Drop();
            }
        }

        NotifyCancelled(cancelled);
    }

    private static void NotifyCancelled(List<Consumer> cancelled)
    {
        foreach (var consumer in cancelled)
        {
            consumer.Session.OnConsumerCancelled(consumer);
        }
    }
}
