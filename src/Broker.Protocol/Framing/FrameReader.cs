using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

using Broker.DataModel;

namespace Broker.Protocol.Framing;

/// <summary>
/// Cuts frames off the front of a receive buffer. Returns false when the buffer does not yet hold a
/// whole frame; throws <see cref="AmqpProtocolException"/> (501 FRAME_ERROR) on frames that are malformed.
/// </summary>
public static class FrameReader
{
    /// <param name="buffer">On success, advanced past the frame.</param>
    /// <param name="frameMax">The negotiated frame_max (header and end octet included); 0 means no limit.</param>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, uint frameMax, out Frame frame)
    {
        if (buffer.Length < FrameConstants.HeaderSize)
        {
            frame = default;
            return false;
        }

        Span<byte> scratch = stackalloc byte[FrameConstants.HeaderSize];
        scoped ReadOnlySpan<byte> header = buffer.FirstSpan;
        if (header.Length < FrameConstants.HeaderSize)
        {
            buffer.Slice(0, FrameConstants.HeaderSize).CopyTo(scratch);
            header = scratch;
        }

        var type = header[0];
        var channel = BinaryPrimitives.ReadUInt16BigEndian(header[1..]);
        var size = BinaryPrimitives.ReadUInt32BigEndian(header[3..]);

        if (type is not ((byte)FrameType.Method or (byte)FrameType.Header or (byte)FrameType.Body or (byte)FrameType.Heartbeat))
        {
            ThrowUnknownType(type);
        }

        if (frameMax != 0 && size > frameMax - FrameConstants.Overhead)
        {
            ThrowTooLarge(type, size, frameMax);
        }

        var total = FrameConstants.Overhead + (long)size;
        if (buffer.Length < total)
        {
            frame = default;
            return false;
        }

        var endOctet = buffer.Slice(FrameConstants.HeaderSize + size, 1).FirstSpan[0];
        if (endOctet != FrameConstants.FrameEnd)
        {
            ThrowBadEnd(type, buffer.Slice(FrameConstants.HeaderSize, size), endOctet);
        }

        frame = new Frame((FrameType)type, channel, buffer.Slice(FrameConstants.HeaderSize, size));
        buffer = buffer.Slice(total);
        return true;
    }

    // Texts follow rabbit_reader's: "type T, all octets = <<...>>: reason".
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUnknownType(byte type) =>
        throw AmqpProtocolException.Frame($"type {type}, all octets = <<>>: unknown_frame");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLarge(byte type, uint size, uint frameMax) =>
        throw AmqpProtocolException.Frame($"type {type}, all octets = <<>>: {{frame_too_large,{size},{frameMax - FrameConstants.Overhead}}}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadEnd(byte type, ReadOnlySequence<byte> payload, byte octet) =>
        throw AmqpProtocolException.Frame($"type {type}, all octets = {FormatBinary(payload)}: {{invalid_frame_end_marker,{octet}}}");

    /// <summary>A payload as Erlang prints a binary (the first 64 bytes), as RabbitMQ shows it in frame errors.</summary>
    public static string FormatBinary(ReadOnlySequence<byte> bytes)
    {
        var shown = bytes.Length > 64 ? bytes.Slice(0, 64) : bytes;
        return "<<" + string.Join(",", shown.ToArray()) + (bytes.Length > 64 ? ",..." : string.Empty) + ">>";
    }
}
