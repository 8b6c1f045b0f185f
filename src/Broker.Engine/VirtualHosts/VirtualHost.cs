using System.Collections.Concurrent;
using System.Security.Cryptography;
using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Stores;

namespace Broker.Engine.VirtualHosts;

/// <summary>
/// A virtual host: its exchanges, queues and bindings. Topology changes take the vhost's lock (lock
/// order: vhost, exchange, queue, channel, output); lookups and routing read concurrent tables without it.
/// Method names and error texts follow RabbitMQ's rabbit_channel handlers.
/// </summary>
public sealed class VirtualHost
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, Exchange> _exchanges = new();
    private readonly ConcurrentDictionary<string, MessageQueue> _queues = new();
    private readonly ConcurrentDictionary<string, Exchange>.AlternateLookup<ReadOnlySpan<char>> _exchangesBySpan;
    private readonly ConcurrentDictionary<string, MessageQueue>.AlternateLookup<ReadOnlySpan<char>> _queuesBySpan;

    // Bindings by destination, so deleting a queue or exchange finds its bindings without scanning
    // every exchange. Guarded by _lock.
    private readonly Dictionary<object, List<Binding>> _bindingsByDestination = new(ReferenceEqualityComparer.Instance);

    public VirtualHost(BrokerEngine engine, string name)
    {
        Engine = engine;
        Name = name;
        _exchangesBySpan = _exchanges.GetAlternateLookup<ReadOnlySpan<char>>();
        _queuesBySpan = _queues.GetAlternateLookup<ReadOnlySpan<char>>();
        DefaultExchange = new DefaultExchange(this);
        _exchanges[string.Empty] = DefaultExchange;
        AddBuiltIn("amq.direct", ExchangeTypes.Direct, @internal: false);
        AddBuiltIn("amq.fanout", ExchangeTypes.Fanout, @internal: false);
        AddBuiltIn("amq.topic", ExchangeTypes.Topic, @internal: false);
        AddBuiltIn("amq.headers", ExchangeTypes.Headers, @internal: false);
        AddBuiltIn("amq.match", ExchangeTypes.Headers, @internal: false);
        AddBuiltIn("amq.rabbitmq.trace", ExchangeTypes.Topic, @internal: true);
    }

    public BrokerEngine Engine { get; }

    public string Name { get; }

    public DefaultExchange DefaultExchange { get; }

    public ICollection<Exchange> Exchanges => _exchanges.Values;

    public ICollection<MessageQueue> Queues => _queues.Values;

    public bool TryGetExchange(string name, out Exchange exchange) => _exchanges.TryGetValue(name, out exchange!);

    public bool TryGetExchange(ReadOnlySpan<char> name, out Exchange exchange) => _exchangesBySpan.TryGetValue(name, out exchange!);

    public bool TryGetQueue(string name, out MessageQueue queue) => _queues.TryGetValue(name, out queue!);

    public bool TryGetQueue(ReadOnlySpan<char> name, out MessageQueue queue) => _queuesBySpan.TryGetValue(name, out queue!);

    public EngineError NotFoundExchange(string name) => EngineError.NotFound($"no exchange '{name}' in vhost '{Name}'");

    public EngineError NotFoundQueue(string name) => EngineError.NotFound($"no queue '{name}' in vhost '{Name}'");

    public static EngineError DefaultExchangeRefused() => EngineError.AccessRefused("operation not permitted on the default exchange");

    public Result<Exchange> DeclareExchange(string name, string type, bool passive, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
    {
        if (passive)
        {
            if (name.Length == 0)
            {
                return DefaultExchangeRefused();
            }

            return TryGetExchange(name, out var found) ? found : NotFoundExchange(name);
        }

        if (!ExchangeTypes.IsKnown(type))
        {
            return EngineError.CommandInvalid($"unknown exchange type '{type}'");
        }

        if (name.Length == 0)
        {
            return DefaultExchangeRefused();
        }

        lock (_lock)
        {
            if (_exchanges.TryGetValue(name, out var existing))
            {
                var resource = existing.DisplayName;
                var error = ArgumentEquivalence.CheckField(existing.Type, type, "type", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.Durable, durable, "durable", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.AutoDelete, autoDelete, "auto_delete", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.Internal, @internal, "internal", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckArguments(existing.Arguments, arguments, resource, ["alternate-exchange"]);
                return error.IsError ? error : existing;
            }

            if (name.StartsWith("amq.", StringComparison.Ordinal))
            {
                return EngineError.AccessRefused($"exchange name '{name}' contains reserved prefix 'amq.*'");
            }

            if (arguments.TryGetValue("alternate-exchange", out var alternate) && alternate is not byte[] && alternate is not string)
            {
                return EngineError.PreconditionFailed(
                    $"invalid type '{FieldValues.TypeName(alternate)}' for arg 'alternate-exchange' in {Names.Exchange(name, Name)}");
            }

            var exchange = ExchangeFactory.Create(this, name, type, durable, autoDelete, @internal, arguments);
            _exchanges[name] = exchange;
            if (durable)
            {
                Engine.Definitions.Persist(new ExchangeDeclared(Name, name, type, autoDelete, @internal, arguments));
            }

            return exchange;
        }
    }

    public EngineError DeleteExchange(string name, bool ifUnused)
    {
        if (name.Length == 0)
        {
            return DefaultExchangeRefused();
        }

        if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            return EngineError.AccessRefused($"deletion of system {Names.Exchange(name, Name)} not allowed");
        }

        lock (_lock)
        {
            if (!_exchanges.TryGetValue(name, out var exchange))
            {
                return EngineError.None;
            }

            if (ifUnused && exchange.BindingCount > 0)
            {
                return EngineError.PreconditionFailed($"{exchange.DisplayName} in use");
            }

            DeleteExchangeLocked(exchange);
            return EngineError.None;
        }
    }

    public Result<QueueDeclareResult> DeclareQueue(string name, bool passive, bool durable, bool exclusive, bool autoDelete, FieldTable arguments, object connection)
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
            var (messages, consumers) = found.GetCounts();
            return new QueueDeclareResult(found, (uint)messages, (uint)consumers, Created: false);
        }

        var queueType = QueueArguments.QueueType(arguments);
        if (name.Length == 0)
        {
            if (queueType != "classic")
            {
                return EngineError.PreconditionFailed($"Cannot declare a server-named queue for type rabbit_{queueType}_queue");
            }

            name = GenerateName("amq.gen-");
        }
        else if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            return EngineError.AccessRefused($"queue name '{name}' contains reserved prefix 'amq.*'");
        }

        durable = durable && !exclusive;
        var owner = exclusive ? connection : null;
        lock (_lock)
        {
            if (_queues.TryGetValue(name, out var existing))
            {
                // RabbitMQ's strict check: the declaring connection and exclusive flag must match the original.
                if (!ReferenceEquals(existing.ExclusiveOwner, owner))
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
                var (messages, consumers) = existing.GetCounts();
                return new QueueDeclareResult(existing, (uint)messages, (uint)consumers, Created: false);
            }

            var displayName = Names.Queue(name, Name);
            if (arguments.TryGetValue("x-dead-letter-exchange", out var deadLetterExchange) && deadLetterExchange is not byte[] && deadLetterExchange is not string)
            {
                return EngineError.PreconditionFailed(
                    $"invalid type '{FieldValues.TypeName(deadLetterExchange)}' for arg 'x-dead-letter-exchange' in {displayName}");
            }

            var validation = QueueArguments.Validate(arguments, displayName);
            if (validation.IsError)
            {
                return validation;
            }

            // Quorum queues are accepted as durable queues with quorum's restrictions (in
            // rabbit_quorum_queue:declare's order); streams are not supported.
            if (queueType != "classic")
            {
                var property = autoDelete ? "auto-delete" : exclusive ? "exclusive-owner" : !durable ? "non-durable" : null;
                if (property is not null)
                {
                    return EngineError.PreconditionFailed($"invalid property '{property}' for {displayName}");
                }

                if (queueType == "stream")
                {
                    return EngineError.PreconditionFailed($"invalid arg 'x-queue-type' for {displayName}: \"unsupported queue type 'stream'\"");
                }
            }

            var queue = new MessageQueue(this, name, durable, exclusive, autoDelete, arguments, owner, Engine.Store.OpenLog(Name, name, durable));
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
        lock (_lock)
        {
            var queue = new MessageQueue(this, name, durable: true, exclusive: false, autoDelete, arguments, exclusiveOwner: null, Engine.Store.OpenLog(Name, name, durable: true));
            _queues[name] = queue;
            return queue;
        }
    }

    /// <summary>queue.delete: returns the number of ready messages deleted with the queue.</summary>
    public Result<long> DeleteQueue(string name, bool ifUnused, bool ifEmpty, object connection)
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

            var (messages, consumers) = queue.GetCounts();
            if (ifUnused && consumers > 0)
            {
                return EngineError.PreconditionFailed($"{queue.DisplayName} in use");
            }

            if (ifEmpty && messages > 0)
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

    public Result<long> PurgeQueue(string name, object connection)
    {
        if (!TryGetQueue(name, out var queue))
        {
            return NotFoundQueue(name);
        }

        if (!queue.IsAccessibleBy(connection))
        {
            return ExclusiveLockedError(queue);
        }

        return queue.Purge();
    }

    public EngineError BindQueue(string queueName, string exchangeName, string routingKey, FieldTable arguments, object connection) =>
        ChangeBinding(exchangeName, queueName, toQueue: true, routingKey, arguments, connection, bind: true);

    public EngineError UnbindQueue(string queueName, string exchangeName, string routingKey, FieldTable arguments, object connection) =>
        ChangeBinding(exchangeName, queueName, toQueue: true, routingKey, arguments, connection, bind: false);

    public EngineError BindExchange(string destination, string source, string routingKey, FieldTable arguments) =>
        ChangeBinding(source, destination, toQueue: false, routingKey, arguments, connection: null, bind: true);

    public EngineError UnbindExchange(string destination, string source, string routingKey, FieldTable arguments) =>
        ChangeBinding(source, destination, toQueue: false, routingKey, arguments, connection: null, bind: false);

    /// <summary>
    /// Routes a message from <paramref name="exchange"/> as rabbit_exchange:route does: follows
    /// exchange-to-exchange bindings (each exchange once), uses an exchange's alternate exchange when
    /// its own bindings match nothing, and adds each queue to <paramref name="targets"/> once. Call
    /// <see cref="RouteTargets.Clear"/> first; routing again adds (sender-selected extra keys).
    /// </summary>
    public void Route(Exchange exchange, RoutingKey routingKey, ReadOnlySpan<byte> headersTable, RouteTargets targets)
    {
        targets.BeginTraversal();
        var pending = targets.Pending;
        var matches = targets.Matches;
        targets.Visit(exchange);
        pending.Add(exchange);
        while (pending.Count > 0)
        {
            var current = (Exchange)pending[^1];
            pending.RemoveAt(pending.Count - 1);
            matches.Clear();
            current.Match(routingKey, headersTable, matches);
            if (matches.Count == 0 && current.AlternateExchange is { } alternateName && TryGetExchange(alternateName, out var alternate))
            {
                matches.Add(alternate);
            }

            foreach (var destination in matches)
            {
                if (destination is MessageQueue queue)
                {
                    if (!queue.IsDeleted)
                    {
                        targets.AddQueue(queue);
                    }
                }
                else if (destination is Exchange next && !next.IsDeleted && targets.Visit(next))
                {
                    pending.Add(next);
                }
            }
        }
    }

    /// <summary>
    /// Publishes messages a queue dead-letters to its dead-letter exchange (outside the queue's lock).
    /// Routing follows the exchange's bindings as a publish would; queues that would close a cycle of
    /// automatic dead-lettering do not get the message again.
    /// </summary>
    internal void DeadLetter(MessageQueue source, List<(QueueEntry Entry, DeadLetterReason Reason)> items, Delivery.FlushBatch batch)
    {
        var settings = source.Settings;
        Exchange? exchange = null;
        if (settings.DeadLetterExchange is { } name)
        {
            TryGetExchange(name, out exchange);
        }

        var targets = new RouteTargets();
        var keys = new List<string>();
        Span<char> keyBuffer = stackalloc char[RoutingKey.MaxChars];
        foreach (var (entry, reason) in items)
        {
            var original = entry.Message;
            if (exchange is null || exchange.IsDeleted)
            {
                original.Release();
                continue;
            }

            var message = DeadLetters.Create(Engine.Messages, original, source.Name, reason, exchange.Name, settings.DeadLetterRoutingKey, keys);
            original.Release();
            try
            {
                var headers = Broker.DataModel.Content.MessageProperties.Parse(message.Properties).HeadersBody;
                targets.Clear();
                foreach (var key in keys)
                {
                    var bytes = System.Text.Encoding.UTF8.GetBytes(key);
                    if (bytes.Length <= 255)
                    {
                        Route(exchange, RoutingKey.Decode(bytes, keyBuffer), headers, targets);
                    }
                }

                foreach (var queue in targets.Queues)
                {
                    if (reason != DeadLetterReason.Rejected && DeadLetters.IsCycle(message, queue.Name))
                    {
                        continue;
                    }

                    queue.Enqueue(message, batch);
                }
            }
            finally
            {
                message.Release();
            }
        }
    }

    /// <summary>Removes the exclusive queues of a closed connection.</summary>
    public void DeleteExclusiveQueues(object connection)
    {
        foreach (var queue in _queues.Values)
        {
            if (ReferenceEquals(queue.ExclusiveOwner, connection))
            {
                DeleteQueue(queue);
            }
        }
    }

    private EngineError ChangeBinding(string sourceName, string destinationName, bool toQueue, string routingKey, FieldTable arguments, object? connection, bool bind)
    {
        if (sourceName.Length == 0 || (!toQueue && destinationName.Length == 0))
        {
            return DefaultExchangeRefused();
        }

        lock (_lock)
        {
            // Unbinding what does not exist is fine (RabbitMQ 3.10); binding to it is 404.
            if (!_exchanges.TryGetValue(sourceName, out var source))
            {
                return bind ? NotFoundExchange(sourceName) : EngineError.None;
            }

            object destination;
            if (toQueue)
            {
                if (!_queues.TryGetValue(destinationName, out var queue))
                {
                    return bind ? NotFoundQueue(destinationName) : EngineError.None;
                }

                if (connection is not null && !queue.IsAccessibleBy(connection))
                {
                    return ExclusiveLockedError(queue);
                }

                destination = queue;
            }
            else
            {
                if (!_exchanges.TryGetValue(destinationName, out var exchange))
                {
                    return bind ? NotFoundExchange(destinationName) : EngineError.None;
                }

                destination = exchange;
            }

            if (bind)
            {
                var invalid = source.ValidateBinding(arguments);
                if (invalid.IsError)
                {
                    return invalid;
                }

                var binding = new Binding(source, destination, routingKey, arguments);
                if (source.AddBinding(binding))
                {
                    if (IsDurableBinding(source, destination))
                    {
                        Engine.Definitions.Persist(new BindingAdded(Name, source.Name, destinationName, toQueue, routingKey, arguments));
                    }

                    if (!_bindingsByDestination.TryGetValue(destination, out var list))
                    {
                        list = [];
                        _bindingsByDestination.Add(destination, list);
                    }

                    list.Add(binding);
                }

                return EngineError.None;
            }

            var removed = source.RemoveBinding(destination, routingKey, arguments);
            if (removed is not null)
            {
                ForgetBinding(removed);
                if (IsDurableBinding(source, destination))
                {
                    Engine.Definitions.Persist(new BindingRemoved(Name, source.Name, destinationName, toQueue, routingKey, arguments));
                }

                if (source.AutoDelete && source.BindingCount == 0)
                {
                    DeleteExchangeLocked(source);
                }
            }

            return EngineError.None;
        }
    }

    private static bool IsDurableBinding(Exchange source, object destination) =>
        source.Durable && destination switch
        {
            MessageQueue queue => queue.Durable,
            Exchange exchange => exchange.Durable,
            _ => false,
        };

    private long DeleteQueueLocked(MessageQueue queue, List<Consumer> cancelled)
    {
        _queues.TryRemove(new KeyValuePair<string, MessageQueue>(queue.Name, queue));
        if (queue.Durable)
        {
            Engine.Definitions.Persist(new QueueDeleted(Name, queue.Name));
        }

        var count = queue.MarkDeleted(cancelled);
        RemoveBindingsTo(queue);
        return count;
    }

    private void DeleteExchangeLocked(Exchange exchange)
    {
        if (!_exchanges.TryRemove(new KeyValuePair<string, Exchange>(exchange.Name, exchange)))
        {
            return;
        }

        exchange.IsDeleted = true;
        if (exchange.Durable)
        {
            Engine.Definitions.Persist(new ExchangeDeleted(Name, exchange.Name));
        }

        foreach (var binding in exchange.GetBindings())
        {
            exchange.RemoveBinding(binding.Destination, binding.RoutingKey, binding.Arguments);
            ForgetBinding(binding);
        }

        RemoveBindingsTo(exchange);
    }

    private void RemoveBindingsTo(object destination)
    {
        if (!_bindingsByDestination.Remove(destination, out var bindings))
        {
            return;
        }

        List<Binding> removed = [];
        foreach (var binding in bindings)
        {
            var source = binding.Source;
            if (source.IsDeleted)
            {
                continue;
            }

            var remaining = source.RemoveBindingsTo(destination, removed);

            // Auto-delete exchanges go when their last binding goes (rabbit_exchange:maybe_auto_delete).
            if (remaining == 0 && source.AutoDelete)
            {
                DeleteExchangeLocked(source);
            }
        }
    }

    private void ForgetBinding(Binding binding)
    {
        if (_bindingsByDestination.TryGetValue(binding.Destination, out var list))
        {
            list.Remove(binding);
            if (list.Count == 0)
            {
                _bindingsByDestination.Remove(binding.Destination);
            }
        }
    }

    private static void NotifyCancelled(List<Consumer> cancelled)
    {
        foreach (var consumer in cancelled)
        {
            consumer.Channel.OnConsumerCancelled(consumer);
        }
    }

    public static EngineError ExclusiveLockedError(MessageQueue queue) => EngineError.ResourceLocked(
        $"cannot obtain exclusive access to locked {queue.DisplayName}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.");

    /// <summary>A server-generated name as RabbitMQ makes them: a prefix and 16 random bytes in URL-safe base64.</summary>
    public static string GenerateName(string prefix)
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return prefix + Convert.ToBase64String(random).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private void AddBuiltIn(string name, string type, bool @internal) =>
        _exchanges[name] = ExchangeFactory.Create(this, name, type, durable: true, autoDelete: false, @internal, new FieldTable());
}
