using System.Buffers;
using Broker.DataModel;
using Broker.DataModel.Content;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Framing;

public class FrameReaderTests
{
    /// <summary>A method, content header, two body frames, a heartbeat and a method on another channel.</summary>
    private static byte[] SeveralFrames()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(output, 1, new BasicPublish(0, "exchange", "routing.key", true, false));
        var body = Enumerable.Range(0, 150).Select(i => (byte)i).ToArray();
        ContentFrames.WriteContent(output, 1, new BasicProperties { ContentType = "application/json", DeliveryMode = 2 }.Encode(), body, 4096);
        FrameWriter.WriteBody(output, 1, body, 108);
        FrameWriter.WriteHeartbeat(output);
        FrameWriter.WriteMethod(output, 65535, new ChannelClose(200, "ok", 0, 0));
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_buffer_holding_several_frames_reads_them_all_in_order()
    {
        var frames = Frames.ReadAll(SeveralFrames());

        Assert.Equal(
            [FrameType.Method, FrameType.Header, FrameType.Body, FrameType.Body, FrameType.Body, FrameType.Heartbeat, FrameType.Method],
            frames.Select(f => f.Type));
        Assert.Equal([1, 1, 1, 1, 1, 0, 65535], frames.Select(f => (int)f.Channel));
        Assert.Equal([150, 100, 50], frames.Where(f => f.Type == FrameType.Body).Select(f => f.Payload.Length));
        var publish = MethodFrame.Decode<BasicPublish>(frames[0].Payload);
        Assert.Equal(new BasicPublish(0, "exchange", "routing.key", true, false), publish);
        Assert.Equal(new ChannelClose(200, "ok", 0, 0), MethodFrame.Decode<ChannelClose>(frames[6].Payload));
    }

    [Fact]
    public void Two_segments_split_at_every_offset_read_the_same_frames()
    {
        var bytes = SeveralFrames();
        var expected = Frames.ReadAll(bytes);

        for (var offset = 0; offset <= bytes.Length; offset++)
        {
            var buffer = Segments.SplitAt(bytes, offset);
            Assert.False(buffer.IsSingleSegment && offset > 0 && offset < bytes.Length);

            var frames = Frames.ReadAll(ref buffer);

            Assert.Equal(expected, frames);
            Assert.True(buffer.IsEmpty, $"offset {offset}: {buffer.Length} bytes left");
        }
    }

    [Fact]
    public void One_byte_segments_read_the_same_frames()
    {
        var bytes = SeveralFrames();
        var buffer = Segments.OneBytePerSegment(bytes);

        var frames = Frames.ReadAll(ref buffer);

        Assert.Equal(Frames.ReadAll(bytes), frames);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Three_segments_split_at_many_offsets_read_the_same_frames()
    {
        var bytes = SeveralFrames();
        var expected = Frames.ReadAll(bytes);

        for (var first = 0; first < bytes.Length; first += 7)
        {
            for (var second = 0; first + second <= bytes.Length; second += 5)
            {
                var buffer = Segments.Split(bytes, first, second);
                Assert.Equal(expected, Frames.ReadAll(ref buffer));
                Assert.True(buffer.IsEmpty);
            }
        }
    }

    [Fact]
    public void Incomplete_input_returns_false_without_consuming_anything()
    {
        var bytes = SeveralFrames();
        var firstFrameLength = FrameConstants.Overhead + Frames.ReadAll(bytes)[0].Payload.Length;

        for (var length = 0; length < firstFrameLength; length++)
        {
            foreach (var buffer in new[] { new ReadOnlySequence<byte>(bytes, 0, length), Segments.OneBytePerSegment(bytes[..length]) })
            {
                var before = buffer;
                var after = buffer;

                Assert.False(FrameReader.TryReadFrame(ref after, 4096, out _), $"length {length}");
                Assert.Equal(before.Length, after.Length);
                Assert.Equal(before.Start, after.Start);
            }
        }
    }

    [Fact]
    public void Reading_stops_after_the_last_whole_frame_and_leaves_the_partial_one()
    {
        var bytes = SeveralFrames();
        var all = Frames.ReadAll(bytes);
        var cut = bytes.Length - 3;

        var buffer = new ReadOnlySequence<byte>(bytes, 0, cut);
        var frames = Frames.ReadAll(ref buffer);

        Assert.Equal(all.Take(all.Count - 1), frames);
        Assert.Equal(cut - (bytes.Length - FrameConstants.Overhead - all[^1].Payload.Length), buffer.Length);
    }

    [Theory]
    [InlineData(4096u)]
    [InlineData(131072u)]
    public void A_frame_of_exactly_frame_max_is_accepted(uint frameMax)
    {
        var bytes = Frames.Build(3, 1, new byte[frameMax - FrameConstants.Overhead]);

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(FrameReader.TryReadFrame(ref buffer, frameMax, out var frame));
        Assert.Equal(frameMax - FrameConstants.Overhead, (uint)frame.Payload.Length);
    }

    [Theory]
    [InlineData(4096u, 4089)]
    [InlineData(4096u, 100_000)]
    [InlineData(131072u, 131065)]
    public void A_frame_larger_than_frame_max_is_a_frame_error(uint frameMax, int payloadSize)
    {
        var bytes = Frames.Build(3, 1, new byte[payloadSize]);

        var error = Assert.Throws<AmqpProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            FrameReader.TryReadFrame(ref buffer, frameMax, out _);
        });

        Assert.Equal(ReplyCodes.FrameError, error.ReplyCode);
    }

    [Fact]
    public void An_oversized_frame_is_refused_as_soon_as_its_header_arrives()
    {
        // Only the 7 header bytes of a frame announcing 1 GiB: no need to buffer it to know it is too large.
        byte[] header = [0x03, 0x00, 0x01, 0x40, 0x00, 0x00, 0x00];

        var error = Assert.Throws<AmqpProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(header);
            FrameReader.TryReadFrame(ref buffer, 131072, out _);
        });

        Assert.Equal(ReplyCodes.FrameError, error.ReplyCode);
    }

    [Fact]
    public void Frame_max_zero_means_no_limit()
    {
        var bytes = Frames.Build(3, 1, new byte[1_000_000]);

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(FrameReader.TryReadFrame(ref buffer, 0, out var frame));
        Assert.Equal(1_000_000, frame.Payload.Length);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0xCD)]
    [InlineData(0xCF)]
    [InlineData(0xFF)]
    public void A_bad_end_octet_is_a_frame_error(byte end)
    {
        foreach (var bytes in new[] { Frames.Build(1, 1, [0x00, 0x0A, 0x00, 0x33]), Frames.Build(8, 0, []) })
        {
            bytes[^1] = end;
            foreach (var input in new[] { new ReadOnlySequence<byte>(bytes), Segments.OneBytePerSegment(bytes) })
            {
                var error = Assert.Throws<AmqpProtocolException>(() =>
                {
                    var buffer = input;
                    FrameReader.TryReadFrame(ref buffer, 4096, out _);
                });

                Assert.Equal(ReplyCodes.FrameError, error.ReplyCode);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData((byte)'A')]
    [InlineData(0xCE)]
    [InlineData(0xFF)]
    public void An_unknown_frame_type_is_a_frame_error(byte type)
    {
        var bytes = Frames.Build(type, 1, [1, 2, 3]);

        // Whole frame, and header only: the type is checked before waiting for the payload.
        foreach (var input in new[] { bytes, bytes[..FrameConstants.HeaderSize] })
        {
            var error = Assert.Throws<AmqpProtocolException>(() =>
            {
                var buffer = new ReadOnlySequence<byte>(input);
                FrameReader.TryReadFrame(ref buffer, 4096, out _);
            });

            Assert.Equal(ReplyCodes.FrameError, error.ReplyCode);
        }
    }

    [Theory]
    [InlineData(FrameType.Method)]
    [InlineData(FrameType.Header)]
    [InlineData(FrameType.Body)]
    [InlineData(FrameType.Heartbeat)]
    public void Every_known_frame_type_is_read(FrameType type)
    {
        var frame = Frames.ReadSingle(Frames.Build((byte)type, 42, [9, 8, 7]));

        Assert.Equal(new ReadFrame(type, 42, [9, 8, 7]), frame);
    }

    [Fact]
    public void The_frame_payload_is_a_view_that_ends_before_the_end_octet()
    {
        var bytes = Frames.Build(3, 1, [0xCE, 0xCE]);
        var buffer = new ReadOnlySequence<byte>([.. bytes, .. Frames.Build(8, 0, [])]);

        Assert.True(FrameReader.TryReadFrame(ref buffer, 4096, out var frame));

        Assert.Equal([0xCE, 0xCE], frame.Payload.ToArray());
        Assert.Equal(FrameConstants.Overhead, buffer.Length);
        Assert.True(FrameReader.TryReadFrame(ref buffer, 4096, out var heartbeat));
        Assert.Equal(FrameType.Heartbeat, heartbeat.Type);
        Assert.True(buffer.IsEmpty);
    }
}
