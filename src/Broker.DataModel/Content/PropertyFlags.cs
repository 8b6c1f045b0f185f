namespace Broker.DataModel.Content;

/// <summary>Bits of the basic class's property flags word, in wire order (bit 15 first).</summary>
[Flags]
public enum PropertyFlags : ushort
{
    None = 0,
    ContentType = 1 << 15,
    ContentEncoding = 1 << 14,
    Headers = 1 << 13,
    DeliveryMode = 1 << 12,
    Priority = 1 << 11,
    CorrelationId = 1 << 10,
    ReplyTo = 1 << 9,
    Expiration = 1 << 8,
    MessageId = 1 << 7,
    Timestamp = 1 << 6,
    Type = 1 << 5,
    UserId = 1 << 4,
    AppId = 1 << 3,
    ClusterId = 1 << 2,

    /// <summary>Another flags word follows; the basic class never needs one.</summary>
    Continuation = 1,
}
