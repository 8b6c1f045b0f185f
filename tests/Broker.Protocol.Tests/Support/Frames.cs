using System.Buffers;
using Broker.Protocol.Framing;

namespace Broker.Protocol.Tests.Support;

/// <summary>A frame copied out of the receive buffer, so it can be compared after the buffer moves on.</summary>
internal sealed record ReadFrame(FrameType Type, ushort Channel, byte[] Payload)
{
    public bool Equals(ReadFrame? other) =>
        other is not null && Type == other.Type && Channel == other.Channel && Payload.AsSpan().SequenceEqual(other.Payload);

    public override int GetHashCode() => HashCode.Combine(Type, Channel, Payload.Length);

    public override string ToString() => $"{Type} ch{Channel} [{Convert.ToHexString(Payload)}]";
}

internal static class Frames
{
    /// <summary>Reads frames until the reader wants more input; returns them and what is left.</summary>
    public static List<ReadFrame> ReadAll(ref ReadOnlySequence<byte> buffer, uint frameMax = 0)
    {
        var frames = new List<ReadFrame>();
        while (FrameReader.TryReadFrame(ref buffer, frameMax, out var frame))
        {
            frames.Add(new ReadFrame(frame.Type, frame.Channel, frame.Payload.ToArray()));
        }

        return frames;
    }

    public static List<ReadFrame> ReadAll(byte[] bytes, uint frameMax = 0)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frames = ReadAll(ref buffer, frameMax);
        Assert.True(buffer.IsEmpty, $"{buffer.Length} bytes left unread");
        return frames;
    }

    /// <summary>The single frame in <paramref name="bytes"/>.</summary>
    public static ReadFrame ReadSingle(byte[] bytes) => Assert.Single(ReadAll(bytes));

    /// <summary>Builds a frame by hand: type, channel, size, payload, end octet.</summary>
    public static byte[] Build(byte type, ushort channel, byte[] payload, byte end = FrameConstants.FrameEnd)
    {
        var bytes = new byte[FrameConstants.Overhead + payload.Length];
        bytes[0] = type;
        bytes[1] = (byte)(channel >> 8);
        bytes[2] = (byte)channel;
        bytes[3] = (byte)(payload.Length >> 24);
        bytes[4] = (byte)(payload.Length >> 16);
        bytes[5] = (byte)(payload.Length >> 8);
        bytes[6] = (byte)payload.Length;
        payload.CopyTo(bytes, FrameConstants.HeaderSize);
        bytes[^1] = end;
        return bytes;
    }
}
