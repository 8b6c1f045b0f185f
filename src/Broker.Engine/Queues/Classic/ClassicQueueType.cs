using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Policies;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues.Classic;

/// <summary>RabbitMQ's classic queues: FIFO (or priority) order, TTL, length limits, dead-lettering, lazy tails on disk.</summary>
public sealed class ClassicQueueType : QueueType
{
    private static readonly string[] Arguments =
    [
        "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-length",
        "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode", "x-single-active-consumer",
        "x-queue-type", "x-queue-master-locator", "x-queue-version",
    ];

    // rabbit_classic_queue:capabilities() in 3.10.
    private static readonly HashSet<string> Unsupported =
    [
        "max-age", "stream-max-segment-size-bytes", "queue-leader-locator", "initial-cluster-size", "delivery-limit", "dead-letter-strategy",
    ];

    public override string Name => "classic";

    public override IReadOnlySet<string> UnsupportedPolicyKeys => Unsupported;

    /// <summary>
    /// rabbit_amqqueue_process:process_args_policy: the smaller of policy and argument for expiry, TTL and
    /// length limits; the argument for dead-lettering and overflow (queue-mode and queue-version too,
    /// which change nothing here).
    /// </summary>
    public override PolicyPrecedence ResolvePolicyKey(string key) => key switch
    {
        "expires" or "message-ttl" or "max-length" or "max-length-bytes" => PolicyPrecedence.Minimum,
        "dead-letter-exchange" or "dead-letter-routing-key" or "overflow" => PolicyPrecedence.ArgumentWins,
        _ => PolicyPrecedence.Ignored,
    };

    public override IReadOnlyList<string> SupportedArguments => Arguments;

    /// <summary>
    /// x-queue-master-locator only chose a node for a mirrored queue's master; RabbitMQ 3.13 still
    /// accepts it and we ignore it. Placing a non-exclusive queue, RabbitMQ looks it up and crashes
    /// on a value it does not know (rabbit_queue_master_location_misc:get_location), which the
    /// client sees as connection.close 541 "INTERNAL_ERROR"; an exclusive queue never looks.
    /// </summary>
    public override EngineError Validate(in QueueDeclaration declaration, string displayName) =>
        !declaration.Exclusive
            && declaration.Arguments.TryGetValue("x-queue-master-locator", out var locator)
            && FieldValues.AsString(locator) is not ("min-masters" or "client-local" or "random")
            ? new EngineError(ErrorKind.InternalError, string.Empty)
            : EngineError.None;

    public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration) =>
        new ClassicQueue(virtualHost, this, declaration, virtualHost.Engine.Store.OpenLog(virtualHost.Name, declaration.Name, declaration.Durable));
}
