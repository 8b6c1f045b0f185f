using Broker.DataModel;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Content;

public class BasicPropertiesTests
{
    private static BasicProperties All() => new()
    {
        ContentType = "application/json",
        ContentEncoding = "gzip",
        Headers = new FieldTable { { "h", 1 }, { "nested", new FieldTable { { "x", "y"u8.ToArray() } } } },
        DeliveryMode = 2,
        Priority = 9,
        CorrelationId = "corr-é",
        ReplyTo = "amq.rabbitmq.reply-to",
        Expiration = "60000",
        MessageId = "id-1",
        Timestamp = new AmqpTimestamp(1700000000),
        Type = "type",
        UserId = "guest",
        AppId = "app",
        ClusterId = "cluster",
    };

    /// <summary>Each property alone, by its flag.</summary>
    private static readonly string[] Names =
    [
        "ContentType", "ContentEncoding", "Headers", "DeliveryMode", "Priority", "CorrelationId", "ReplyTo",
        "Expiration", "MessageId", "Timestamp", "Type", "UserId", "AppId", "ClusterId",
    ];

    public static TheoryData<string> PropertyNames() => [.. Names];

    [Fact]
    public void All_fourteen_properties_round_trip()
    {
        var properties = All();

        var encoded = properties.Encode();
        var decoded = BasicProperties.Read(encoded);

        Assert.Equal(properties, decoded);
        Assert.Equal(properties.GetSize(), encoded.Length);
        Assert.Equal((PropertyFlags)0xFFFC, properties.Flags);
        Assert.Equal([0xFF, 0xFC], encoded[..2]);
        Assert.Equal(encoded, decoded.Encode());
    }

    [Theory]
    [MemberData(nameof(PropertyNames))]
    public void Each_property_alone_sets_only_its_flag_and_round_trips(string name)
    {
        var property = typeof(BasicProperties).GetProperty(name)!;
        var single = new BasicProperties();
        property.SetValue(single, property.GetValue(All()));

        var encoded = single.Encode();
        var decoded = BasicProperties.Read(encoded);

        var flag = Enum.Parse<PropertyFlags>(name);
        Assert.Equal(flag, single.Flags);
        Assert.Equal((ushort)flag, (ushort)((encoded[0] << 8) | encoded[1]));
        Assert.Equal(single, decoded);
        foreach (var other in Names.Where(n => n != name))
        {
            Assert.Null(typeof(BasicProperties).GetProperty(other)!.GetValue(decoded));
        }
    }

    [Fact]
    public void No_properties_is_a_zero_flags_word()
    {
        Assert.Equal([0x00, 0x00], new BasicProperties().Encode());
        Assert.Equal(new BasicProperties(), BasicProperties.Read([0x00, 0x00]));
    }

    [Fact]
    public void Golden_encoding_of_a_few_properties()
    {
        var properties = new BasicProperties { ContentType = "text/plain", DeliveryMode = 1, Timestamp = new AmqpTimestamp(0x0102030405060708) };

        byte[] expected =
        [
            0x90, 0x40, // content-type (bit 15), delivery-mode (bit 12), timestamp (bit 6)
            0x0A, (byte)'t', (byte)'e', (byte)'x', (byte)'t', (byte)'/', (byte)'p', (byte)'l', (byte)'a', (byte)'i', (byte)'n',
            0x01,
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        ];

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(properties.Encode()));
    }

    [Fact]
    public void Extra_flag_words_are_skipped()
    {
        // Flags with the continuation bit, then a second (empty) flags word, then the delivery mode.
        byte[] encoded = [0x10, 0x01, 0x00, 0x00, 0x02];

        Assert.Equal((byte?)2, BasicProperties.Read(encoded).DeliveryMode);
        Assert.Equal(2, MessageProperties.Parse(encoded).DeliveryMode);
    }

    [Fact]
    public void Equality_compares_every_property_and_headers_by_content()
    {
        Assert.Equal(All(), All());
        foreach (var name in Names)
        {
            var changed = All();
            typeof(BasicProperties).GetProperty(name)!.SetValue(changed, null);
            Assert.NotEqual(All(), changed);
        }

        var otherHeaders = All();
        otherHeaders.Headers = new FieldTable { { "h", 2 } };
        Assert.NotEqual(All(), otherHeaders);
    }

    public static TheoryData<string, byte[]> Malformed() => new()
    {
        { "empty", [] },
        { "one byte of flags", [0x80] },
        { "content-type missing", [0x80, 0x00] },
        { "content-type truncated", [0x80, 0x00, 0x05, (byte)'a'] },
        { "headers length beyond the list", [0x20, 0x00, 0x00, 0x00, 0x00, 0x09, 0x01] },
        { "headers with an unknown field type", [0x20, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, (byte)'k', (byte)'?'] },
        { "delivery-mode missing", [0x10, 0x00] },
        { "priority missing", [0x08, 0x00] },
        { "reply-to truncated", [0x02, 0x00, 0x03, (byte)'a', (byte)'b'] },
        { "expiration missing", [0x01, 0x00] },
        { "timestamp truncated", [0x00, 0x40, 0x00, 0x00, 0x00, 0x00] },
        { "user-id truncated", [0x00, 0x10, 0x04] },
        { "cluster-id missing", [0x00, 0x04] },
        { "continuation word missing", [0x00, 0x01] },
        { "continuation word truncated", [0x00, 0x01, 0x00] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_property_lists_are_protocol_errors(string why, byte[] encoded)
    {
        _ = why;
        Assert.IsType<AmqpProtocolException>(Record.Exception(() => BasicProperties.Read(encoded)));
        Assert.IsType<AmqpProtocolException>(Record.Exception(() => MessageProperties.Parse(encoded)));
    }

    [Fact]
    public void Every_truncation_of_a_full_property_list_is_a_protocol_error()
    {
        var encoded = All().Encode();

        for (var length = 0; length < encoded.Length; length++)
        {
            var cut = encoded[..length];
            Assert.IsType<AmqpProtocolException>(Record.Exception(() => BasicProperties.Read(cut)));
            Assert.IsType<AmqpProtocolException>(Record.Exception(() => MessageProperties.Parse(cut)));
        }
    }
}
