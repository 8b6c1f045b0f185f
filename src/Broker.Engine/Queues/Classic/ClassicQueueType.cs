using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
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
