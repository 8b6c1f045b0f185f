using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Routing;
using Broker.Engine.Sessions;
using Broker.Engine.Stores;

namespace Broker.Engine.VirtualHosts;

public sealed partial class VirtualHost
{
    // Bindings by destination, so deleting a queue or exchange finds its bindings without scanning
    // every exchange. Guarded by _lock.
    private readonly Dictionary<IBindingDestination, List<Binding>> _bindingsByDestination = new(ReferenceEqualityComparer.Instance);

    /// <param name="connection">Checked against the queue's exclusive owner; null for the broker itself (recovery, imports).</param>
    public EngineError BindQueue(string queueName, string exchangeName, string routingKey, FieldTable arguments, IClientConnection? connection) =>
        ChangeBinding(exchangeName, queueName, toQueue: true, routingKey, arguments, connection, bind: true);

    public EngineError UnbindQueue(string queueName, string exchangeName, string routingKey, FieldTable arguments, IClientConnection? connection) =>
        ChangeBinding(exchangeName, queueName, toQueue: true, routingKey, arguments, connection, bind: false);

    public EngineError BindExchange(string destination, string source, string routingKey, FieldTable arguments) =>
        ChangeBinding(source, destination, toQueue: false, routingKey, arguments, connection: null, bind: true);

    public EngineError UnbindExchange(string destination, string source, string routingKey, FieldTable arguments) =>
        ChangeBinding(source, destination, toQueue: false, routingKey, arguments, connection: null, bind: false);

    private EngineError ChangeBinding(string sourceName, string destinationName, bool toQueue, string routingKey, FieldTable arguments, IClientConnection? connection, bool bind)
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

            IBindingDestination destination;
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

            return bind
                ? AddBindingLocked(source, destination, destinationName, toQueue, routingKey, arguments)
                : RemoveBindingLocked(source, destination, destinationName, toQueue, routingKey, arguments);
        }
    }

    private EngineError AddBindingLocked(Exchange source, IBindingDestination destination, string destinationName, bool toQueue, string routingKey, FieldTable arguments)
    {
        var invalid = source.ValidateBinding(routingKey, arguments);
        if (invalid.IsError)
        {
            return invalid;
        }

        var binding = new Binding(source, destination, routingKey, arguments);
        if (source.AddBinding(binding))
        {
            if (source.Durable && destination.Durable)
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

    private EngineError RemoveBindingLocked(Exchange source, IBindingDestination destination, string destinationName, bool toQueue, string routingKey, FieldTable arguments)
    {
        var removed = source.RemoveBinding(destination, routingKey, arguments);
        if (removed is not null)
        {
            ForgetBinding(removed);
            if (source.Durable && destination.Durable)
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

    private void RemoveBindingsTo(IBindingDestination destination)
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
}
