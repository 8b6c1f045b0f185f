using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges.ConsistentHash;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>
/// x-consistent-hash (RabbitMQ's rabbitmq_consistent_hash_exchange plugin): a binding key is the
/// binding's weight; each message goes to exactly one destination, picked by hashing its routing key,
/// the header named by the hash-header argument or the property named by hash-property. The same
/// value reaches the same destination while the bindings do not change, and destinations get shares
/// of the keys in proportion to their weights.
/// As in RabbitMQ, a destination has one place on the ring, its first binding's weight: a second
/// binding to it adds nothing, and removing any of its bindings removes its place.
/// </summary>
public sealed class ConsistentHashExchange : Exchange
{
    private readonly HashRing<IBindingDestination> _ring = new();
    private readonly HashSource _source;
    private readonly byte[] _headerName;

    public ConsistentHashExchange(VirtualHost virtualHost, string name, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
        : base(virtualHost, name, ExchangeTypes.ConsistentHash, durable, autoDelete, @internal, arguments)
    {
        _source = ConsistentHashArguments.SourceOf(arguments, out _headerName);
    }

    /// <summary>Checks a new exchange's hash-header and hash-property arguments.</summary>
    public static EngineError ValidateArguments(FieldTable arguments) => ConsistentHashArguments.Validate(arguments);

    public override EngineError ValidateBinding(string routingKey, FieldTable arguments) => ConsistentHashArguments.ValidateWeight(routingKey);

    protected override void OnBindingAdded(Binding binding)
    {
        // Recovered or imported bindings were validated when first made; one that was not is kept off the ring.
        if (ConsistentHashArguments.TryGetWeight(binding.RoutingKey, out var weight))
        {
            _ring.Add(binding.Destination, weight);
        }
    }

    protected override void OnBindingRemoved(Binding binding) => _ring.Remove(binding.Destination);

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches)
    {
        if (_ring.Count > 0 && _ring.Find(KeyOf(routingKey, message)) is { } destination)
        {
            matches.Add(destination);
        }
    }

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message) =>
        $"x-consistent-hash: each message goes to exactly one destination, picked by hashing {HashedValue(routingKey, message)}; a binding key is the destination's weight (its share of the hash ring)";

    /// <summary>The ring's own pick decides; every other binding is told why it lost (weight, duplicate, hash).</summary>
    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts)
    {
        var chosen = _ring.Count > 0 ? _ring.Find(KeyOf(routingKey, message)) : null;
        var placed = new List<IBindingDestination>();
        foreach (var binding in bindings)
        {
            if (!ConsistentHashArguments.TryGetWeight(binding.RoutingKey, out var weight))
            {
                verdicts.Add(new BindingVerdict(binding, false, $"the binding key \"{binding.RoutingKey}\" is not a weight (a positive integer): the binding is not on the ring"));
            }
            else if (placed.Contains(binding.Destination))
            {
                verdicts.Add(new BindingVerdict(binding, false, "another binding already places this destination on the ring: a destination has one place, its first binding's weight"));
            }
            else
            {
                placed.Add(binding.Destination);
                var matched = ReferenceEquals(binding.Destination, chosen);
                var share = $"weight {weight} of {_ring.BucketCount}";
                verdicts.Add(new BindingVerdict(binding, matched, matched
                    ? $"the hash of {HashedValue(routingKey, message)} falls in this destination's share of the ring ({share})"
                    : $"the hash of {HashedValue(routingKey, message)} falls in the share of \"{chosen?.Name}\" ({share} here); only one destination gets each message"));
            }
        }
    }

    private string HashedValue(RoutingKey routingKey, RoutedMessage message)
    {
        switch (_source)
        {
            case HashSource.RoutingKey:
                return $"the routing key \"{routingKey.ToString()}\"";
            case HashSource.Header:
                var name = System.Text.Encoding.UTF8.GetString(_headerName);
                return HeaderValue.TryFind(message.Headers, _headerName, out _)
                    ? $"header \"{name}\" (hash-header)"
                    : $"header \"{name}\" (hash-header), which the message lacks: every such message goes to the same destination";
        }

        var property = _source switch
        {
            HashSource.CorrelationId => "correlation_id",
            HashSource.MessageId => "message_id",
            _ => "timestamp",
        };
        return KeyOf(routingKey, message) == StableHash.Absent
            ? $"property {property} (hash-property), which the message lacks: every such message goes to the same destination"
            : $"property {property} (hash-property)";
    }

    private ulong KeyOf(RoutingKey routingKey, RoutedMessage message)
    {
        switch (_source)
        {
            case HashSource.RoutingKey:
                return message.HasMessage ? StableHash.Of(message.PublishedKey) : HashOf(routingKey.Chars);
            case HashSource.Header:
                return HeaderValue.TryFind(message.Headers, _headerName, out var value) ? StableHash.Of(value.Type, value.Raw) : StableHash.Absent;
        }

        if (!message.HasMessage)
        {
            return StableHash.Absent;
        }

        var properties = MessageProperties.Parse(message.Properties);
        return _source switch
        {
            HashSource.CorrelationId when properties.HasCorrelationId => StableHash.Of(properties.CorrelationId),
            HashSource.MessageId when properties.HasMessageId => StableHash.Of(properties.MessageId),
            HashSource.Timestamp when properties.HasTimestamp => HashOf(properties.Timestamp),
            _ => StableHash.Absent,
        };
    }

    private static ulong HashOf(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[RoutingKey.MaxChars * 3];
        return StableHash.Of(utf8[..System.Text.Encoding.UTF8.GetBytes(key, utf8)]);
    }

    private static ulong HashOf(ulong timestamp)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, timestamp);
        return StableHash.Of(bytes);
    }
}
