using System.Buffers.Binary;

using Broker.DataModel;

namespace Broker.Protocol.Framing;

/// <summary>A content header frame's payload: class id, weight, body size, then the encoded properties.</summary>
public readonly ref struct ContentHeader
{
    public const int FixedSize = 12;

    private ContentHeader(ushort classId, ulong bodySize, ReadOnlySpan<byte> properties)
    {
        ClassId = classId;
        BodySize = bodySize;
        Properties = properties;
    }

    public ushort ClassId { get; }

    public ulong BodySize { get; }

    /// <summary>Property flags and list, exactly as received.</summary>
    public ReadOnlySpan<byte> Properties { get; }

    public static ContentHeader Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < FixedSize + 2)
        {
            throw AmqpProtocolException.Frame("content header frame too short");
        }

        return new ContentHeader(
            BinaryPrimitives.ReadUInt16BigEndian(payload),
            BinaryPrimitives.ReadUInt64BigEndian(payload[4..]),
            payload[FixedSize..]);
    }
}
