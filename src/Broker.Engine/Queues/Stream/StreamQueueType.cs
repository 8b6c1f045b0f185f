using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Policies;
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

    // rabbit_stream_queue:capabilities() in 3.10.
    private static readonly HashSet<string> Unsupported =
    [
        "expires", "message-ttl", "dead-letter-exchange", "dead-letter-routing-key", "max-length", "max-in-memory-length",
        "max-in-memory-bytes", "max-priority", "overflow", "queue-mode", "single-active-consumer", "delivery-limit", "ha-mode",
        "ha-params", "ha-sync-mode", "ha-promote-on-shutdown", "ha-promote-on-failure", "queue-master-locator", "dead-letter-strategy",
    ];

    public override string Name => "stream";

    public override string PolicyApplyToName => "streams";

    public override IReadOnlySet<string> UnsupportedPolicyKeys => Unsupported;

    /// <summary>rabbit_stream_queue:update_stream_conf: a policy's retention and segment size win over the arguments.</summary>
    public override PolicyPrecedence ResolvePolicyKey(string key) => key switch
    {
        "max-length-bytes" or "max-age" or "stream-max-segment-size-bytes" => PolicyPrecedence.PolicyWins,
        _ => PolicyPrecedence.Ignored,
    };

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

    /// <summary>
    /// Opens the stream's log in segments of its x-stream-max-segment-size-bytes, or its policy's (which
    /// wins): read once, when the log opens, at declaration and at every start.
    /// </summary>
    public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration)
    {
        var arguments = virtualHost.MatchQueue(declaration.Name, this).EffectiveArguments(this, declaration.Arguments);
        var segmentSize = QueueSettings.FromArguments(arguments).SegmentSize is long size and > 0 ? size : StreamRetention.DefaultSegmentSize;
        var log = virtualHost.Engine.Store.OpenStreamLog(virtualHost.Name, declaration.Name, segmentSize);
        return new StreamQueue(virtualHost, this, declaration, log, segmentSize);
    }
}
