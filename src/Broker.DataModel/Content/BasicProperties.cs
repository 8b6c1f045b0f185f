using Broker.DataModel.Encoding;

namespace Broker.DataModel.Content;

/// <summary>
/// The 14 properties of the basic class, decoded. The hot path never builds one: it keeps the
/// encoded bytes and reads single fields with <see cref="MessageProperties"/>.
/// </summary>
public sealed class BasicProperties : IEquatable<BasicProperties>
{
    public string? ContentType { get; set; }

    public string? ContentEncoding { get; set; }

    public FieldTable? Headers { get; set; }

    public byte? DeliveryMode { get; set; }

    public byte? Priority { get; set; }

    public string? CorrelationId { get; set; }

    public string? ReplyTo { get; set; }

    public string? Expiration { get; set; }

    public string? MessageId { get; set; }

    public AmqpTimestamp? Timestamp { get; set; }

    public string? Type { get; set; }

    public string? UserId { get; set; }

    public string? AppId { get; set; }

    public string? ClusterId { get; set; }

    public PropertyFlags Flags =>
        (ContentType is null ? 0 : PropertyFlags.ContentType)
        | (ContentEncoding is null ? 0 : PropertyFlags.ContentEncoding)
        | (Headers is null ? 0 : PropertyFlags.Headers)
        | (DeliveryMode is null ? 0 : PropertyFlags.DeliveryMode)
        | (Priority is null ? 0 : PropertyFlags.Priority)
        | (CorrelationId is null ? 0 : PropertyFlags.CorrelationId)
        | (ReplyTo is null ? 0 : PropertyFlags.ReplyTo)
        | (Expiration is null ? 0 : PropertyFlags.Expiration)
        | (MessageId is null ? 0 : PropertyFlags.MessageId)
        | (Timestamp is null ? 0 : PropertyFlags.Timestamp)
        | (Type is null ? 0 : PropertyFlags.Type)
        | (UserId is null ? 0 : PropertyFlags.UserId)
        | (AppId is null ? 0 : PropertyFlags.AppId)
        | (ClusterId is null ? 0 : PropertyFlags.ClusterId);

    /// <summary>Decodes the property flags and list (a content header payload after its first 12 bytes).</summary>
    public static BasicProperties Read(ReadOnlySpan<byte> encoded)
    {
        var reader = new AmqpReader(encoded);
        var flags = (PropertyFlags)reader.ReadShort();
        for (var word = (ushort)flags; (word & 1) != 0;)
        {
            // Extra flag words carry no basic-class properties; skip them.
            word = reader.ReadShort();
        }

        var properties = new BasicProperties();
        if ((flags & PropertyFlags.ContentType) != 0) properties.ContentType = reader.ReadShortString();
        if ((flags & PropertyFlags.ContentEncoding) != 0) properties.ContentEncoding = reader.ReadShortString();
        if ((flags & PropertyFlags.Headers) != 0) properties.Headers = FieldTableCodec.ReadTable(ref reader);
        if ((flags & PropertyFlags.DeliveryMode) != 0) properties.DeliveryMode = reader.ReadOctet();
        if ((flags & PropertyFlags.Priority) != 0) properties.Priority = reader.ReadOctet();
        if ((flags & PropertyFlags.CorrelationId) != 0) properties.CorrelationId = reader.ReadShortString();
        if ((flags & PropertyFlags.ReplyTo) != 0) properties.ReplyTo = reader.ReadShortString();
        if ((flags & PropertyFlags.Expiration) != 0) properties.Expiration = reader.ReadShortString();
        if ((flags & PropertyFlags.MessageId) != 0) properties.MessageId = reader.ReadShortString();
        if ((flags & PropertyFlags.Timestamp) != 0) properties.Timestamp = reader.ReadTimestamp();
        if ((flags & PropertyFlags.Type) != 0) properties.Type = reader.ReadShortString();
        if ((flags & PropertyFlags.UserId) != 0) properties.UserId = reader.ReadShortString();
        if ((flags & PropertyFlags.AppId) != 0) properties.AppId = reader.ReadShortString();
        if ((flags & PropertyFlags.ClusterId) != 0) properties.ClusterId = reader.ReadShortString();
        return properties;
    }

    public int GetSize()
    {
        var size = 2;
        if (ContentType is not null) size += AmqpWriter.ShortStringSize(ContentType);
        if (ContentEncoding is not null) size += AmqpWriter.ShortStringSize(ContentEncoding);
        if (Headers is not null) size += FieldTableCodec.GetTableSize(Headers);
        if (DeliveryMode is not null) size += 1;
        if (Priority is not null) size += 1;
        if (CorrelationId is not null) size += AmqpWriter.ShortStringSize(CorrelationId);
        if (ReplyTo is not null) size += AmqpWriter.ShortStringSize(ReplyTo);
        if (Expiration is not null) size += AmqpWriter.ShortStringSize(Expiration);
        if (MessageId is not null) size += AmqpWriter.ShortStringSize(MessageId);
        if (Timestamp is not null) size += 8;
        if (Type is not null) size += AmqpWriter.ShortStringSize(Type);
        if (UserId is not null) size += AmqpWriter.ShortStringSize(UserId);
        if (AppId is not null) size += AmqpWriter.ShortStringSize(AppId);
        if (ClusterId is not null) size += AmqpWriter.ShortStringSize(ClusterId);
        return size;
    }

    public void Write(ref AmqpWriter writer)
    {
        writer.WriteShort((ushort)Flags);
        if (ContentType is not null) writer.WriteShortString(ContentType);
        if (ContentEncoding is not null) writer.WriteShortString(ContentEncoding);
        if (Headers is not null) FieldTableCodec.WriteTable(ref writer, Headers);
        if (DeliveryMode is { } deliveryMode) writer.WriteOctet(deliveryMode);
        if (Priority is { } priority) writer.WriteOctet(priority);
        if (CorrelationId is not null) writer.WriteShortString(CorrelationId);
        if (ReplyTo is not null) writer.WriteShortString(ReplyTo);
        if (Expiration is not null) writer.WriteShortString(Expiration);
        if (MessageId is not null) writer.WriteShortString(MessageId);
        if (Timestamp is { } timestamp) writer.WriteTimestamp(timestamp);
        if (Type is not null) writer.WriteShortString(Type);
        if (UserId is not null) writer.WriteShortString(UserId);
        if (AppId is not null) writer.WriteShortString(AppId);
        if (ClusterId is not null) writer.WriteShortString(ClusterId);
    }

    public byte[] Encode()
    {
        var bytes = new byte[GetSize()];
        var writer = new AmqpWriter(bytes);
        Write(ref writer);
        return bytes;
    }

    public bool Equals(BasicProperties? other) =>
        other is not null
        && ContentType == other.ContentType
        && ContentEncoding == other.ContentEncoding
        && Equals(Headers, other.Headers)
        && DeliveryMode == other.DeliveryMode
        && Priority == other.Priority
        && CorrelationId == other.CorrelationId
        && ReplyTo == other.ReplyTo
        && Expiration == other.Expiration
        && MessageId == other.MessageId
        && Timestamp == other.Timestamp
        && Type == other.Type
        && UserId == other.UserId
        && AppId == other.AppId
        && ClusterId == other.ClusterId;

    public override bool Equals(object? obj) => Equals(obj as BasicProperties);

    public override int GetHashCode() => HashCode.Combine(ContentType, DeliveryMode, MessageId);
}
