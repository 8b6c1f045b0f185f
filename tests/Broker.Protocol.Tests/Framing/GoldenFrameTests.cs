using System.Buffers;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Framing;

/// <summary>
/// Whole frames byte for byte, worked out by hand from the AMQP 0-9-1 spec (section 4.2): type octet,
/// channel (short), payload size (long), payload, 0xCE. Method payloads start with class and method ids.
/// </summary>
public class GoldenFrameTests
{
    private static byte[] Write<T>(ushort channel, T method)
        where T : struct, IAmqpMethod<T>
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(output, channel, method);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Written(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }

    private static void AssertBytes(byte[] expected, byte[] actual) =>
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));

    [Fact]
    public void Connection_tune()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, // method frame, channel 0, 12 bytes
            0x00, 0x0A, 0x00, 0x1E, // connection.tune (10, 30)
            0x07, 0xFF, // channel-max 2047
            0x00, 0x02, 0x00, 0x00, // frame-max 131072
            0x00, 0x3C, // heartbeat 60
            0xCE,
        ];

        AssertBytes(expected, Write(0, new ConnectionTune(2047, 131072, 60)));
    }

    [Fact]
    public void Connection_close()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0E,
            0x00, 0x0A, 0x00, 0x32, // connection.close (10, 50)
            0x01, 0x40, // reply-code 320
            0x03, (byte)'b', (byte)'y', (byte)'e', // reply-text
            0x00, 0x3C, 0x00, 0x28, // class-id 60, method-id 40
            0xCE,
        ];

        AssertBytes(expected, Write(0, new ConnectionClose(320, "bye", 60, 40)));
    }

    [Theory]
    [InlineData(true, false, 0x01)]
    [InlineData(false, true, 0x02)]
    [InlineData(true, true, 0x03)]
    [InlineData(false, false, 0x00)]
    public void Basic_publish(bool mandatory, bool immediate, byte bits)
    {
        byte[] expected =
        [
            0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0D, // method frame, channel 1, 13 bytes
            0x00, 0x3C, 0x00, 0x28, // basic.publish (60, 40)
            0x00, 0x00, // ticket
            0x02, (byte)'e', (byte)'x', // exchange
            0x02, (byte)'r', (byte)'k', // routing-key
            bits, // mandatory (bit 0), immediate (bit 1)
            0xCE,
        ];

        AssertBytes(expected, Write(1, new BasicPublish(0, "ex", "rk", mandatory, immediate)));
    }

    [Fact]
    public void Basic_deliver_from_ContentFrames_and_from_the_struct()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x15, // method frame, channel 1, 21 bytes
            0x00, 0x3C, 0x00, 0x3C, // basic.deliver (60, 60)
            0x04, (byte)'c', (byte)'t', (byte)'a', (byte)'g', // consumer-tag
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, // delivery-tag 5
            0x01, // redelivered
            0x00, // exchange ""
            0x01, (byte)'q', // routing-key
            0xCE,
        ];

        AssertBytes(expected, Written(o => ContentFrames.WriteBasicDeliver(o, 1, "ctag"u8, 5, redelivered: true, ""u8, "q"u8)));
        AssertBytes(expected, Write(1, new BasicDeliver("ctag", 5, true, "", "q")));
    }

    [Fact]
    public void Basic_get_ok_from_ContentFrames_and_from_the_struct()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x17,
            0x00, 0x3C, 0x00, 0x47, // basic.get-ok (60, 71)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, // delivery-tag 256
            0x00, // redelivered
            0x02, (byte)'e', (byte)'x',
            0x02, (byte)'r', (byte)'k',
            0x00, 0x00, 0x00, 0x07, // message-count
            0xCE,
        ];

        AssertBytes(expected, Written(o => ContentFrames.WriteBasicGetOk(o, 2, 256, redelivered: false, "ex"u8, "rk"u8, 7)));
        AssertBytes(expected, Write(2, new BasicGetOk(256, false, "ex", "rk", 7)));
    }

    [Fact]
    public void Basic_return_from_ContentFrames_and_from_the_struct()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x15,
            0x00, 0x3C, 0x00, 0x32, // basic.return (60, 50)
            0x01, 0x38, // 312
            0x08, (byte)'N', (byte)'O', (byte)'_', (byte)'R', (byte)'O', (byte)'U', (byte)'T', (byte)'E',
            0x02, (byte)'e', (byte)'x',
            0x02, (byte)'r', (byte)'k',
            0xCE,
        ];

        AssertBytes(expected, Written(o => ContentFrames.WriteBasicReturn(o, 1, 312, "NO_ROUTE"u8, "ex"u8, "rk"u8)));
        AssertBytes(expected, Write(1, new BasicReturn(312, "NO_ROUTE", "ex", "rk")));
    }

    [Fact]
    public void Queue_declare_packs_its_bits_and_writes_its_arguments()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1F, // method frame, channel 1, 31 bytes
            0x00, 0x32, 0x00, 0x0A, // queue.declare (50, 10)
            0x00, 0x00, // ticket
            0x01, (byte)'q', // queue
            0x0A, // passive 0, durable 2, exclusive 0, auto-delete 8, nowait 0
            0x00, 0x00, 0x00, 0x12, // arguments: 18 bytes
            0x0C, (byte)'x', (byte)'-', (byte)'m', (byte)'a', (byte)'x', (byte)'-', (byte)'l', (byte)'e', (byte)'n', (byte)'g', (byte)'t', (byte)'h',
            (byte)'I', 0x00, 0x00, 0x00, 0x0A,
            0xCE,
        ];

        var declare = new QueueDeclare(0, "q", Passive: false, Durable: true, Exclusive: false, AutoDelete: true, Nowait: false, new FieldTable { { "x-max-length", 10 } });
        AssertBytes(expected, Write(1, declare));
    }

    [Theory]
    [InlineData(true, false, false, false, false, 0x01)]
    [InlineData(false, true, false, false, false, 0x02)]
    [InlineData(false, false, true, false, false, 0x04)]
    [InlineData(false, false, false, true, false, 0x08)]
    [InlineData(false, false, false, false, true, 0x10)]
    [InlineData(true, true, true, true, true, 0x1F)]
    public void Queue_declare_bit_positions(bool passive, bool durable, bool exclusive, bool autoDelete, bool nowait, byte bits)
    {
        byte[] expected = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x00, 0x32, 0x00, 0x0A, 0x00, 0x00, 0x00, bits, 0x00, 0x00, 0x00, 0x00, 0xCE];

        AssertBytes(expected, Write(0, new QueueDeclare(0, "", passive, durable, exclusive, autoDelete, nowait, null)));
    }

    [Fact]
    public void Basic_ack()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0D,
            0x00, 0x3C, 0x00, 0x50, // basic.ack (60, 80)
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // delivery-tag
            0x01, // multiple
            0xCE,
        ];

        AssertBytes(expected, Write(3, new BasicAck(0x0102030405060708, Multiple: true)));
    }

    [Fact]
    public void Basic_nack_packs_multiple_and_requeue()
    {
        byte[] expected =
        [
            0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0D,
            0x00, 0x3C, 0x00, 0x78, // basic.nack (60, 120)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,
            0x02, // multiple 0, requeue 1
            0xCE,
        ];

        AssertBytes(expected, Write(1, new BasicNack(42, Multiple: false, Requeue: true)));
    }

    [Fact]
    public void Exchange_unbind_ok_uses_RabbitMQs_method_id_51()
    {
        byte[] expected = [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x28, 0x00, 0x33, 0xCE];

        AssertBytes(expected, Write(1, default(ExchangeUnbindOk)));
    }

    [Fact]
    public void Heartbeat()
    {
        AssertBytes([0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCE], Written(FrameWriter.WriteHeartbeat));
    }

    [Fact]
    public void Content_header_and_body()
    {
        var properties = new BasicProperties { DeliveryMode = 2 }.Encode();
        AssertBytes([0x10, 0x00, 0x02], properties);

        byte[] expected =
        [
            0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0F, // header frame, channel 1, 15 bytes
            0x00, 0x3C, // class basic
            0x00, 0x00, // weight
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, // body size
            0x10, 0x00, 0x02, // flags: delivery-mode; delivery-mode 2
            0xCE,
            0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, // body frame, channel 1, 5 bytes
            (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o',
            0xCE,
        ];

        AssertBytes(expected, Written(o => ContentFrames.WriteContent(o, 1, properties, "hello"u8, 4096)));
    }

    [Fact]
    public void Protocol_header()
    {
        AssertBytes([(byte)'A', (byte)'M', (byte)'Q', (byte)'P', 0, 0, 9, 1], FrameConstants.ProtocolHeader.ToArray());
    }

    [Fact]
    public void ContentFrames_write_the_same_bytes_as_the_generated_structs()
    {
        var random = new Random(1234);
        for (var i = 0; i < 200; i++)
        {
            var channel = (ushort)random.Next(0, 65536);
            var tag = (ulong)random.NextInt64();
            var redelivered = random.Next(2) == 1;
            var exchange = RandomText(random);
            var routingKey = RandomText(random);
            var consumerTag = RandomText(random);
            var count = (uint)random.Next();
            var code = (ushort)random.Next(0, 65536);

            AssertBytes(
                Write(channel, new BasicDeliver(consumerTag, tag, redelivered, exchange, routingKey)),
                Written(o => ContentFrames.WriteBasicDeliver(o, channel, Utf8(consumerTag), tag, redelivered, Utf8(exchange), Utf8(routingKey))));
            AssertBytes(
                Write(channel, new BasicGetOk(tag, redelivered, exchange, routingKey, count)),
                Written(o => ContentFrames.WriteBasicGetOk(o, channel, tag, redelivered, Utf8(exchange), Utf8(routingKey), count)));
            AssertBytes(
                Write(channel, new BasicReturn(code, consumerTag, exchange, routingKey)),
                Written(o => ContentFrames.WriteBasicReturn(o, channel, code, Utf8(consumerTag), Utf8(exchange), Utf8(routingKey))));
        }
    }

    [Fact]
    public void Frames_written_back_to_back_read_back_in_order()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(output, 1, new BasicPublish(0, "ex", "rk", false, false));
        ContentFrames.WriteContent(output, 1, new BasicProperties { ContentType = "text/plain" }.Encode(), "body"u8, 4096);
        FrameWriter.WriteHeartbeat(output);
        FrameWriter.WriteMethod(output, 2, new ChannelCloseOk());

        var frames = Frames.ReadAll(output.WrittenSpan.ToArray());

        Assert.Equal([FrameType.Method, FrameType.Header, FrameType.Body, FrameType.Heartbeat, FrameType.Method], frames.Select(f => f.Type));
        Assert.Equal([1, 1, 1, 0, 2], frames.Select(f => (int)f.Channel));
        Assert.Equal(MethodIds.BasicPublish, MethodFrame.ReadId(frames[0].Payload));
        Assert.Equal("body"u8.ToArray(), frames[2].Payload);
        Assert.Empty(frames[3].Payload);
        Assert.Equal(MethodIds.ChannelCloseOk, MethodFrame.ReadId(frames[4].Payload));
    }

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 40)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next('!', '~' + 1);
        }

        return new string(chars);
    }

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
