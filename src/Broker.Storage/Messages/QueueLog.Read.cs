using System.Buffers;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;
using Microsoft.Win32.SafeHandles;

namespace Broker.Storage.Messages;

internal sealed partial class QueueLog
{
    private const int ReadBufferSize = 256 * 1024;

    public int Read(ref LogPosition cursor, List<QueueEntry> into, int maxCount, long maxBytes)
    {
        var sink = new EntrySink(this, into, maxCount, maxBytes);
        ReadRecords(ref cursor, ref sink);
        return sink.Count;
    }

    /// <summary>What a stream's index needs of each record, without building messages.</summary>
    public int Scan(ref LogPosition cursor, List<StreamRecord> into, int maxCount)
    {
        var sink = new RecordInfoSink(into, maxCount);
        ReadRecords(ref cursor, ref sink);
        return sink.Count;
    }

    /// <summary>Feeds the live records from <paramref name="cursor"/> on to <paramref name="sink"/> until it is full or the log ends.</summary>
    private void ReadRecords<TSink>(ref LogPosition cursor, ref TSink sink)
        where TSink : struct, IRecordSink
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            while (!sink.IsFull)
            {
                Segment? segment;
                SafeFileHandle? handle = null;
                int available;
                lock (_lock)
                {
                    segment = FirstSegmentFrom(cursor.Segment);
                    if (segment is null || _deleted)
                    {
                        break;
                    }

                    if (segment.Number != cursor.Segment)
                    {
                        cursor = new LogPosition(segment.Number, RecordFormat.SegmentHeaderSize);
                    }

                    if (cursor.Offset >= segment.AppendEnd)
                    {
                        if (ReferenceEquals(segment, _active))
                        {
                            break;
                        }

                        cursor = new LogPosition(segment.Number + 1, RecordFormat.SegmentHeaderSize);
                        continue;
                    }

                    if (cursor.Offset < segment.WrittenLength && segment.Handle is not null)
                    {
                        handle = segment.Handle;
                        available = (int)Math.Min(buffer.Length, segment.WrittenLength - cursor.Offset);
                    }
                    else if (_writtenOnly)
                    {
                        // A stream's readers see only what is in the file: what they got survives a crash.
                        break;
                    }
                    else
                    {
                        // Not on disk yet: copy from the pending chunk that holds it.
                        available = CopyFromChunks(segment, cursor.Offset, ref buffer);
                    }
                }

                if (available <= 0 && handle is null)
                {
                    // Nothing readable here (a failed write left no chunk): the end for now.
                    break;
                }

                if (handle is not null)
                {
                    available = ReadFile(handle, cursor.Offset, ref buffer, available);
                    if (available <= 0)
                    {
                        // The segment went away under us (all its records settled, or dropped): move on.
                        cursor = new LogPosition(cursor.Segment + 1, RecordFormat.SegmentHeaderSize);
                        continue;
                    }
                }

                var before = sink.Count;
                var consumed = ParseRecords(segment, cursor, buffer.AsSpan(0, available), ref sink);
                if (consumed == 0)
                {
                    // A record larger than the buffer: grow it and read the record whole.
                    var needed = RecordFormat.ReadRecordSize(buffer, int.MaxValue);
                    if (needed < 0 || needed <= available)
                    {
                        _store.ReportFailure(Directory, new InvalidDataException($"unreadable record in segment {segment.Number} at {cursor.Offset}"));
                        cursor = new LogPosition(cursor.Segment + 1, RecordFormat.SegmentHeaderSize);
                        continue;
                    }

                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(needed);
                    continue;
                }

                lock (_lock)
                {
                    segment.Unread -= sink.Count - before;
                }

                cursor = new LogPosition(cursor.Segment, cursor.Offset + (uint)consumed);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Message? ReadAt(long location)
    {
        var position = RecordLocation.Unpack(location);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            SafeFileHandle? handle = null;
            var available = 0;
            lock (_lock)
            {
                var segment = Find(position.Segment);
                if (segment is null || _deleted || position.Offset >= segment.AppendEnd)
                {
                    return null;
                }

                if (position.Offset < segment.WrittenLength && segment.Handle is not null)
                {
                    handle = segment.Handle;
                }
                else
                {
                    available = CopyFromChunks(segment, position.Offset, ref buffer);
                }
            }

            if (handle is not null)
            {
                // One read for most records; a larger one is read again whole.
                available = ReadFile(handle, position.Offset, ref buffer, buffer.Length);
                var size = available >= 8 ? RecordFormat.ReadRecordSize(buffer, _store.MaxRecordSize) : -1;
                if (size > available)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(size);
                    available = ReadFile(handle, position.Offset, ref buffer, size);
                }
            }

            var recordSize = available >= 8 ? RecordFormat.ReadRecordSize(buffer, _store.MaxRecordSize) : -1;
            if (recordSize < 0 || recordSize > available)
            {
                _store.ReportFailure(Directory, new InvalidDataException($"no record in segment {position.Segment} at {position.Offset}"));
                return null;
            }

            var message = RecordFormat.ReadMessage(buffer.AsSpan(0, recordSize), _store.Pool);
            message.TimeToLive = -1;
            return message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Hands the records in <paramref name="data"/> to the sink, skipping dead ones (settled before a
    /// restart, transient records of an earlier run, dropped ranges). Only live records count toward
    /// the sink's limits, so a read never comes back empty while live records lie ahead. Returns the
    /// bytes consumed.
    /// </summary>
    private int ParseRecords<TSink>(Segment segment, LogPosition cursor, ReadOnlySpan<byte> data, ref TSink sink)
        where TSink : struct, IRecordSink
    {
        var at = 0;
        while (at + 8 <= data.Length && !sink.IsFull)
        {
            var size = RecordFormat.ReadRecordSize(data[at..], int.MaxValue);
            if (size < 0 || at + size > data.Length)
            {
                break;
            }

            var record = data.Slice(at, size);
            var sequence = RecordFormat.Sequence(record);
            var dead = segment.IsDead(sequence)
                || (segment.IsRecovered && !RecordFormat.IsPersistent(record) && RecordFormat.Incarnation(record) != _store.Incarnation);
            if (!dead)
            {
                sink.Add(segment, new LogPosition(segment.Number, cursor.Offset + (uint)at), record);
            }

            at += size;
        }

        return at;
    }

    /// <summary>Where <see cref="ReadRecords"/> puts what it reads: a struct, so the loop is specialized and allocates nothing.</summary>
    private interface IRecordSink
    {
        bool IsFull { get; }

        int Count { get; }

        void Add(Segment segment, LogPosition position, ReadOnlySpan<byte> record);
    }

    /// <summary>Records as queue entries with their messages (a queue's refill, a stream's readers).</summary>
    private struct EntrySink(QueueLog log, List<QueueEntry> into, int maxCount, long maxBytes) : IRecordSink
    {
        private long _bytes;

        public readonly bool IsFull => Count >= maxCount || _bytes >= maxBytes;

        public int Count { get; private set; }

        public void Add(Segment segment, LogPosition position, ReadOnlySpan<byte> record)
        {
            var sequence = RecordFormat.Sequence(record);
            var message = RecordFormat.ReadMessage(record, log._store.Pool);
            var redelivered = segment.DeliveredSequences?.Contains(sequence) ?? false;
            message.TimeToLive = -1;
            var returns = segment.ReturnCounts is { } counts && counts.TryGetValue(sequence, out var count) ? count : 0;
            into.Add(new QueueEntry(sequence, message, redelivered, RecordLocation.Pack(position), RecordFormat.ExpiresAt(record), returns));
            Count++;
            _bytes += record.Length;
        }
    }

    /// <summary>Records as offsets, times, places and sizes only (a stream's index).</summary>
    private struct RecordInfoSink(List<StreamRecord> into, int maxCount) : IRecordSink
    {
        public readonly bool IsFull => Count >= maxCount;

        public int Count { get; private set; }

        public void Add(Segment segment, LogPosition position, ReadOnlySpan<byte> record)
        {
            into.Add(new StreamRecord(RecordFormat.Sequence(record), RecordFormat.ExpiresAt(record), position, record.Length));
            Count++;
        }
    }

    private static int ReadFile(SafeFileHandle handle, uint offset, ref byte[] buffer, int length)
    {
        try
        {
            return RandomAccess.Read(handle, buffer.AsSpan(0, length), offset);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>Copies pending bytes from <paramref name="offset"/> to the end of the chunk holding them. Under the lock.</summary>
    private int CopyFromChunks(Segment segment, uint offset, ref byte[] buffer)
    {
        foreach (var chunk in _chunks)
        {
            if (!ReferenceEquals(chunk.Segment, segment) || offset < chunk.Offset || offset >= chunk.Offset + (uint)chunk.Length)
            {
                continue;
            }

            var start = (int)(offset - chunk.Offset);
            var length = chunk.Length - start;
            if (buffer.Length < length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(length);
            }

            chunk.Buffer.AsSpan(start, length).CopyTo(buffer);
            return length;
        }

        return 0;
    }

    private Segment? FirstSegmentFrom(uint number)
    {
        foreach (var segment in _segments)
        {
            if (segment.Number >= number)
            {
                return segment;
            }
        }

        return null;
    }
}
