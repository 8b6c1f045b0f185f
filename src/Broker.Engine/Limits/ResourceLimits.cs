using Broker.Engine.Errors;

namespace Broker.Engine.Limits;

/// <summary>
/// A vhost's or a user's limits, as RabbitMQ keeps them: named integers ("max-connections": 10). A
/// negative value means no limit, 0 allows nothing (rabbit_vhost_limit, rabbit_auth_backend_internal).
/// Immutable: a change makes a new set. Stored and reported only; enforcement is a later issue.
/// </summary>
public sealed class ResourceLimits
{
    public const string MaxConnections = "max-connections";
    public const string MaxQueues = "max-queues";
    public const string MaxChannels = "max-channels";

    private readonly SortedDictionary<string, long> _values;

    private ResourceLimits(SortedDictionary<string, long> values) => _values = values;

    public static ResourceLimits None { get; } = new(new SortedDictionary<string, long>(StringComparer.Ordinal));

    /// <summary>The limits a vhost takes (component "vhost-limits" in RabbitMQ 3.10).</summary>
    public static IReadOnlyList<string> VirtualHostNames { get; } = [MaxConnections, MaxQueues];

    /// <summary>The limits a user takes.</summary>
    public static IReadOnlyList<string> UserNames { get; } = [MaxConnections, MaxChannels];

    /// <summary>The limits set, ordered by name.</summary>
    public IReadOnlyDictionary<string, long> Values => _values;

    public bool IsEmpty => _values.Count == 0;

    public static ResourceLimits Of(IEnumerable<KeyValuePair<string, long>> values)
    {
        var sorted = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            sorted[name] = value;
        }

        return sorted.Count == 0 ? None : new ResourceLimits(sorted);
    }

    /// <summary>The value of one limit, or null when it is not set.</summary>
    public long? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public ResourceLimits With(string name, long value) => Of(_values.Where(v => v.Key != name).Append(new(name, value)));

    public ResourceLimits Without(string name) => _values.ContainsKey(name) ? Of(_values.Where(v => v.Key != name)) : this;

    /// <summary>Refuses names outside <paramref name="allowed"/>, with RabbitMQ's wording.</summary>
    public EngineError Check(IReadOnlyList<string> allowed, string component)
    {
        var unknown = _values.Keys.Where(name => !allowed.Contains(name)).ToList();
        return unknown.Count == 0
            ? EngineError.None
            : EngineError.PreconditionFailed($"Unrecognised terms [{string.Join(", ", unknown)}] in {component}");
    }

    public bool EquivalentTo(ResourceLimits other) => _values.Count == other._values.Count && _values.All(v => other.Get(v.Key) == v.Value);

    public override string ToString() => "{" + string.Join(", ", _values.Select(v => $"{v.Key}: {v.Value}")) + "}";
}
