using Broker.Engine.Limits;

namespace Broker.Engine.Stores;

// Definition changes for what RabbitMQ's definitions carry beside topology: vhost metadata and limits,
// user limits, topic permissions and runtime parameters the broker keeps without using them.

/// <summary>A vhost's description, tags and default queue type (null: none), as RabbitMQ's vhost metadata.</summary>
public sealed record VirtualHostMetadataSet(string Name, string Description, IReadOnlyList<string> Tags, string? DefaultQueueType) : DefinitionChange;

/// <summary>A vhost's limits, all of them; empty clears them.</summary>
public sealed record VirtualHostLimitsSet(string VirtualHost, ResourceLimits Limits) : DefinitionChange;

/// <summary>A user's limits, all of them; empty clears them.</summary>
public sealed record UserLimitsSet(string User, ResourceLimits Limits) : DefinitionChange;

public sealed record TopicPermissionsSet(string User, string VirtualHost, string Exchange, string Write, string Read) : DefinitionChange;

/// <summary>A user's topic permissions in a vhost for one exchange, or for every exchange when <paramref name="Exchange"/> is null.</summary>
public sealed record TopicPermissionsCleared(string User, string VirtualHost, string? Exchange) : DefinitionChange;

/// <summary>A runtime parameter of a component the broker does not use, its value as JSON text.</summary>
public sealed record ParameterSet(string VirtualHost, string Component, string Name, string Value) : DefinitionChange;

public sealed record ParameterCleared(string VirtualHost, string Component, string Name) : DefinitionChange;

/// <summary>A global runtime parameter (cluster_name, internal_cluster_id, ...), its value as JSON text.</summary>
public sealed record GlobalParameterSet(string Name, string Value) : DefinitionChange;

public sealed record GlobalParameterCleared(string Name) : DefinitionChange;
