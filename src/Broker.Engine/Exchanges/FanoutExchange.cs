using Broker.DataModel.Encoding;
using Broker.Engine.Routing;
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
}
