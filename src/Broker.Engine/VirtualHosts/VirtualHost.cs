using System.Collections.Concurrent;
using System.Security.Cryptography;
using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;

namespace Broker.Engine.VirtualHosts;

/// <summary>
/// A virtual host: its exchanges, queues and bindings, and the one publish operation that routes a
/// message through them. Topology changes take the vhost's lock (lock order: vhost, exchange, queue,
/// session, output; see src/LOCKING.md); lookups and routing read concurrent tables without it.
/// Method names and error texts follow RabbitMQ's rabbit_channel handlers. Split by concern:
/// exchanges, queues, bindings, publishing.
/// </summary>
public sealed partial class VirtualHost
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, Exchange> _exchanges = new();
    private readonly ConcurrentDictionary<string, MessageQueue> _queues = new();
    private readonly ConcurrentDictionary<string, Exchange>.AlternateLookup<ReadOnlySpan<char>> _exchangesBySpan;
    private readonly ConcurrentDictionary<string, MessageQueue>.AlternateLookup<ReadOnlySpan<char>> _queuesBySpan;

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
