using System.Buffers.Binary;
using System.Text;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Messages;

public sealed class RecordFormatTests
{
    private const int MaxRecordSize = 1024 * 1024 * 1024;

    private readonly MessagePool _pool = new();

    [Theory]
    [InlineData(0, true)]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(1000, false)]
    [InlineData(1024 * 1024, true)]
    public void Record_RoundTripsEveryField(int bodySize, bool persistent)
    {
        var headers = new FieldTable { ["x-id"] = Encoding.UTF8.GetBytes("abc"), ["x-n"] = 42 };
        var properties = new BasicProperties { DeliveryMode = 2, Priority = 5, MessageId = "m-1", ContentType = "text/plain", Headers = headers }.Encode();
        var body = TestMessages.Body("body", bodySize);
        var original = _pool.Rent("amq.direct"u8, "orders.created"u8, properties, body.Length, persistent, priority: 5);
        Assert.True(original.AppendBody(body));

        var record = LogOps.EncodeRecord(sequence: 123_456_789_012, incarnation: 77, persistent, original);

        Assert.Equal(RecordFormat.RecordHeaderSize + original.Size, record.Length);
        Assert.Equal(record.Length, RecordFormat.ReadRecordSize(record, MaxRecordSize));
        Assert.True(RecordFormat.IsValidRecord(record));
        Assert.Equal(123_456_789_012, RecordFormat.Sequence(record));
        Assert.Equal(77u, RecordFormat.Incarnation(record));
        Assert.Equal(persistent, RecordFormat.IsPersistent(record));

        var read = RecordFormat.ReadMessage(record, _pool);
        Assert.Equal("amq.direct", Encoding.UTF8.GetString(read.Exchange));
        Assert.Equal("orders.created", Encoding.UTF8.GetString(read.RoutingKey));
        Assert.Equal(properties, read.Properties.ToArray());
        Assert.Equal(body, read.Body.ToArray());
        Assert.True(read.IsComplete);
        Assert.Equal(persistent, read.IsPersistent);
        Assert.Equal(5, read.Priority);
        Assert.Equal(1, TestMessages.References(read));
        read.Release();
        original.Release();
    }

    [Fact]
    public void Record_RoundTripsExtremeValuesAndEmptyFields()
    {
        var routingKey = new string('k', 255);
        var original = _pool.Rent(""u8, Encoding.UTF8.GetBytes(routingKey), [], 0, persistent: false, priority: 0);

        var record = LogOps.EncodeRecord(long.MaxValue, uint.MaxValue, persistent: false, original);

        Assert.True(RecordFormat.IsValidRecord(record));
        Assert.Equal(long.MaxValue, RecordFormat.Sequence(record));
        Assert.Equal(uint.MaxValue, RecordFormat.Incarnation(record));
        Assert.False(RecordFormat.IsPersistent(record));
        var read = RecordFormat.ReadMessage(record, _pool);
        Assert.Equal(0, read.Exchange.Length);
        Assert.Equal(routingKey, Encoding.UTF8.GetString(read.RoutingKey));
        Assert.Equal(0, read.Properties.Length);
        Assert.Equal(0, read.BodyLength);
        Assert.Equal(0, read.Priority);
        read.Release();
        original.Release();
    }

    /// <summary>A queue writes a persistent record only for a persistent message; a transient record may hold either.</summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Record_KeepsTheMessagesDeliveryModeApartFromTheRecordsDurability(bool messagePersistent, bool recordPersistent)
    {
        var message = TestMessages.New(_pool, "mode", 10, messagePersistent);

        var record = LogOps.EncodeRecord(1, 1, recordPersistent, message);

        Assert.Equal(recordPersistent, RecordFormat.IsPersistent(record));
        var read = RecordFormat.ReadMessage(record, _pool);
        Assert.Equal(messagePersistent, read.IsPersistent);
        read.Release();
        message.Release();
    }

    [Fact]
    public void Record_KeepsTheExpiry()
    {
        var message = TestMessages.New(_pool, "ttl", 10);
        var expiring = LogOps.EncodeRecord(1, 1, persistent: true, message, expiresAt: 1_700_000_000_123);
        var forever = LogOps.EncodeRecord(2, 1, persistent: true, message);

        Assert.Equal(1_700_000_000_123, RecordFormat.ExpiresAt(expiring));
        Assert.Equal(QueueEntry.NoExpiry, RecordFormat.ExpiresAt(forever));
        Assert.True(RecordFormat.IsValidRecord(expiring));
        message.Release();
    }

    [Fact]
    public void IsValidRecord_RejectsAFlippedBitAnywhere()
    {
        var message = TestMessages.New(_pool, "flip-me", 40, persistent: true);
        var record = LogOps.EncodeRecord(9, 3, persistent: true, message);
        message.Release();

        for (var i = 0; i < record.Length; i++)
        {
            foreach (var bit in new byte[] { 0x01, 0x10, 0x80 })
            {
                var damaged = (byte[])record.Clone();
                damaged[i] ^= bit;
                Assert.False(PassesAsReaderWould(damaged), $"a flip of bit {bit:x2} in byte {i} of {record.Length} went unnoticed");
            }
        }
    }

    [Fact]
    public void IsValidRecord_RejectsAFlippedByteOfTheChecksummedPartWhateverTheCallerSlices()
    {
        var message = TestMessages.New(_pool, "direct", 40);
        var record = LogOps.EncodeRecord(9, 3, persistent: false, message);
        message.Release();

        // Everything after the length field is covered by the CRC or checked against the record's length.
        for (var i = 4; i < record.Length; i++)
        {
            var damaged = (byte[])record.Clone();
            damaged[i] ^= 0xFF;
            Assert.False(RecordFormat.IsValidRecord(damaged), $"byte {i} flipped went unnoticed");
        }
    }

    [Fact]
    public void IsValidRecord_RejectsAFlippedByteInALargeRecord()
    {
        var message = TestMessages.New(_pool, "big", 1024 * 1024, persistent: true);
        var record = LogOps.EncodeRecord(1, 1, persistent: true, message);
        message.Release();

        foreach (var at in new[] { 0, 3, 4, 8, 20, 31, 100, record.Length / 2, record.Length - 1 })
        {
            record[at] ^= 0x40;
            Assert.False(PassesAsReaderWould(record), $"byte {at} flipped went unnoticed");
            record[at] ^= 0x40;
        }

        Assert.True(PassesAsReaderWould(record));
    }

    [Fact]
    public void IsValidRecord_RejectsTruncatedRecords()
    {
        var message = TestMessages.New(_pool, "short", 20);
        var record = LogOps.EncodeRecord(1, 1, persistent: true, message);
        message.Release();

        for (var length = 0; length < record.Length; length++)
        {
            Assert.False(RecordFormat.IsValidRecord(record.AsSpan(0, length)), $"a record cut to {length} bytes passed");
        }
    }

    [Fact]
    public void ReadRecordSize_RejectsImplausibleLengths()
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(RecordFormat.RecordHeaderSize - 8 - 1));
        Assert.Equal(-1, RecordFormat.ReadRecordSize(header, MaxRecordSize));

        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(RecordFormat.RecordHeaderSize - 8));
        Assert.Equal(RecordFormat.RecordHeaderSize, RecordFormat.ReadRecordSize(header, MaxRecordSize));

        BinaryPrimitives.WriteUInt32LittleEndian(header, 1001);
        Assert.Equal(-1, RecordFormat.ReadRecordSize(header, 1000));
        Assert.Equal(1009, RecordFormat.ReadRecordSize(header, 1001));

        BinaryPrimitives.WriteUInt32LittleEndian(header, uint.MaxValue);
        Assert.Equal(-1, RecordFormat.ReadRecordSize(header, int.MaxValue));
    }

    [Theory]
    [InlineData(1u, 0L, 0L)]
    [InlineData(2u, 17L, 17L)]
    [InlineData(3u, 5L, long.MaxValue)]
    public void Ack_RoundTrips(uint kind, long first, long last)
    {
        var record = new byte[RecordFormat.AckRecordSize];
        RecordFormat.WriteAck(record, (AckKind)kind, first, last);

        Assert.True(RecordFormat.TryReadAck(record, out var readKind, out var readFirst, out var readLast));
        Assert.Equal((AckKind)kind, readKind);
        Assert.Equal(first, readFirst);
        Assert.Equal(last, readLast);
    }

    [Fact]
    public void Ack_RejectsAFlippedBitAnywhere()
    {
        var record = new byte[RecordFormat.AckRecordSize];
        RecordFormat.WriteAck(record, AckKind.SettledRange, 10, 20);

        for (var i = 0; i < record.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var damaged = (byte[])record.Clone();
                damaged[i] ^= (byte)(1 << bit);
                Assert.False(RecordFormat.TryReadAck(damaged, out _, out _, out _), $"bit {bit} of byte {i} flipped went unnoticed");
            }
        }
    }

    [Fact]
    public void Ack_RejectsAnUnknownKindEvenWithAValidChecksum()
    {
        var record = new byte[RecordFormat.AckRecordSize];
        RecordFormat.WriteAck(record, (AckKind)5, 1, 1);
        Assert.False(RecordFormat.TryReadAck(record, out _, out _, out _));

        RecordFormat.WriteAck(record, 0, 1, 1);
        Assert.False(RecordFormat.TryReadAck(record, out _, out _, out _));
    }

    [Fact]
    public void Ack_RejectsZeroes()
    {
        Assert.False(RecordFormat.TryReadAck(new byte[RecordFormat.AckRecordSize], out _, out _, out _));
    }

    [Fact]
    public void SegmentHeader_IsCheckedForMagicAndNumber()
    {
        var header = new byte[RecordFormat.SegmentHeaderSize];
        header.AsSpan().Fill(0xAA);
        RecordFormat.WriteSegmentHeader(header, segment: 7, incarnation: 3);

        Assert.True(RecordFormat.IsSegmentHeader(header, 7));
        Assert.Equal("BRKSEG01"u8.ToArray(), header[..8]);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12)));
        Assert.All(header[16..], b => Assert.Equal(0, b));

        Assert.False(RecordFormat.IsSegmentHeader(header, 8));
        Assert.False(RecordFormat.IsSegmentHeader(header.AsSpan(0, RecordFormat.SegmentHeaderSize - 1), 7));
        for (var i = 0; i < 12; i++)
        {
            var damaged = (byte[])header.Clone();
            damaged[i] ^= 0x01;
            Assert.False(RecordFormat.IsSegmentHeader(damaged, 7), $"byte {i} flipped went unnoticed");
        }
    }

    /// <summary>What recovery does with bytes at a record's place: size from the length field, then the record's checks.</summary>
    private static bool PassesAsReaderWould(byte[] data)
    {
        var size = RecordFormat.ReadRecordSize(data, MaxRecordSize);
        return size >= 0 && size <= data.Length && RecordFormat.IsValidRecord(data.AsSpan(0, size));
    }
}
