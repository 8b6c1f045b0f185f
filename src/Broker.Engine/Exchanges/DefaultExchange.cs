using Broker.DataModel.Encoding;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>
/// The nameless direct exchange every queue is implicitly bound to by its own name. It cannot be
/// declared, bound or deleted; routing is a lookup of the queue named by the routing key.
/// </summary>
public sealed class DefaultExchange : Exchange
{
    public DefaultExchange(VirtualHost virtualHost)
        : base(virtualHost, string.Empty, ExchangeTypes.Direct, durable: true, autoDelete: false, @internal: false, new FieldTable())
    {
    }

    protected override void OnBindingAdded(Binding binding) => throw new InvalidOperationException("the default exchange has no explicit bindings");

    protected override void OnBindingRemoved(Binding binding)
    {
    }

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches)
    {
        if (VirtualHost.TryGetQueue(routingKey.Chars, out var queue))
        {
            matches.Add(queue);
        }
    }

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message) =>
        "the default exchange: every queue is bound by its own name, so the routing key names the one queue it reaches"
        + (VirtualHost.TryGetQueue(routingKey.Chars, out _) ? string.Empty : $"; there is no queue named \"{routingKey.ToString()}\" in this vhost");

    /// <summary>The one implicit binding that can match: to the queue named by the key, if there is one.</summary>
    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts)
    {
        if (VirtualHost.TryGetQueue(routingKey.Chars, out var queue))
        {
            verdicts.Add(new BindingVerdict(queue, queue.Name, new FieldTable(), Matched: true, "the routing key is the queue's name (its implicit binding)"));
        }
    }
}
