namespace Broker.Engine.Policies;

/// <summary>
/// How a policy's setting combines with the queue's own argument of the same name (x-KEY), as each of
/// RabbitMQ's queue types resolves it (rabbit_queue_type_util:args_policy_lookup with the type's rule).
/// The policy's side is already the policy and operator policy merged (the smaller limit of the two).
/// </summary>
public enum PolicyPrecedence : byte
{
    /// <summary>The key does nothing on this type (ha-*, queue-mode, or not the type's setting).</summary>
    Ignored,

    /// <summary>The queue's argument if it has one, else the policy's (dead-lettering, classic overflow).</summary>
    ArgumentWins,

    /// <summary>The policy's value if it has one, else the argument (quorum overflow and expires, stream retention).</summary>
    PolicyWins,

    /// <summary>The smaller of the two (limits and TTLs).</summary>
    Minimum,
}
