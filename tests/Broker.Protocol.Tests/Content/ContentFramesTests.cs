using System.Buffers;
using Broker.DataModel;
using Broker.DataModel.Content;
using Broker.Protocol.Framing;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Content;

public class ContentFramesTests
{
    private static List<ReadFrame> WriteContent(byte[] properties, byte[] body, uint frameMax)
    {
        var output = new ArrayBufferWriter<byte>();
        ContentFrames.WriteContent(output, 5, properties, body, frameMax);
        return Frames.ReadAll(output.WrittenSpan.ToArray(), frameMax);
    }

    [Fact]
    public void A_body_is_split_into_frames_of_at_most_frame_max()
    {
        var body = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        var properties = new BasicProperties { ContentType = "application/octet-stream" }.Encode();

        var frames = WriteContent(properties, body, 4096);

        Assert.Equal([FrameType.Header, FrameType.Body, FrameType.Body, FrameType.Body], frames.Select(f => f.Type));
        Assert.All(frames, f => Assert.Equal(5, f.Channel));
        Assert.Equal([4088, 4088, 1824], frames.Skip(1).Select(f => f.Payload.Length));
        Assert.All(frames, f => Assert.True(f.Payload.Length + FrameConstants.Overhead <= 4096));
        Assert.Equal(body, frames.Skip(1).SelectMany(f => f.Payload).ToArray());

        var header = ContentHeader.Parse(frames[0].Payload);
        Assert.Equal(60, header.ClassId);
        Assert.Equal(10_000ul, header.BodySize);
        Assert.Equal(properties, header.Properties.ToArray());
    }

    [Theory]
    [InlineData(4088, 1)]
    [InlineData(4089, 2)]
    [InlineData(8176, 2)]
    [InlineData(8177, 3)]
    [InlineData(1, 1)]
    public void Body_frame_count_follows_frame_max(int bodyLength, int bodyFrames)
    {
        var frames = WriteContent([0, 0], new byte[bodyLength], 4096);

        Assert.Equal(bodyFrames, frames.Count(f => f.Type == FrameType.Body));
        Assert.Equal(bodyLength, frames.Where(f => f.Type == FrameType.Body).Sum(f => f.Payload.Length));
    }

    [Fact]
    public void An_empty_body_produces_only_the_header_frame()
    {
        var frames = WriteContent([0x00, 0x00], [], 4096);

        var header = Assert.Single(frames);
        Assert.Equal(FrameType.Header, header.Type);
        Assert.Equal(0ul, ContentHeader.Parse(header.Payload).BodySize);
    }

    [Fact]
    public void Frame_max_zero_writes_the_body_in_one_frame()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteBody(output, 1, new byte[200_000], 0);

        var frame = Frames.ReadSingle(output.WrittenSpan.ToArray());
        Assert.Equal(200_000, frame.Payload.Length);
    }

    [Fact]
    public void Content_header_fields_are_parsed()
    {
        byte[] payload = [0x00, 0x3C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x02];

        var header = ContentHeader.Parse(payload);

        Assert.Equal(60, header.ClassId);
        Assert.Equal(0x0000000100000002ul, header.BodySize);
        Assert.Equal([0x10, 0x00, 0x02], header.Properties.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void A_content_header_too_short_for_its_fixed_fields_and_flags_is_a_frame_error(int length)
    {
        var error = Assert.Throws<AmqpProtocolException>(() => ContentHeader.Parse(new byte[length]));

        Assert.Equal(ReplyCodes.FrameError, error.ReplyCode);
    }
}
