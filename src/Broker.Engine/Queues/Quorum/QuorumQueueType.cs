using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Policies;
using Broker.Engine.Queues.Classic;
using Broker.Engine.Sessions;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues.Quorum;

/// <summary>
/// RabbitMQ's quorum queues, on one node: declared with quorum's arguments and restrictions, always
/// durable. Their messages live in a classic queue's structures; what differs is declared here: returns
/// are counted (x-delivery-count, x-delivery-limit), and x-overflow reject-publish-dlx, which quorum
/// queues do not implement, acts as drop-head (RabbitMQ logs a warning and does the same).
/// </summary>
public sealed class QuorumQueueType : QueueType
{
    private readonly CompatibilityProfile _compat;

    /// <param name="compat">Decides the delivery limit of a queue that sets none, and what a negative one means.</param>
    public QuorumQueueType(CompatibilityProfile? compat = null) => _compat = compat ?? CompatibilityProfile.RabbitMq313;

    private static readonly string[] Arguments =
    [
        "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy", "x-expires", "x-max-length",
        "x-max-length-bytes", "x-max-in-memory-length", "x-max-in-memory-bytes", "x-overflow", "x-single-active-consumer",
        "x-queue-type", "x-quorum-initial-group-size", "x-delivery-limit", "x-message-ttl", "x-queue-leader-locator",
    ];

    // rabbit_quorum_queue:capabilities() in 3.10: a policy with mirroring keys does not apply to quorum queues.
    private static readonly HashSet<string> Unsupported =
    [
        "max-priority", "queue-mode", "single-active-consumer", "ha-mode", "ha-params", "ha-sync-mode", "ha-promote-on-shutdown",
        "ha-promote-on-failure", "queue-master-locator", "max-age", "stream-max-segment-size-bytes", "initial-cluster-size",
    ];

    public override string Name => "quorum";

    public override IReadOnlySet<string> UnsupportedPolicyKeys => Unsupported;

    /// <summary>
    /// rabbit_quorum_queue:ra_machine_config and dead_letter_handler: the smaller of policy and argument for
    /// limits, TTL and delivery limit; the policy's overflow and expiry (checked against RabbitMQ 3.10.8: a
    /// policy's drop-head overrides an x-overflow reject-publish argument); the argument for dead-lettering.
    /// </summary>
    public override PolicyPrecedence ResolvePolicyKey(string key) => key switch
    {
        "max-length" or "max-length-bytes" or "delivery-limit" or "message-ttl" => PolicyPrecedence.Minimum,
        "overflow" or "expires" => PolicyPrecedence.PolicyWins,
        "dead-letter-exchange" or "dead-letter-routing-key" or "dead-letter-strategy" => PolicyPrecedence.ArgumentWins,
        _ => PolicyPrecedence.Ignored,
    };

    public override IReadOnlyList<string> SupportedArguments => Arguments;

    public override bool CountsReturns => true;

    public override DeliveryAnnotationKind DeliveryAnnotation => DeliveryAnnotationKind.DeliveryCount;

    public override bool KeepsEveryMessage => true;

    /// <summary>reject-publish-dlx acts as drop-head; at-least-once dead-lettering needs reject-publish (else at-most-once).</summary>
    public override QueueSettings Effective(QueueSettings settings)
    {
        // rabbit_quorum_queue:get_delivery_limit: unset is the profile's default (none in 3.13, 20 in 4.x).
        if (!settings.DeliveryLimitSet)
        {
            settings = settings with { DeliveryLimit = _compat.DefaultQuorumDeliveryLimit };
        }
        else if (settings.DeliveryLimit < 0)
        {
            settings = settings with { DeliveryLimit = _compat.NegativeDeliveryLimitIsNone ? -1 : 0 };
        }

        if (settings.Overflow == OverflowBehaviour.RejectPublishDeadLetter)
        {
            settings = settings with { Overflow = OverflowBehaviour.DropHead };
        }

        return settings.DeadLetterAtLeastOnce && settings.Overflow != OverflowBehaviour.RejectPublish
            ? settings with { DeadLetterAtLeastOnce = false }
            : settings;
    }

    public override bool HonoursExclusiveConsume => false;

    public override EngineError CheckConsume(MessageQueue queue, bool noAck, FieldTable arguments, int prefetch, int globalPrefetch) =>
        globalPrefetch > 0 ? EngineError.NotImplemented($"{queue.DisplayName} does not support global qos") : EngineError.None;

    public override EngineError CheckGet(MessageQueue queue) =>
        queue.Settings.SingleActiveConsumer
            ? EngineError.ResourceLocked($"cannot obtain access to locked {queue.DisplayName}. basic.get operations are not supported by quorum queues with single active consumer")
            : EngineError.None;

    public override EngineError CheckDelete(MessageQueue queue, bool ifUnused, bool ifEmpty)
    {
        var flag = ifUnused ? "if-unused" : ifEmpty ? "if-empty" : null;
        return flag is null
            ? EngineError.None
            : EngineError.NotImplemented($"cannot delete {queue.DisplayName}. queue.delete operations with {flag} flag set are not supported by quorum queues");
    }

    /// <summary>rabbit_quorum_queue:declare's checks, in its order.</summary>
    public override EngineError Validate(in QueueDeclaration declaration, string displayName) =>
        QueueArguments.CheckReplicatedProperties(declaration, displayName);

    public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration) =>
        new ClassicQueue(virtualHost, this, declaration, virtualHost.Engine.Store.OpenLog(virtualHost.Name, declaration.Name, durable: true));
}
