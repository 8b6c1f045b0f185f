using System.Buffers;
using System.Buffers.Binary;
using Broker.DataModel.Encoding;
using Broker.Protocol.Methods;

namespace Broker.Protocol.Framing;

/// <summary>
/// Writes whole frames into an output buffer. Nothing here flushes: callers write a batch of frames and
/// flush once.
/// </summary>
public static class FrameWriter
{
    public static void WriteMethod<T>(IBufferWriter<byte> output, ushort channel, in T method)
        where T : struct, IAmqpMethod<T>
    {
        var payloadSize = 4 + method.GetSize();
        var span = output.GetSpan(payloadSize + FrameConstants.Overhead);
        WriteFrameHeader(span, FrameType.Method, channel, (uint)payloadSize);
        BinaryPrimitives.WriteUInt16BigEndian(span[7..], T.ClassIndex);
        BinaryPrimitives.WriteUInt16BigEndian(span[9..], T.MethodIndex);
        var writer = new AmqpWriter(span.Slice(11, payloadSize - 4));
        method.WriteTo(ref writer);
        span[FrameConstants.HeaderSize + payloadSize] = FrameConstants.FrameEnd;
        output.Advance(payloadSize + FrameConstants.Overhead);
    }

    /// <summary>A content header frame; <paramref name="properties"/> is the property flags and list as received.</summary>
    public static void WriteContentHeader(IBufferWriter<byte> output, ushort channel, ushort classId, ulong bodySize, ReadOnlySpan<byte> properties)
    {
        var payloadSize = 12 + properties.Length;
        var span = output.GetSpan(payloadSize + FrameConstants.Overhead);
        WriteFrameHeader(span, FrameType.Header, channel, (uint)payloadSize);
        BinaryPrimitives.WriteUInt16BigEndian(span[7..], classId);
        BinaryPrimitives.WriteUInt16BigEndian(span[9..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(span[11..], bodySize);
        properties.CopyTo(span[19..]);
        span[FrameConstants.HeaderSize + payloadSize] = FrameConstants.FrameEnd;
        output.Advance(payloadSize + FrameConstants.Overhead);
    }

    /// <summary>Body frames of at most <paramref name="frameMax"/> bytes each (nothing for an empty body).</summary>
    public static void WriteBody(IBufferWriter<byte> output, ushort channel, ReadOnlySpan<byte> body, uint frameMax)
    {
        var chunkMax = (int)Math.Min(int.MaxValue, frameMax - FrameConstants.Overhead);
        while (!body.IsEmpty)
        {
            var chunk = body.Length <= chunkMax ? body : body[..chunkMax];
            var header = output.GetSpan(FrameConstants.HeaderSize);
            WriteFrameHeader(header, FrameType.Body, channel, (uint)chunk.Length);
            output.Advance(FrameConstants.HeaderSize);
            output.Write(chunk);
            output.GetSpan(1)[0] = FrameConstants.FrameEnd;
            output.Advance(1);
            body = body[chunk.Length..];
        }
    }

    public static void WriteHeartbeat(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(FrameConstants.Overhead);
        WriteFrameHeader(span, FrameType.Heartbeat, 0, 0);
        span[FrameConstants.HeaderSize] = FrameConstants.FrameEnd;
        output.Advance(FrameConstants.Overhead);
    }

    public static void WriteFrameHeader(Span<byte> span, FrameType type, ushort channel, uint payloadSize)
    {
        span[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], channel);
        BinaryPrimitives.WriteUInt32BigEndian(span[3..], payloadSize);
    }
}
