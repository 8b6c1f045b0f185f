using Broker.Engine.Errors;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues;

/// <summary>
/// A kind of queue, chosen by the x-queue-type argument: the arguments it supports, what else it
/// refuses at declaration, and how to make one. The virtual host finds types in the engine's
/// <see cref="QueueTypeRegistry"/>; nothing else knows the concrete queue classes.
/// </summary>
public abstract class QueueType
{
    /// <summary>The x-queue-type value: classic, quorum, stream.</summary>
    public abstract string Name { get; }

    /// <summary>The arguments this type accepts (RabbitMQ's per-type declare arguments); others known to RabbitMQ are refused.</summary>
    public abstract IReadOnlyList<string> SupportedArguments { get; }

    /// <summary>Refusals beyond the argument values (quorum queues are durable, shared and not auto-delete).</summary>
    public virtual EngineError Validate(in QueueDeclaration declaration, string displayName) => EngineError.None;

    /// <summary>A new queue of this type, or one being recovered (its log holds what it had).</summary>
    public abstract MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration, IQueueLog log);

    /// <summary>RabbitMQ's module name for the type, as its error texts print it (rabbit_classic_queue).</summary>
    public string ModuleName => $"rabbit_{Name}_queue";
}
