using System.Buffers;
using Broker.DataModel;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Methods;

public class BasicPublishArgsTests
{
    private static byte[] Arguments(BasicPublish publish)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(output, 1, publish);
        return Frames.ReadSingle(output.WrittenSpan.ToArray()).Payload[4..];
    }

    [Theory]
    [InlineData("", "", false, false)]
    [InlineData("amq.topic", "a.b.c", true, false)]
    [InlineData("ex", "rk", false, true)]
    [InlineData("é€", "ключ", true, true)]
    public void Reads_the_exchange_routing_key_and_flags_of_a_publish_payload(string exchange, string routingKey, bool mandatory, bool immediate)
    {
        var args = BasicPublishArgs.Read(Arguments(new BasicPublish(7, exchange, routingKey, mandatory, immediate)));

        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(exchange), args.Exchange.ToArray());
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(routingKey), args.RoutingKey.ToArray());
        Assert.Equal(mandatory, args.Mandatory);
        Assert.Equal(immediate, args.Immediate);
    }

    [Fact]
    public void Reads_a_hand_written_payload()
    {
        byte[] arguments = [0x00, 0x00, 0x01, (byte)'x', 0x03, (byte)'a', (byte)'.', (byte)'b', 0x03];

        var args = BasicPublishArgs.Read(arguments);

        Assert.Equal("x"u8.ToArray(), args.Exchange.ToArray());
        Assert.Equal("a.b"u8.ToArray(), args.RoutingKey.ToArray());
        Assert.True(args.Mandatory);
        Assert.True(args.Immediate);
    }

    [Fact]
    public void Every_truncation_is_a_protocol_error()
    {
        var arguments = Arguments(new BasicPublish(0, "exchange", "key", true, false));

        for (var length = 0; length < arguments.Length; length++)
        {
            var cut = arguments[..length];
            Assert.IsType<AmqpProtocolException>(Record.Exception(() => BasicPublishArgs.Read(cut)));
        }
    }
}
