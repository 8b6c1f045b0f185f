using System.Buffers;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;

namespace Broker.Protocol.Tests.Methods;

public class ShortStringTests
{
    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("é€😀")]
    public void Utf8_shortstr_arguments_keep_their_bytes(string name)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(output, 1, new QueueDeclare(Queue: name));
        var payload = output.WrittenSpan[7..^1].ToArray();

        var decoded = MethodFrame.Decode<QueueDeclare>(payload);

        Assert.Equal(name, decoded.Queue);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(name), payload[7..(7 + payload[6])]);
    }

    [Theory(Skip = "BUG: AmqpReader.ReadShortString (used by every generated ReadFrom) decodes shortstr bytes with "
        + "Encoding.UTF8.GetString, which silently replaces invalid UTF-8 with U+FFFD. The decoded name is not the name "
        + "the peer sent: queue.declare with queue bytes FF 41 becomes \"\\uFFFDA\" and is written back as EF BF BD 41 "
        + "(two different wire names map to one queue), and a 100-byte invalid name becomes 300 bytes of UTF-8, so "
        + "echoing it (declare-ok, consume-ok, deliver) makes FrameWriter throw ArgumentException instead of a protocol "
        + "error. A shortstr that is not UTF-8 should either be refused with AmqpProtocolException when read, or keep its bytes.")]
    [InlineData(1)]
    [InlineData(100)]
    public void A_shortstr_that_is_not_utf8_is_refused_or_kept_byte_for_byte(int invalidBytes)
    {
        var name = Enumerable.Repeat((byte)0xFF, invalidBytes).Append((byte)'A').ToArray();
        byte[] payload = [0x00, 0x32, 0x00, 0x0A, 0x00, 0x00, (byte)name.Length, .. name, 0x00, 0x00, 0x00, 0x00, 0x00];

        QueueDeclare decoded = default;
        var error = Record.Exception(() => decoded = MethodFrame.Decode<QueueDeclare>(payload));

        if (error is not null)
        {
            Assert.IsType<AmqpProtocolException>(error);
            return;
        }

        var output = new ArrayBufferWriter<byte>();
        var writeError = Record.Exception(() => FrameWriter.WriteMethod(output, 1, decoded));
        Assert.Null(writeError);
        Assert.Equal(Convert.ToHexString(payload), Convert.ToHexString(output.WrittenSpan[7..^1]));
    }
}
