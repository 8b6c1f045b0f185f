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
        var count = 0;
        long bytes = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            while (count < maxCount && bytes < maxBytes)
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
                    else
                    {
                        // Not on disk yet: copy from the pending chunk that holds it.
                        available = CopyFromChunks(segment, cursor.Offset, ref buffer);
                    }
                }

                if (handle is not null)
                {
                    available = ReadFile(handle, cursor.Offset, ref buffer, available);
                    if (available <= 0)
                    {
                        // The segment went away under us (all its records settled): move on.
                        cursor = new LogPosition(cursor.Segment + 1, RecordFormat.SegmentHeaderSize);
                        continue;
                    }
                }

                var (consumed, read, readBytes) = ParseRecords(segment, cursor, buffer.AsSpan(0, available), into, maxCount - count, maxBytes - bytes);
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
                    segment.Unread -= read;
                }

                count += read;
                bytes += readBytes;
                cursor = new LogPosition(cursor.Segment, cursor.Offset + (uint)consumed);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return count;
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
    /// Turns the records in <paramref name="data"/> into entries, skipping dead ones (settled before a
    /// restart, transient records of an earlier run, dropped ranges). Only live records count toward
    /// the limits, so a read never comes back empty while live records lie ahead.
    /// </summary>
    private (int Consumed, int Live, long LiveBytes) ParseRecords(Segment segment, LogPosition cursor, ReadOnlySpan<byte> data, List<QueueEntry> into, int maxCount, long maxBytes)
    {
        var at = 0;
        var live = 0;
        long liveBytes = 0;
        while (at + 8 <= data.Length && live < maxCount && liveBytes < maxBytes)
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
                var message = RecordFormat.ReadMessage(record, _store.Pool);
                var redelivered = segment.DeliveredSequences?.Contains(sequence) ?? false;
                var location = RecordLocation.Pack(new LogPosition(segment.Number, cursor.Offset + (uint)at));
                message.TimeToLive = -1;
                into.Add(new QueueEntry(sequence, message, redelivered, location, RecordFormat.ExpiresAt(record)));
                live++;
                liveBytes += size;
            }

            at += size;
        }

        return (at, live, liveBytes);
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
