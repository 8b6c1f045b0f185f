using System.Buffers;
using System.Buffers.Binary;
using Broker.DataModel.Encoding;
using Broker.Protocol.Methods;

namespace Broker.Protocol.Framing;

/// <summary>
/// Method frames of the per-message path (deliver, get-ok, return) written from byte spans, so a
/// delivery costs no string or struct conversions. Each is followed by the content header and body.
/// </summary>
public static class ContentFrames
{
    public static void WriteBasicDeliver(IBufferWriter<byte> output, ushort channel, ReadOnlySpan<byte> consumerTag, ulong deliveryTag, bool redelivered, ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey)
    {
        var payloadSize = 4 + 1 + consumerTag.Length + 8 + 1 + 1 + exchange.Length + 1 + routingKey.Length;
        var writer = Begin(output, channel, MethodIds.BasicDeliver, payloadSize, out var span);
        writer.WriteShortString(consumerTag);
        writer.WriteLongLong(deliveryTag);
        writer.WriteOctet(redelivered ? (byte)1 : (byte)0);
        writer.WriteShortString(exchange);
        writer.WriteShortString(routingKey);
        End(output, span, payloadSize);
    }

    public static void WriteBasicGetOk(IBufferWriter<byte> output, ushort channel, ulong deliveryTag, bool redelivered, ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey, uint messageCount)
    {
        var payloadSize = 4 + 8 + 1 + 1 + exchange.Length + 1 + routingKey.Length + 4;
        var writer = Begin(output, channel, MethodIds.BasicGetOk, payloadSize, out var span);
        writer.WriteLongLong(deliveryTag);
        writer.WriteOctet(redelivered ? (byte)1 : (byte)0);
        writer.WriteShortString(exchange);
        writer.WriteShortString(routingKey);
        writer.WriteLong(messageCount);
        End(output, span, payloadSize);
    }

    public static void WriteBasicReturn(IBufferWriter<byte> output, ushort channel, ushort replyCode, ReadOnlySpan<byte> replyText, ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey)
    {
        var payloadSize = 4 + 2 + 1 + replyText.Length + 1 + exchange.Length + 1 + routingKey.Length;
        var writer = Begin(output, channel, MethodIds.BasicReturn, payloadSize, out var span);
        writer.WriteShort(replyCode);
        writer.WriteShortString(replyText);
        writer.WriteShortString(exchange);
        writer.WriteShortString(routingKey);
        End(output, span, payloadSize);
    }

    /// <summary>Method, content header and body frames of one message.</summary>
    public static void WriteContent(IBufferWriter<byte> output, ushort channel, ReadOnlySpan<byte> properties, ReadOnlySpan<byte> body, uint frameMax)
    {
        FrameWriter.WriteContentHeader(output, channel, 60, (ulong)body.Length, properties);
        FrameWriter.WriteBody(output, channel, body, frameMax);
    }

    private static AmqpWriter Begin(IBufferWriter<byte> output, ushort channel, uint methodId, int payloadSize, out Span<byte> span)
    {
        span = output.GetSpan(payloadSize + FrameConstants.Overhead);
        FrameWriter.WriteFrameHeader(span, FrameType.Method, channel, (uint)payloadSize);
        BinaryPrimitives.WriteUInt32BigEndian(span[7..], methodId);
        return new AmqpWriter(span.Slice(11, payloadSize - 4));
    }

    private static void End(IBufferWriter<byte> output, Span<byte> span, int payloadSize)
    {
        span[FrameConstants.HeaderSize + payloadSize] = FrameConstants.FrameEnd;
        output.Advance(payloadSize + FrameConstants.Overhead);
    }
}
