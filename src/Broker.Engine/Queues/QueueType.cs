using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Policies;
using Broker.Engine.Sessions;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues;

/// <summary>
/// A kind of queue, chosen by the x-queue-type argument: the arguments it supports, what else it
/// refuses at declaration, and how to make one. The virtual host finds types in the engine's
/// <see cref="QueueTypeRegistry"/>; nothing else knows the concrete queue classes.
/// </summary>
public abstract class QueueType
{
    private static readonly HashSet<string> NoKeys = [];

    /// <summary>The x-queue-type value: classic, quorum, stream.</summary>
    public abstract string Name { get; }

    /// <summary>The arguments this type accepts (RabbitMQ's per-type declare arguments); others known to RabbitMQ are refused.</summary>
    public abstract IReadOnlyList<string> SupportedArguments { get; }

    /// <summary>Refusals beyond the argument values (quorum queues are durable, shared and not auto-delete).</summary>
    public virtual EngineError Validate(in QueueDeclaration declaration, string displayName) => EngineError.None;

    /// <summary>
    /// True when the queue counts how often each message came back (quorum queues): deliveries then
    /// carry x-delivery-count and the delivery limit applies.
    /// </summary>
    public virtual bool CountsReturns => false;

    /// <summary>True when every message is kept on disk whatever its delivery mode (quorum queues).</summary>
    public virtual bool KeepsEveryMessage => false;

    /// <summary>
    /// What settings come to on a queue of this type: from its arguments at declaration, and from
    /// whatever computes them later (policies) before <see cref="MessageQueue.ApplySettings"/> puts them
    /// in force. Classic queues do not dead-letter at least once.
    /// </summary>
    public virtual QueueSettings Effective(QueueSettings settings) =>
        settings.DeadLetterAtLeastOnce ? settings with { DeadLetterAtLeastOnce = false } : settings;

    /// <summary>The apply-to value that selects only queues of this type (RabbitMQ 3.12's policy_apply_to_name).</summary>
    public virtual string PolicyApplyToName => $"{Name}_queues";

    /// <summary>
    /// Policy keys RabbitMQ's type does not support: a policy holding any of them does not apply to its
    /// queues at all (rabbit_queue_type:is_policy_applicable, the type's unsupported_policies).
    /// </summary>
    public virtual IReadOnlySet<string> UnsupportedPolicyKeys => NoKeys;

    /// <summary>How a policy key combines with the queue's own x-argument on this type (what it does here).</summary>
    public virtual PolicyPrecedence ResolvePolicyKey(string key) => PolicyPrecedence.Ignored;

    /// <summary>False when the exclusive flag of basic.consume is ignored (quorum queues ignore it).</summary>
    public virtual bool HonoursExclusiveConsume => true;

    /// <summary>
    /// What this type refuses at basic.consume beyond the common checks, given the channel's prefetch
    /// (<paramref name="globalPrefetch"/> is the channel-wide limit basic.qos global=true set, 0 for none).
    /// </summary>
    public virtual EngineError CheckConsume(MessageQueue queue, bool noAck, FieldTable arguments, int prefetch, int globalPrefetch) => EngineError.None;

    /// <summary>What this type refuses at basic.get.</summary>
    public virtual EngineError CheckGet(MessageQueue queue) => EngineError.None;

    /// <summary>What this type refuses at queue.purge (streams cannot be purged).</summary>
    public virtual EngineError CheckPurge(MessageQueue queue) => EngineError.None;

    /// <summary>What this type refuses when a delivery is rejected or nacked (streams refuse both).</summary>
    public virtual EngineError CheckReject(MessageQueue queue) => EngineError.None;

    /// <summary>The header deliveries from this type carry: none, x-delivery-count (quorum), x-stream-offset (stream).</summary>
    public virtual DeliveryAnnotationKind DeliveryAnnotation => DeliveryAnnotationKind.None;

    /// <summary>What this type refuses at queue.delete (quorum queues do not support if-unused and if-empty).</summary>
    public virtual EngineError CheckDelete(MessageQueue queue, bool ifUnused, bool ifEmpty) => EngineError.None;

    /// <summary>
    /// A new queue of this type, or one being recovered: it opens its log from the engine's store, which
    /// holds what the queue had before a restart.
    /// </summary>
    public abstract MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration);

    /// <summary>RabbitMQ's module name for the type, as its error texts print it (rabbit_classic_queue).</summary>
    public string ModuleName => $"rabbit_{Name}_queue";
}
