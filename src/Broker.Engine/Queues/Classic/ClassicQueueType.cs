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

    public override string Name => "classic";

    public override IReadOnlyList<string> SupportedArguments => Arguments;

    public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration) =>
        new ClassicQueue(virtualHost, this, declaration, virtualHost.Engine.Store.OpenLog(virtualHost.Name, declaration.Name, declaration.Durable));
}
