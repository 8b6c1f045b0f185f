using Broker.DataModel.Encoding;
using Broker.Engine.Routing;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>Routes to the destinations bound with exactly the message's routing key.</summary>
public sealed class DirectExchange : Exchange
{
    private readonly Dictionary<string, List<IBindingDestination>> _byKey = [];
    private readonly Dictionary<string, List<IBindingDestination>>.AlternateLookup<ReadOnlySpan<char>> _byKeySpan;

    public DirectExchange(VirtualHost virtualHost, string name, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
        : base(virtualHost, name, ExchangeTypes.Direct, durable, autoDelete, @internal, arguments)
    {
        _byKeySpan = _byKey.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    protected override void OnBindingAdded(Binding binding)
    {
        if (!_byKey.TryGetValue(binding.RoutingKey, out var destinations))
        {
            destinations = [];
            _byKey.Add(binding.RoutingKey, destinations);
        }

        destinations.Add(binding.Destination);
    }

    protected override void OnBindingRemoved(Binding binding)
    {
        if (_byKey.TryGetValue(binding.RoutingKey, out var destinations))
        {
            destinations.Remove(binding.Destination);
            if (destinations.Count == 0)
            {
                _byKey.Remove(binding.RoutingKey);
            }
        }
    }

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches)
    {
        if (_byKeySpan.TryGetValue(routingKey.Chars, out var destinations))
        {
            matches.AddRange(destinations);
        }
    }
}
