using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Sessions;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// RabbitMQ's streams over AMQP 0-9-1, on one node: an append-only log that consumers read from
/// their own offsets, with RabbitMQ's restrictions and texts (a consumer needs a prefetch and manual
/// acks; basic.get, purge, reject and nack are refused; durable, shared, not auto-delete).
/// </summary>
public sealed class StreamQueueType : QueueType
{
    private static readonly string[] Arguments =
    [
        "x-max-length-bytes", "x-queue-type", "x-max-age", "x-stream-max-segment-size-bytes", "x-initial-cluster-size",
        "x-queue-leader-locator",
    ];

    public override string Name => "stream";

    public override IReadOnlyList<string> SupportedArguments => Arguments;

    public override bool HonoursExclusiveConsume => false;

    public override DeliveryAnnotationKind DeliveryAnnotation => DeliveryAnnotationKind.StreamOffset;

    public override EngineError Validate(in QueueDeclaration declaration, string displayName) =>
        QueueArguments.CheckReplicatedProperties(declaration, displayName);

    /// <summary>rabbit_stream_queue:consume's checks, in its order, then the offset argument.</summary>
    public override EngineError CheckConsume(MessageQueue queue, bool noAck, FieldTable arguments, int prefetch, int globalPrefetch)
    {
        if (prefetch == 0)
        {
            return EngineError.PreconditionFailed($"consumer prefetch count is not set for '{queue.DisplayName}'");
        }

        if (noAck)
        {
            return EngineError.NotImplemented($"automatic acknowledgement not supported by stream queues {queue.DisplayName}");
        }

        if (globalPrefetch > 0)
        {
            return EngineError.NotImplemented($"{queue.DisplayName} does not support global qos");
        }

        return StreamOffsetSpec.Parse(arguments, queue.DisplayName, nowMilliseconds: 0, out _);
    }

    public override EngineError CheckGet(MessageQueue queue) =>
        EngineError.NotImplemented($"basic.get not supported by stream queues {queue.DisplayName}");

    public override EngineError CheckPurge(MessageQueue queue) =>
        EngineError.NotImplemented($"queue.purge not supported by stream queues {queue.DisplayName}");

    public override EngineError CheckReject(MessageQueue queue) =>
        EngineError.NotImplemented($"basic.nack and basic.reject not supported by stream queues {queue.DisplayName}");

    public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration)
    {
        var retention = StreamRetention.FromArguments(declaration.Arguments);
        var log = virtualHost.Engine.Store.OpenStreamLog(virtualHost.Name, declaration.Name, retention.SegmentSize);
        return new StreamQueue(virtualHost, this, declaration, log, retention);
    }
}
