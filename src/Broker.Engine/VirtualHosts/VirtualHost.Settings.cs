using Broker.Engine.Errors;
using Broker.Engine.Limits;
using Broker.Engine.Stores;

namespace Broker.Engine.VirtualHosts;

/// <summary>What RabbitMQ keeps about a vhost beside its topology: metadata and limits.</summary>
public sealed partial class VirtualHost
{
    private volatile VirtualHostMetadata _metadata = VirtualHostMetadata.None;
    private volatile ResourceLimits _limits = ResourceLimits.None;

    /// <summary>Description, tags and default queue type, as RabbitMQ 3.10's vhost metadata.</summary>
    public VirtualHostMetadata Metadata => _metadata;

    /// <summary>max-connections and max-queues (RabbitMQ's "vhost-limits" parameter). Stored and reported, not enforced yet.</summary>
    public ResourceLimits Limits => _limits;

    /// <summary>
    /// Replaces the vhost's metadata. <paramref name="defaultQueueType"/> (null: none) must name one of
    /// the engine's queue types; it is stored and reported, not yet applied to declarations.
    /// </summary>
    public EngineError SetMetadata(string description, IReadOnlyList<string> tags, string? defaultQueueType)
    {
        if (defaultQueueType is not null && !Engine.QueueTypes.TryGet(defaultQueueType, out _))
        {
            return EngineError.PreconditionFailed($"unknown default queue type '{defaultQueueType}' for vhost '{Name}'");
        }

        lock (_lock)
        {
            _metadata = new VirtualHostMetadata(description, tags, defaultQueueType);
            Engine.Definitions.Persist(new VirtualHostMetadataSet(Name, description, tags, defaultQueueType));
        }

        return EngineError.None;
    }

    /// <summary>Replaces all of the vhost's limits (empty clears them).</summary>
    public EngineError SetLimits(ResourceLimits limits)
    {
        var invalid = limits.Check(ResourceLimits.VirtualHostNames, "limits");
        if (invalid.IsError)
        {
            return invalid;
        }

        lock (_lock)
        {
            _limits = limits;
            Engine.Definitions.Persist(new VirtualHostLimitsSet(Name, limits));
        }

        return EngineError.None;
    }

    /// <summary>Sets one limit, keeping the others (PUT /api/vhost-limits/{vhost}/{name}).</summary>
    public EngineError SetLimit(string name, long value)
    {
        lock (_lock)
        {
            return SetLimits(_limits.With(name, value));
        }
    }

    /// <summary>Clears one limit, keeping the others.</summary>
    public EngineError ClearLimit(string name)
    {
        lock (_lock)
        {
            return SetLimits(_limits.Without(name));
        }
    }
}

/// <summary>A vhost's description, tags and default queue type (null when none was given).</summary>
public sealed record VirtualHostMetadata(string Description, IReadOnlyList<string> Tags, string? DefaultQueueType)
{
    public static VirtualHostMetadata None { get; } = new(string.Empty, [], null);
}
