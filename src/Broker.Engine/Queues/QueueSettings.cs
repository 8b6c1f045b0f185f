using Broker.DataModel.Encoding;

namespace Broker.Engine.Queues;

/// <summary>What a queue's arguments ask for (validated at declaration), read once.</summary>
public sealed class QueueSettings
{
    public static readonly QueueSettings Default = new(new FieldTable());

    public QueueSettings(FieldTable arguments)
    {
        MessageTtl = Integer(arguments, "x-message-ttl") ?? -1;
        Expires = Integer(arguments, "x-expires") ?? -1;
        MaxLength = Integer(arguments, "x-max-length") ?? -1;
        MaxLengthBytes = Integer(arguments, "x-max-length-bytes") ?? -1;
        Overflow = arguments.GetString("x-overflow") switch
        {
            "reject-publish" => OverflowBehaviour.RejectPublish,
            "reject-publish-dlx" => OverflowBehaviour.RejectPublishDeadLetter,
            _ => OverflowBehaviour.DropHead,
        };
        DeadLetterExchange = arguments.GetString("x-dead-letter-exchange");
        DeadLetterRoutingKey = arguments.GetString("x-dead-letter-routing-key");
        MaxPriority = (byte)Math.Clamp(Integer(arguments, "x-max-priority") ?? 0, 0, 255);
        SingleActiveConsumer = arguments["x-single-active-consumer"] is true;
    }

    /// <summary>x-message-ttl in milliseconds, or -1.</summary>
    public long MessageTtl { get; }

    /// <summary>x-expires in milliseconds (the queue goes after that long unused), or -1.</summary>
    public long Expires { get; }

    public long MaxLength { get; }

    public long MaxLengthBytes { get; }

    public bool HasLengthLimit => MaxLength >= 0 || MaxLengthBytes >= 0;

    public OverflowBehaviour Overflow { get; }

    public string? DeadLetterExchange { get; }

    public string? DeadLetterRoutingKey { get; }

    /// <summary>x-max-priority; 0 for a queue without priorities.</summary>
    public byte MaxPriority { get; }

    public bool SingleActiveConsumer { get; }

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
