using Broker.DataModel.Encoding;

namespace Broker.Engine.Queues;

/// <summary>
/// What a queue does: its effective settings. Made from its arguments at declaration (validated
/// there) with what the policies matching it define; a policy change makes others, which
/// <see cref="MessageQueue.ApplySettings"/> puts in force on the live queue. Immutable: a queue reads
/// one consistent set.
/// </summary>
public sealed record QueueSettings
{
    public static readonly QueueSettings Default = FromArguments(new FieldTable());

    /// <summary>x-message-ttl in milliseconds, or -1.</summary>
    public long MessageTtl { get; init; } = -1;

    /// <summary>x-expires in milliseconds (the queue goes after that long unused), or -1.</summary>
    public long Expires { get; init; } = -1;

    /// <summary>x-max-length, or -1.</summary>
    public long MaxLength { get; init; } = -1;

    /// <summary>x-max-length-bytes (of bodies), or -1.</summary>
    public long MaxLengthBytes { get; init; } = -1;

    public bool HasLengthLimit => MaxLength >= 0 || MaxLengthBytes >= 0;

    public OverflowBehaviour Overflow { get; init; }

    public string? DeadLetterExchange { get; init; }

    public string? DeadLetterRoutingKey { get; init; }

    /// <summary>
    /// x-delivery-limit (quorum queues): how often a message may come back before it is dropped or
    /// dead-lettered instead (with limit N it is delivered at most N + 1 times); negative for none. A value
    /// that is not an integer means none, as RabbitMQ reads it; what a negative integer means is the
    /// compatibility profile's (the quorum type's <see cref="QueueType.Effective"/> decides).
    /// </summary>
    public long DeliveryLimit { get; init; } = -1;

    /// <summary>True when the argument or a policy named a delivery limit (RabbitMQ 4.x defaults an unset one to 20).</summary>
    public bool DeliveryLimitSet { get; init; }

    /// <summary>
    /// True when dead-lettered messages leave the queue only once their copies are on disk
    /// (x-dead-letter-strategy at-least-once). Only quorum queues honour it, and only with x-overflow
    /// reject-publish (<see cref="QueueType.Effective"/> decides); otherwise at-most-once.
    /// </summary>
    public bool DeadLetterAtLeastOnce { get; init; }

    /// <summary>x-max-age (streams) in milliseconds, or -1.</summary>
    public long MaxAge { get; init; } = -1;

    /// <summary>x-stream-max-segment-size-bytes (streams), or -1 for the default.</summary>
    public long SegmentSize { get; init; } = -1;

    /// <summary>x-max-priority; 0 for a queue without priorities. Fixed at declaration.</summary>
    public byte MaxPriority { get; init; }

    /// <summary>x-single-active-consumer. Fixed at declaration.</summary>
    public bool SingleActiveConsumer { get; init; }

    public static QueueSettings FromArguments(FieldTable arguments) => new()
    {
        MessageTtl = Integer(arguments, "x-message-ttl") ?? -1,
        Expires = Integer(arguments, "x-expires") ?? -1,
        MaxLength = Integer(arguments, "x-max-length") ?? -1,
        MaxLengthBytes = Integer(arguments, "x-max-length-bytes") ?? -1,
        Overflow = arguments.GetString("x-overflow") switch
        {
            "reject-publish" => OverflowBehaviour.RejectPublish,
            "reject-publish-dlx" => OverflowBehaviour.RejectPublishDeadLetter,
            _ => OverflowBehaviour.DropHead,
        },
        DeadLetterExchange = arguments.GetString("x-dead-letter-exchange"),
        DeadLetterRoutingKey = arguments.GetString("x-dead-letter-routing-key"),
        DeliveryLimit = Integer(arguments, "x-delivery-limit") ?? -1,
        DeliveryLimitSet = Integer(arguments, "x-delivery-limit") is not null,
        DeadLetterAtLeastOnce = arguments.GetString("x-dead-letter-strategy") == "at-least-once",
        MaxPriority = (byte)Math.Clamp(Integer(arguments, "x-max-priority") ?? 0, 0, 255),
        SingleActiveConsumer = arguments["x-single-active-consumer"] is true,
        MaxAge = Arguments.MaxAge.TryParse(arguments.GetString("x-max-age"), out var age) ? age : -1,
        SegmentSize = Integer(arguments, "x-stream-max-segment-size-bytes") is long size and > 0 ? size : -1,
    };

    /// <summary>These settings, with what cannot change on a live queue taken from <paramref name="current"/>.</summary>
    public QueueSettings KeepingFixedFrom(QueueSettings current) =>
        MaxPriority == current.MaxPriority && SingleActiveConsumer == current.SingleActiveConsumer
            ? this
            : this with { MaxPriority = current.MaxPriority, SingleActiveConsumer = current.SingleActiveConsumer };

    private static long? Integer(FieldTable arguments, string key) => FieldValues.AsInteger(arguments[key]);
}

public enum OverflowBehaviour : byte
{
    DropHead,
    RejectPublish,
    RejectPublishDeadLetter,
}

/// <summary>Why a message was dead-lettered, as the x-death header's "reason" says it.</summary>
public enum DeadLetterReason : byte
{
    Rejected,
    Expired,
    MaxLength,

    /// <summary>A quorum queue's message came back more often than its delivery limit.</summary>
    DeliveryLimit,
}

/// <summary>What became of a message handed to <see cref="MessageQueue.Enqueue"/>.</summary>
public enum EnqueueResult : byte
{
    Enqueued,

    /// <summary>The queue is full and refuses publishes (x-overflow reject-publish): the publisher gets a nack.</summary>
    Rejected,

    /// <summary>The queue was deleted meanwhile.</summary>
    Gone,
}
