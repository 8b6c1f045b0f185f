using System.Buffers.Binary;
using Broker.DataModel.Encoding;

namespace Broker.DataModel.Content;

/// <summary>
/// Encoded basic properties with one long-valued header added, the way RabbitMQ annotates a delivery
/// without changing the stored message (a quorum queue's x-delivery-count, a stream's
/// x-stream-offset). The usual case splices the entry into the headers table without decoding it; a
/// message that already carries the header (its publisher set it) has it replaced, on a slower path.
/// </summary>
public static class HeaderAnnotation
{
    /// <summary>The most bytes <see cref="Write"/> can need for <paramref name="properties"/> and <paramref name="key"/>.</summary>
    public static int MaxSize(ReadOnlySpan<byte> properties, ReadOnlySpan<byte> key) =>
        properties.Length + 4 + EntrySize(key);

    /// <summary>
    /// Writes <paramref name="properties"/> with header <paramref name="key"/> = <paramref name="value"/>
    /// (AMQP type 'l') into <paramref name="destination"/>, at least <see cref="MaxSize"/> long. Returns
    /// the bytes written.
    /// </summary>
    public static int Write(ReadOnlySpan<byte> properties, ReadOnlySpan<byte> key, long value, Span<byte> destination)
    {
        var parsed = MessageProperties.Parse(properties);

        // Extra flag words (the continuation bit, which the basic class never needs) or the header
        // already there: re-encoded whole, on the slow path.
        if ((parsed.Flags & PropertyFlags.Continuation) != 0 || (parsed.HasHeaders && FieldTableCodec.ContainsKey(parsed.HeadersBody, key)))
        {
            return Replace(properties, key, value, destination);
        }

        var entrySize = EntrySize(key);
        if (parsed.HasHeaders)
        {
            // The table's body ends where the headers slice ends; its length prefix sits just before it.
            var body = parsed.HeadersBody;
            var bodyAt = OffsetOf(properties, body);
            var end = bodyAt + body.Length;
            properties[..end].CopyTo(destination);
            BinaryPrimitives.WriteUInt32BigEndian(destination[(bodyAt - 4)..], (uint)(body.Length + entrySize));
            WriteEntry(destination[end..], key, value);
            properties[end..].CopyTo(destination[(end + entrySize)..]);
            return properties.Length + entrySize;
        }

        // No headers yet: set the flag and insert a table after content-type and content-encoding.
        var at = HeadersPosition(properties, parsed.Flags);
        properties[..at].CopyTo(destination);
        var flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(properties) | (ushort)PropertyFlags.Headers);
        BinaryPrimitives.WriteUInt16BigEndian(destination, flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[at..], (uint)entrySize);
        WriteEntry(destination[(at + 4)..], key, value);
        properties[at..].CopyTo(destination[(at + 4 + entrySize)..]);
        return properties.Length + 4 + entrySize;
    }

    private static int EntrySize(ReadOnlySpan<byte> key) => 1 + key.Length + 1 + 8;

    private static void WriteEntry(Span<byte> destination, ReadOnlySpan<byte> key, long value)
    {
        destination[0] = (byte)key.Length;
        key.CopyTo(destination[1..]);
        destination[1 + key.Length] = (byte)'l';
        BinaryPrimitives.WriteInt64BigEndian(destination[(2 + key.Length)..], value);
    }

    private static int OffsetOf(ReadOnlySpan<byte> whole, ReadOnlySpan<byte> part) =>
        (int)System.Runtime.CompilerServices.Unsafe.ByteOffset(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(whole),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(part));

    private static int HeadersPosition(ReadOnlySpan<byte> properties, PropertyFlags flags)
    {
        var at = 2;
        if ((flags & PropertyFlags.ContentType) != 0)
        {
            at += 1 + properties[at];
        }

        if ((flags & PropertyFlags.ContentEncoding) != 0)
        {
            at += 1 + properties[at];
        }

        return at;
    }

    private static int Replace(ReadOnlySpan<byte> properties, ReadOnlySpan<byte> key, long value, Span<byte> destination)
    {
        var decoded = BasicProperties.Read(properties);
        decoded.Headers ??= new FieldTable();
        decoded.Headers[System.Text.Encoding.UTF8.GetString(key)] = value;
        var encoded = decoded.Encode();
        encoded.CopyTo(destination);
        return encoded.Length;
    }
}
