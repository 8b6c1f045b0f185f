using Broker.Engine.Queues.Classic;
using Broker.Engine.Queues.Quorum;
using Broker.Engine.Queues.Stream;

namespace Broker.Engine.Queues;

/// <summary>The queue types one engine offers, by their x-queue-type name. Filled once, read without locks.</summary>
public sealed class QueueTypeRegistry
{
    private readonly Dictionary<string, QueueType> _types = new(StringComparer.Ordinal);

    /// <summary>The types every broker has: classic, quorum and stream, with the defaults of <paramref name="compat"/> (3.13's when null).</summary>
    public QueueTypeRegistry(CompatibilityProfile? compat = null)
    {
        Add(new ClassicQueueType());
        Add(new QuorumQueueType(compat ?? CompatibilityProfile.RabbitMq313));
        Add(new StreamQueueType());
    }

    /// <summary>The type of queues declared without x-queue-type.</summary>
    public QueueType Default => _types["classic"];

    public IEnumerable<QueueType> Types => _types.Values;

    /// <summary>Adds (or replaces) a type; only while the broker is being composed.</summary>
    public void Add(QueueType type) => _types[type.Name] = type;

    public bool TryGet(string name, out QueueType type) => _types.TryGetValue(name, out type!);
}
