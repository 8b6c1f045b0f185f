using Broker.DataModel.Encoding;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
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

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message) =>
        "direct: a binding matches when its key equals the routing key exactly (case-sensitive)";

    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts)
    {
        var found = _byKeySpan.TryGetValue(routingKey.Chars, out var destinations) ? destinations : null;
        var key = routingKey.ToString();
        foreach (var binding in bindings)
        {
            var matched = binding.RoutingKey == key && found is not null && found.Contains(binding.Destination);
            verdicts.Add(new BindingVerdict(binding, matched, matched ? "the binding key equals the routing key" : KeyDiffers(binding.RoutingKey, key)));
        }
    }

    /// <summary>Why a direct binding's key is not the routing key, with the near misses people make.</summary>
    internal static string KeyDiffers(string bindingKey, string routingKey)
    {
        var text = $"the binding key \"{bindingKey}\" is not the routing key \"{routingKey}\"";
        if (string.Equals(bindingKey, routingKey, StringComparison.OrdinalIgnoreCase))
        {
            return text + ": they differ only in case, and keys compare case-sensitively";
        }

        if (bindingKey.Trim() == routingKey.Trim())
        {
            return text + ": they differ only in leading or trailing spaces";
        }

        return bindingKey.Contains('*') || bindingKey.Contains('#')
            ? text + ": * and # are wildcards only in a topic exchange"
            : text;
    }
}
