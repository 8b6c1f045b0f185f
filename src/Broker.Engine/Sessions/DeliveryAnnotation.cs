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

    /// <summary>What a quorum queue adds: the count once the message has been returned at least once.</summary>
    public static DeliveryAnnotation ForDeliveryCount(int count) =>
        count > 0 ? new DeliveryAnnotation(DeliveryAnnotationKind.DeliveryCount, count) : None;
}

public enum DeliveryAnnotationKind : byte
{
    None,
    DeliveryCount,
    StreamOffset,
}
