using Broker.DataModel;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Content;

public class MessagePropertiesTests
{
    [Fact]
    public void Finds_the_fields_the_broker_acts_on_among_all_properties()
    {
        var headers = new FieldTable { { "a", 1 }, { "b", "x"u8.ToArray() } };
        var encoded = new BasicProperties
        {
            ContentType = "text/plain",
            ContentEncoding = "utf-8",
            Headers = headers,
            DeliveryMode = 2,
            Priority = 7,
            CorrelationId = "c",
            ReplyTo = "reply-queue",
            Expiration = "1500",
            MessageId = "m",
            Timestamp = new AmqpTimestamp(5),
            Type = "t",
            UserId = "guest",
            AppId = "app",
            ClusterId = "cl",
        }.Encode();

        var properties = MessageProperties.Parse(encoded);

        Assert.Equal((PropertyFlags)0xFFFC, properties.Flags);
        Assert.Equal(2, properties.DeliveryMode);
        Assert.True(properties.IsPersistent);
        Assert.Equal(7, properties.Priority);
        Assert.True(properties.HasHeaders);
        Assert.Equal(FieldTableCodec.Encode(headers)[4..], properties.HeadersBody.ToArray());
        Assert.True(properties.HasExpiration);
        Assert.Equal("1500"u8.ToArray(), properties.Expiration.ToArray());
        Assert.True(properties.HasUserId);
        Assert.Equal("guest"u8.ToArray(), properties.UserId.ToArray());
        Assert.True(properties.HasReplyTo);
        Assert.Equal("reply-queue"u8.ToArray(), properties.ReplyTo.ToArray());
        Assert.True(properties.HasCorrelationId);
        Assert.Equal("c"u8.ToArray(), properties.CorrelationId.ToArray());
        Assert.True(properties.HasMessageId);
        Assert.Equal("m"u8.ToArray(), properties.MessageId.ToArray());
        Assert.True(properties.HasTimestamp);
        Assert.Equal(5UL, properties.Timestamp);
    }

    [Fact]
    public void Absent_fields_read_as_absent()
    {
        var properties = MessageProperties.Parse(new BasicProperties { ContentType = "x", MessageId = "m" }.Encode());

        Assert.Equal(0, properties.DeliveryMode);
        Assert.False(properties.IsPersistent);
        Assert.Equal(0, properties.Priority);
        Assert.False(properties.HasHeaders);
        Assert.True(properties.HeadersBody.IsEmpty);
        Assert.False(properties.HasExpiration);
        Assert.True(properties.Expiration.IsEmpty);
        Assert.False(properties.HasUserId);
        Assert.False(properties.HasReplyTo);
        Assert.False(properties.HasCorrelationId);
        Assert.False(properties.HasTimestamp);
        Assert.Equal(0UL, properties.Timestamp);
        Assert.True(properties.HasMessageId);
        Assert.Equal("m"u8.ToArray(), properties.MessageId.ToArray());
    }

    [Fact]
    public void Present_but_empty_fields_are_present()
    {
        var properties = MessageProperties.Parse(new BasicProperties { Headers = new FieldTable(), Expiration = "", UserId = "", ReplyTo = "" }.Encode());

        Assert.True(properties.HasHeaders);
        Assert.True(properties.HeadersBody.IsEmpty);
        Assert.True(properties.HasExpiration);
        Assert.True(properties.Expiration.IsEmpty);
        Assert.True(properties.HasUserId);
        Assert.True(properties.HasReplyTo);
    }

    [Fact]
    public void Each_found_field_is_read_at_its_own_place_when_alone()
    {
        Assert.Equal("rq"u8.ToArray(), MessageProperties.Parse(new BasicProperties { ReplyTo = "rq" }.Encode()).ReplyTo.ToArray());
        Assert.Equal("10"u8.ToArray(), MessageProperties.Parse(new BasicProperties { Expiration = "10" }.Encode()).Expiration.ToArray());
        Assert.Equal("u"u8.ToArray(), MessageProperties.Parse(new BasicProperties { UserId = "u" }.Encode()).UserId.ToArray());
        Assert.Equal(1, MessageProperties.Parse(new BasicProperties { DeliveryMode = 1 }.Encode()).DeliveryMode);
        Assert.Equal(255, MessageProperties.Parse(new BasicProperties { Priority = 255 }.Encode()).Priority);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void Only_delivery_mode_2_is_persistent(byte mode, bool persistent) =>
        Assert.Equal(persistent, MessageProperties.Parse(new BasicProperties { DeliveryMode = mode }.Encode()).IsPersistent);

    [Fact]
    public void Malformed_headers_inside_a_well_sized_table_are_a_protocol_error()
    {
        // The headers longstr fits the list, but its content has a truncated value.
        byte[] encoded = [0x20, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, (byte)'k', (byte)'I', 0x00];

        Assert.IsType<AmqpProtocolException>(Record.Exception(() => MessageProperties.Parse(encoded)));
    }
}
