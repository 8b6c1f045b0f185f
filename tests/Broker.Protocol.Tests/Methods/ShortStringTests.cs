using System.Buffers;
using Broker.DataModel;
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

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void A_shortstr_that_is_not_utf8_is_a_protocol_error(int invalidBytes)
    {
        var name = Enumerable.Repeat((byte)0xFF, invalidBytes).Append((byte)'A').ToArray();
        byte[] payload = [0x00, 0x32, 0x00, 0x0A, 0x00, 0x00, (byte)name.Length, .. name, 0x00, 0x00, 0x00, 0x00, 0x00];

        var error = Assert.Throws<AmqpProtocolException>(() => MethodFrame.Decode<QueueDeclare>(payload));

        Assert.Equal(ReplyCodes.SyntaxError, error.ReplyCode);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { (byte)'a', 0x80, (byte)'b' })]
    public void Truncated_surrogate_and_overlong_utf8_is_a_protocol_error(byte[] bytes)
    {
        byte[] payload = [0x00, 0x3C, 0x00, 0x15, (byte)bytes.Length, .. bytes];

        Assert.Throws<AmqpProtocolException>(() => MethodFrame.Decode<BasicConsumeOk>(payload));
    }
}
