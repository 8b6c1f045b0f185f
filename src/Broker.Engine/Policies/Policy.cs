using System.Text;
using Broker.DataModel.Encoding;

namespace Broker.Engine.Policies;

/// <summary>
/// A policy or operator policy of one vhost, as RabbitMQ keeps it: a name, a pattern matched against
/// queue and exchange names (PCRE, anywhere in the name unless anchored), what it applies to, a
/// priority (the highest of the matching policies wins) and a definition of settings (message-ttl,
/// max-length, dead-letter-exchange, ha-mode...). Immutable; <see cref="VirtualHosts.VirtualHost.SetPolicy"/>
/// validates it with RabbitMQ's texts before it takes effect.
/// </summary>
public sealed class Policy
{
    private readonly PolicyPattern? _pattern;
    private readonly object? _patternError;

    /// <param name="applyTo">queues, exchanges, all, classic_queues, quorum_queues or streams (RabbitMQ's default: all).</param>
    /// <param name="definition">The settings, as field-table values: strings (byte[] or string), longs, doubles, booleans, arrays, tables.</param>
    public Policy(string virtualHost, string name, string pattern, string applyTo, int priority, FieldTable definition)
    {
        VirtualHost = virtualHost;
        Name = name;
        Pattern = pattern;
        ApplyTo = applyTo;
        Priority = priority;

        // RabbitMQ keeps a definition as a sorted proplist: that is the order it lists and exports keys in.
        Definition = new FieldTable(definition.OrderBy(entry => Encoding.UTF8.GetBytes(entry.Key), BytewiseOrder.Instance));
        Target = PolicyTargets.Parse(applyTo);
        _pattern = PolicyPattern.TryCreate(pattern, out _patternError);
    }

    public string VirtualHost { get; }

    public string Name { get; }

    public string Pattern { get; }

    /// <summary>As given: queues, exchanges, all, classic_queues, quorum_queues, streams.</summary>
    public string ApplyTo { get; }

    public int Priority { get; }

    /// <summary>The settings, keys in RabbitMQ's (sorted) order. Do not change it.</summary>
    public FieldTable Definition { get; }

    internal PolicyTarget? Target { get; }

    /// <summary>re:compile's error for the pattern, or null when it compiled.</summary>
    internal object? PatternError => _patternError;

    internal bool Matches(string name) => _pattern?.IsMatch(name) == true;

    /// <summary>Same pattern, target, priority and definition: setting it again changes nothing (as RabbitMQ's runtime parameters).</summary>
    public bool SameAs(Policy other) =>
        Name == other.Name && VirtualHost == other.VirtualHost && Pattern == other.Pattern && ApplyTo == other.ApplyTo
        && Priority == other.Priority && Definition.EquivalentTo(other.Definition);

    public override string ToString() => $"policy '{Name}' in vhost '{VirtualHost}' ({Pattern}, {ApplyTo}, {Priority})";
}
