using Broker.DataModel.Encoding;

namespace Broker.DataModel.Content;

/// <summary>
/// One pass over encoded basic properties that finds the fields the broker acts on, without decoding
/// the rest: the hot path keeps the encoded bytes and forwards them unchanged. Throws
/// <see cref="AmqpProtocolException"/> if the property list is malformed.
/// </summary>
public readonly ref struct MessageProperties
{
    private readonly ReadOnlySpan<byte> _encoded;
    private readonly int _headersAt;
    private readonly int _headersLength;
    private readonly int _expirationAt;
    private readonly int _userIdAt;
    private readonly int _replyToAt;
    private readonly int _correlationIdAt;
    private readonly int _messageIdAt;
    private readonly int _timestampAt;

    private MessageProperties(ReadOnlySpan<byte> encoded, PropertyFlags flags, byte deliveryMode, byte priority, int headersAt, int headersLength, int expirationAt, int userIdAt, int replyToAt, int correlationIdAt, int messageIdAt, int timestampAt)
    {
        _encoded = encoded;
        Flags = flags;
        DeliveryMode = deliveryMode;
        Priority = priority;
        _headersAt = headersAt;
        _headersLength = headersLength;
        _expirationAt = expirationAt;
        _userIdAt = userIdAt;
        _replyToAt = replyToAt;
        _correlationIdAt = correlationIdAt;
        _messageIdAt = messageIdAt;
        _timestampAt = timestampAt;
    }

    public PropertyFlags Flags { get; }

    /// <summary>0 when absent; 2 is persistent.</summary>
    public byte DeliveryMode { get; }

    public byte Priority { get; }

    public bool IsPersistent => DeliveryMode == 2;

    public bool HasHeaders => (Flags & PropertyFlags.Headers) != 0;

    /// <summary>The headers table body (without its length prefix); empty when absent.</summary>
    public ReadOnlySpan<byte> HeadersBody => _headersAt < 0 ? default : _encoded.Slice(_headersAt, _headersLength);

    /// <summary>Where <see cref="HeadersBody"/> starts in the encoded properties; -1 when absent.</summary>
    public int HeadersBodyOffset => _headersAt;

    public bool HasExpiration => _expirationAt >= 0;

    public ReadOnlySpan<byte> Expiration => ShortStringAt(_expirationAt);

    public bool HasUserId => _userIdAt >= 0;

    public ReadOnlySpan<byte> UserId => ShortStringAt(_userIdAt);

    public bool HasReplyTo => _replyToAt >= 0;

    public ReadOnlySpan<byte> ReplyTo => ShortStringAt(_replyToAt);

    public bool HasCorrelationId => _correlationIdAt >= 0;

    public ReadOnlySpan<byte> CorrelationId => ShortStringAt(_correlationIdAt);

    public bool HasMessageId => _messageIdAt >= 0;

    public ReadOnlySpan<byte> MessageId => ShortStringAt(_messageIdAt);

    public bool HasTimestamp => _timestampAt >= 0;

    /// <summary>Seconds since the Unix epoch; 0 when absent.</summary>
    public ulong Timestamp => _timestampAt < 0 ? 0 : System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_encoded.Slice(_timestampAt, 8));

    public static MessageProperties Parse(ReadOnlySpan<byte> encoded)
    {
        var reader = new AmqpReader(encoded);
        var flags = (PropertyFlags)reader.ReadShort();
        for (var word = (ushort)flags; (word & 1) != 0;)
        {
            word = reader.ReadShort();
        }

        byte deliveryMode = 0, priority = 0;
        int headersAt = -1, headersLength = 0, expirationAt = -1, userIdAt = -1, replyToAt = -1, correlationIdAt = -1, messageIdAt = -1, timestampAt = -1;
        if ((flags & PropertyFlags.ContentType) != 0) ReadText(ref reader);
        if ((flags & PropertyFlags.ContentEncoding) != 0) ReadText(ref reader);
        if ((flags & PropertyFlags.Headers) != 0)
        {
            var body = reader.ReadLongString();
            headersAt = reader.Position - body.Length;
            headersLength = body.Length;
            FieldTableCodec.ValidateTableBody(body);
        }

        if ((flags & PropertyFlags.DeliveryMode) != 0) deliveryMode = reader.ReadOctet();
        if ((flags & PropertyFlags.Priority) != 0) priority = reader.ReadOctet();
        if ((flags & PropertyFlags.CorrelationId) != 0)
        {
            correlationIdAt = reader.Position;
            ReadText(ref reader);
        }

        if ((flags & PropertyFlags.ReplyTo) != 0)
        {
            replyToAt = reader.Position;
            ReadText(ref reader);
        }

        if ((flags & PropertyFlags.Expiration) != 0)
        {
            expirationAt = reader.Position;
            ReadText(ref reader);
        }

        if ((flags & PropertyFlags.MessageId) != 0)
        {
            messageIdAt = reader.Position;
            ReadText(ref reader);
        }

        if ((flags & PropertyFlags.Timestamp) != 0)
        {
            timestampAt = reader.Position;
            reader.ReadLongLong();
        }

        if ((flags & PropertyFlags.Type) != 0) ReadText(ref reader);
        if ((flags & PropertyFlags.UserId) != 0)
        {
            userIdAt = reader.Position;
            ReadText(ref reader);
        }

        if ((flags & PropertyFlags.AppId) != 0) ReadText(ref reader);
        if ((flags & PropertyFlags.ClusterId) != 0) ReadText(ref reader);
        return new MessageProperties(encoded, flags, deliveryMode, priority, headersAt, headersLength, expirationAt, userIdAt, replyToAt, correlationIdAt, messageIdAt, timestampAt);
    }

    private ReadOnlySpan<byte> ShortStringAt(int at) => at < 0 ? default : _encoded.Slice(at + 1, _encoded[at]);

    /// <summary>Skips a shortstr property, refusing bytes that are not UTF-8 (the decoder would refuse them later).</summary>
    private static void ReadText(ref AmqpReader reader)
    {
        if (!System.Text.Unicode.Utf8.IsValid(reader.ReadShortStringBytes()))
        {
            throw AmqpProtocolException.Syntax("shortstr is not valid UTF-8");
        }
    }
}
