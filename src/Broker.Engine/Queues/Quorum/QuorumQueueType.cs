using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Queues.Classic;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues.Quorum;

/// <summary>
/// RabbitMQ's quorum queues, on one node: declared with quorum's arguments and restrictions, kept
/// durable. Their messages live in a classic queue's structures for now (no delivery limit yet).
/// </summary>
public sealed class QuorumQueueType : QueueType
{
    private static readonly string[] Arguments =
    [
        "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy", "x-expires", "x-max-length",
        "x-max-length-bytes", "x-max-in-memory-length", "x-max-in-memory-bytes", "x-overflow", "x-single-active-consumer",
        "x-queue-type", "x-quorum-initial-group-size", "x-delivery-limit", "x-message-ttl", "x-queue-leader-locator",
    ];

    public override string Name => "quorum";

    public override IReadOnlyList<string> SupportedArguments => Arguments;

    /// <summary>rabbit_quorum_queue:declare's checks, in its order.</summary>
    public override EngineError Validate(in QueueDeclaration declaration, string displayName) =>
        QueueArguments.CheckReplicatedProperties(declaration, displayName);

    public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration, IQueueLog log) =>
        new ClassicQueue(virtualHost, this, declaration, log);
}
