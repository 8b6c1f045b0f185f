using Broker.Engine.Queues;

namespace Broker.Engine.Sessions;

/// <summary>
/// A header a queue adds to one delivery without storing it with the message: a quorum queue's
/// x-delivery-count on a redelivery, a stream's x-stream-offset. The delivery target writes it into
/// the content header it sends.
/// </summary>
public readonly record struct DeliveryAnnotation(DeliveryAnnotationKind Kind, long Value)
{
    public static DeliveryAnnotation None => default;

    public bool IsNone => Kind == DeliveryAnnotationKind.None;

    /// <summary>The header's name, as written on the wire.</summary>
    public ReadOnlySpan<byte> HeaderName => Kind switch
    {
        DeliveryAnnotationKind.DeliveryCount => "x-delivery-count"u8,
        DeliveryAnnotationKind.StreamOffset => "x-stream-offset"u8,
        _ => default,
    };

    /// <summary>
    /// What a delivery of <paramref name="entry"/> carries from a queue annotating <paramref name="kind"/>:
    /// a quorum queue's count once the message has come back at least once, a stream's offset always.
    /// </summary>
    public static DeliveryAnnotation For(DeliveryAnnotationKind kind, in QueueEntry entry) => kind switch
    {
        DeliveryAnnotationKind.DeliveryCount when entry.DeliveryCount > 0 => new(kind, entry.DeliveryCount),
        DeliveryAnnotationKind.StreamOffset => new(kind, entry.Sequence),
        _ => None,
    };
}

public enum DeliveryAnnotationKind : byte
{
    None,
    DeliveryCount,
    StreamOffset,
}
