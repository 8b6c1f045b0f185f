using Broker.DataModel.Encoding;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

internal static class ExchangeFactory
{
    public static Exchange Create(VirtualHost virtualHost, string name, string type, bool durable, bool autoDelete, bool @internal, FieldTable arguments) => type switch
    {
        ExchangeTypes.Direct => new DirectExchange(virtualHost, name, durable, autoDelete, @internal, arguments),
        ExchangeTypes.Fanout => new FanoutExchange(virtualHost, name, durable, autoDelete, @internal, arguments),
        ExchangeTypes.Topic => new TopicExchange(virtualHost, name, durable, autoDelete, @internal, arguments),
        ExchangeTypes.Headers => new HeadersExchange(virtualHost, name, durable, autoDelete, @internal, arguments),
        ExchangeTypes.DelayedMessage => new Delayed.DelayedMessageExchange(virtualHost, name, durable, autoDelete, @internal, arguments),
        ExchangeTypes.ConsistentHash => new ConsistentHashExchange(virtualHost, name, durable, autoDelete, @internal, arguments),
        _ => throw new ArgumentException($"unknown exchange type '{type}'", nameof(type)),
    };
}
