using Broker.DataModel.Encoding;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;

namespace Broker.Engine.Routing;

/// <summary>
/// A binding from an exchange to a queue or to another exchange. Two bindings are the same binding
/// when source, destination, routing key and arguments are all equal (as in RabbitMQ).
/// </summary>
public sealed class Binding
{
    public Binding(Exchange source, IBindingDestination destination, string routingKey, FieldTable arguments)
    {
        Source = source;
        Destination = destination;
        RoutingKey = routingKey;
        Arguments = arguments;
    }

    public Exchange Source { get; }

    /// <summary>A <see cref="MessageQueue"/> or an <see cref="Exchange"/>.</summary>
    public IBindingDestination Destination { get; }

    public string RoutingKey { get; }

    public FieldTable Arguments { get; }

    /// <remarks>Arguments compare up to number width, so a binding restored from stored definitions
    /// (where an int may come back as a long) is still the binding the client made.</remarks>
    public bool Matches(IBindingDestination destination, string routingKey, FieldTable arguments) =>
        ReferenceEquals(Destination, destination) && RoutingKey == routingKey && Arguments.EquivalentTo(arguments);
}
