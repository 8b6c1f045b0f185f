using Broker.Engine.Queues;

namespace Broker.Engine.Policies;

/// <summary>What a policy's apply-to selects.</summary>
internal enum PolicyTarget : byte
{
    All,
    Queues,
    Exchanges,

    /// <summary>classic_queues, quorum_queues, streams (RabbitMQ 3.12): queues of one type.</summary>
    ClassicQueues,
    QuorumQueues,
    Streams,
}

internal static class PolicyTargets
{
    public static PolicyTarget? Parse(string applyTo) => applyTo switch
    {
        "all" => PolicyTarget.All,
        "queues" => PolicyTarget.Queues,
        "exchanges" => PolicyTarget.Exchanges,
        "classic_queues" => PolicyTarget.ClassicQueues,
        "quorum_queues" => PolicyTarget.QuorumQueues,
        "streams" => PolicyTarget.Streams,
        _ => null,
    };

    /// <summary>rabbit_policy:matches_type and (3.12) matches_queue_type: a type-specific value names the type's policy_apply_to_name.</summary>
    public static bool AppliesTo(this PolicyTarget target, QueueType type) => target switch
    {
        PolicyTarget.All or PolicyTarget.Queues => true,
        PolicyTarget.Exchanges => false,
        PolicyTarget.ClassicQueues => type.PolicyApplyToName == "classic_queues",
        PolicyTarget.QuorumQueues => type.PolicyApplyToName == "quorum_queues",
        PolicyTarget.Streams => type.PolicyApplyToName == "streams",
        _ => false,
    };

    public static bool AppliesToExchanges(this PolicyTarget target) => target is PolicyTarget.All or PolicyTarget.Exchanges;
}
