using System.Buffers.Binary;
using Broker.Engine.Messages;
using Broker.Storage.Io;

namespace Broker.Storage.Messages;

/// <summary>
/// The bytes of segment and ack files. A segment is a header and then message records; each record
/// carries its length and a CRC-32C, so a torn or scribbled tail is detected and cut off at recovery.
/// All integers little-endian.
/// </summary>
/// <remarks>
/// Segment header (32 bytes): "BRKSEG01", u32 segment number, u32 incarnation, 16 reserved bytes.
/// Record: u32 length (of what follows the CRC), u32 crc32c (of what follows it), u64 sequence,
/// u32 incarnation, u8 flags, u8 exchange length, u8 routing key length, u8 priority (what a priority
/// queue orders by, so recovery need not parse AMQP properties; 0 in records of earlier versions),
/// u32 properties length, u32 body length, i64 expiry (Unix ms, long.MaxValue for none),
/// then exchange, routing key, properties, body.
/// Ack record (24 bytes): u64 first sequence, u64 last sequence, u32 kind, u32 crc32c of the first 20.
/// </remarks>
internal static class RecordFormat
{
    public const int SegmentHeaderSize = 32;
    public const int RecordHeaderSize = 40;
    public const int AckRecordSize = 24;
    /// <summary>The record must survive a restart (a persistent message in a durable queue).</summary>
    public const byte FlagPersistent = 1;

    /// <summary>The message itself is persistent (delivery_mode 2), whichever queue holds it.</summary>
    public const byte FlagPersistentMessage = 2;

    public static ReadOnlySpan<byte> SegmentMagic => "BRKSEG01"u8;

    public static int RecordSize(Message message) => RecordHeaderSize + message.Size;

    public static void WriteSegmentHeader(Span<byte> destination, uint segment, uint incarnation)
    {
        destination[..SegmentHeaderSize].Clear();
        SegmentMagic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], segment);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], incarnation);
    }

    public static bool IsSegmentHeader(ReadOnlySpan<byte> header, uint segment) =>
        header.Length >= SegmentHeaderSize && header.StartsWith(SegmentMagic) && BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) == segment;

    /// <summary>Encodes a message record into <paramref name="destination"/> (exactly <see cref="RecordSize"/> bytes).</summary>
    public static void WriteRecord(Span<byte> destination, long sequence, uint incarnation, bool persistent, long expiresAt, Message message)
    {
        var exchange = message.Exchange;
        var routingKey = message.RoutingKey;
        var properties = message.Properties;
        var body = message.Body;
        var total = RecordHeaderSize + exchange.Length + routingKey.Length + properties.Length + body.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(total - 8));
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], incarnation);
        destination[20] = (byte)((persistent ? FlagPersistent : 0) | (message.IsPersistent ? FlagPersistentMessage : 0));
        destination[21] = (byte)exchange.Length;
        destination[22] = (byte)routingKey.Length;
        destination[23] = message.Priority;
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], properties.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], body.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], expiresAt);
        var at = RecordHeaderSize;
        exchange.CopyTo(destination[at..]);
        at += exchange.Length;
        routingKey.CopyTo(destination[at..]);
        at += routingKey.Length;
        properties.CopyTo(destination[at..]);
        at += properties.Length;
        body.CopyTo(destination[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(destination[8..total]));
    }

    /// <summary>The total size of the record starting at <paramref name="header"/> (at least 8 bytes available), or -1 if implausible.</summary>
    public static int ReadRecordSize(ReadOnlySpan<byte> header, int maxRecordSize)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        return length < RecordHeaderSize - 8 || length > (uint)maxRecordSize ? -1 : (int)length + 8;
    }

    /// <summary>Checks a whole record's checksum and field lengths.</summary>
    public static bool IsValidRecord(ReadOnlySpan<byte> record)
    {
        if (record.Length < RecordHeaderSize)
        {
            return false;
        }

        var expected = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        if (Crc32C.Compute(record[8..]) != expected)
        {
            return false;
        }

        var fields = record[21] + record[22] + (long)BinaryPrimitives.ReadInt32LittleEndian(record[24..]) + BinaryPrimitives.ReadInt32LittleEndian(record[28..]);
        return fields == record.Length - RecordHeaderSize;
    }

    public static long Sequence(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt64LittleEndian(record[8..]);

    public static uint Incarnation(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);

    public static bool IsPersistent(ReadOnlySpan<byte> record) => (record[20] & FlagPersistent) != 0;

    public static long ExpiresAt(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt64LittleEndian(record[32..]);

    /// <summary>Rebuilds the message a record holds, in a buffer from the pool.</summary>
    public static Message ReadMessage(ReadOnlySpan<byte> record, MessagePool pool)
    {
        var exchangeLength = record[21];
        var routingKeyLength = record[22];
        var propertiesLength = BinaryPrimitives.ReadInt32LittleEndian(record[24..]);
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(record[28..]);
        var at = RecordHeaderSize;
        var exchange = record.Slice(at, exchangeLength);
        at += exchangeLength;
        var routingKey = record.Slice(at, routingKeyLength);
        at += routingKeyLength;
        var properties = record.Slice(at, propertiesLength);
        at += propertiesLength;
        var persistent = (record[20] & (FlagPersistent | FlagPersistentMessage)) != 0;
        var message = pool.Rent(exchange, routingKey, properties, bodyLength, persistent, priority: record[23]);
        message.AppendBody(record.Slice(at, bodyLength));
        return message;
    }

    public static void WriteAck(Span<byte> destination, AckKind kind, long first, long last)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, first);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], last);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)kind);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], Crc32C.Compute(destination[..20]));
    }

    public static bool TryReadAck(ReadOnlySpan<byte> record, out AckKind kind, out long first, out long last)
    {
        first = BinaryPrimitives.ReadInt64LittleEndian(record);
        last = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
        kind = (AckKind)BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        return BinaryPrimitives.ReadUInt32LittleEndian(record[20..]) == Crc32C.Compute(record[..20])
            && kind is AckKind.Settled or AckKind.Delivered or AckKind.SettledRange or AckKind.Returned;
    }
}

internal enum AckKind : uint
{
    /// <summary>One record (first == last) will not be needed again.</summary>
    Settled = 1,

    /// <summary>The record was delivered: after a crash it comes back with redelivered set.</summary>
    Delivered = 2,

    /// <summary>Every record with a sequence from first to last is dropped (purge).</summary>
    SettledRange = 3,

    /// <summary>The record (first) came back to a quorum queue for the last-th time: its delivery count.</summary>
    Returned = 4,
}
