using Broker.DataModel.Encoding;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>Routes every message to every bound destination, whatever its key.</summary>
public sealed class FanoutExchange : Exchange
{
    private readonly List<IBindingDestination> _destinations = [];

    public FanoutExchange(VirtualHost virtualHost, string name, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
        : base(virtualHost, name, ExchangeTypes.Fanout, durable, autoDelete, @internal, arguments)
    {
    }

    protected override void OnBindingAdded(Binding binding) => _destinations.Add(binding.Destination);

    protected override void OnBindingRemoved(Binding binding) => _destinations.Remove(binding.Destination);

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches) =>
        matches.AddRange(_destinations);

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message) =>
        "fanout: every binding matches, whatever the routing key and headers";

    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts)
    {
        foreach (var binding in bindings)
        {
            var matched = _destinations.Contains(binding.Destination);
            verdicts.Add(new BindingVerdict(binding, matched, matched ? "a fanout exchange routes to every binding" : "not in the exchange's routing table"));
        }
    }
}
