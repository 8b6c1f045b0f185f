using Broker.DataModel.Encoding;

namespace Broker.Engine.Stores;

/// <summary>One change to what survives a restart: users, vhosts, permissions, policies, durable topology.</summary>
public abstract record DefinitionChange;

public sealed record VirtualHostAdded(string Name) : DefinitionChange;

public sealed record VirtualHostDeleted(string Name) : DefinitionChange;

/// <summary>A user, its password hashed with <paramref name="HashingAlgorithm"/> (RabbitMQ's module name).</summary>
public sealed record UserSaved(string Name, string PasswordHash, IReadOnlyList<string> Tags, string HashingAlgorithm = Security.PasswordHash.Sha256) : DefinitionChange;

public sealed record UserDeleted(string Name) : DefinitionChange;

public sealed record PermissionsSet(string User, string VirtualHost, string Configure, string Write, string Read) : DefinitionChange;

public sealed record PermissionsCleared(string User, string VirtualHost) : DefinitionChange;

public sealed record ExchangeDeclared(string VirtualHost, string Name, string Type, bool AutoDelete, bool Internal, FieldTable Arguments) : DefinitionChange;

public sealed record ExchangeDeleted(string VirtualHost, string Name) : DefinitionChange;

public sealed record QueueDeclared(string VirtualHost, string Name, bool AutoDelete, FieldTable Arguments) : DefinitionChange;

public sealed record QueueDeleted(string VirtualHost, string Name) : DefinitionChange;

/// <summary>A binding between durable ends; <paramref name="ToQueue"/> tells the destination's kind.</summary>
public sealed record BindingAdded(string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments) : DefinitionChange;

public sealed record BindingRemoved(string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments) : DefinitionChange;

/// <summary>A policy set (added or replaced) in a vhost.</summary>
public sealed record PolicySet(string VirtualHost, string Name, string Pattern, string ApplyTo, int Priority, FieldTable Definition) : DefinitionChange;

public sealed record PolicyCleared(string VirtualHost, string Name) : DefinitionChange;

/// <summary>An operator policy set (added or replaced) in a vhost.</summary>
public sealed record OperatorPolicySet(string VirtualHost, string Name, string Pattern, string ApplyTo, int Priority, FieldTable Definition) : DefinitionChange;

public sealed record OperatorPolicyCleared(string VirtualHost, string Name) : DefinitionChange;
