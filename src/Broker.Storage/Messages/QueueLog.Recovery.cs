using System.Buffers;
using Broker.Engine.Stores;

namespace Broker.Storage.Messages;

internal sealed partial class QueueLog
{
    /// <summary>
    /// Opens a durable queue's log after a restart: reads each segment's ack file, checks every record's
    /// checksum, cuts a torn or corrupted tail off (it is never served), counts the persistent records
    /// not yet settled, and deletes segments with none left.
    /// </summary>
    internal static QueueLog Recover(MessageStore store, string directory)
    {
        var log = new QueueLog(store, directory, durable: true);
        if (!System.IO.Directory.Exists(directory))
        {
            return log;
        }

        var numbers = new List<uint>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*.seg"))
        {
            if (uint.TryParse(Path.GetFileNameWithoutExtension(path), out var number))
            {
                numbers.Add(number);
            }
        }

        numbers.Sort();
        long maxSequence = -1;
        long recovered = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            foreach (var number in numbers)
            {
                var segment = new Segment(number, directory) { IsRecovered = true };
                log._highestSegment = number;
                ReadAckFile(store, segment);
                var live = ScanSegment(store, segment, ref buffer, ref maxSequence);
                segment.Live = live;
                segment.Unread = live;
                if (live == 0)
                {
                    segment.CloseHandles();
                    File.Delete(segment.Path);
                    File.Delete(segment.AckPath);
                    continue;
                }

                recovered += live;
                log._segments.Add(segment);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        log.RecoveredCount = recovered;
        log.NextSequence = maxSequence + 1;
        if (log._segments.Count > 0)
        {
            log.Start = new LogPosition(log._segments[0].Number, RecordFormat.SegmentHeaderSize);
        }

        return log;
    }

    private static void ReadAckFile(MessageStore store, Segment segment)
    {
        if (!File.Exists(segment.AckPath))
        {
            return;
        }

        segment.AckHandle = File.OpenHandle(segment.AckPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(segment.AckHandle);
        Span<byte> record = stackalloc byte[RecordFormat.AckRecordSize];
        long at = 0;
        while (at + RecordFormat.AckRecordSize <= length)
        {
            RandomAccess.Read(segment.AckHandle, record, at);
            if (!RecordFormat.TryReadAck(record, out var kind, out var first, out var last))
            {
                break;
            }

            switch (kind)
            {
                case AckKind.Settled:
                    (segment.DeadSequences ??= []).Add(first);
                    break;
                case AckKind.Delivered:
                    (segment.DeliveredSequences ??= []).Add(first);
                    break;
                case AckKind.SettledRange:
                    (segment.DeadRanges ??= []).Add((first, last));
                    break;
                case AckKind.Returned:
                    (segment.ReturnCounts ??= [])[first] = (int)Math.Min(last, int.MaxValue);
                    break;
            }

            at += RecordFormat.AckRecordSize;
        }

        if (at != length)
        {
            // A torn ack record at the end (crash mid-write): cut it so appends line up again.
            store.ReportRecovery($"cut {length - at} bytes of torn ack records off {segment.AckPath}");
            RandomAccess.SetLength(segment.AckHandle, at);
        }

        segment.AckLength = at;
    }

    /// <summary>Validates the segment's records and returns how many are live (persistent, not settled).</summary>
    private static int ScanSegment(MessageStore store, Segment segment, ref byte[] buffer, ref long maxSequence)
    {
        segment.Handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(segment.Handle);
        Span<byte> header = stackalloc byte[RecordFormat.SegmentHeaderSize];
        if (length < RecordFormat.SegmentHeaderSize
            || RandomAccess.Read(segment.Handle, header, 0) < RecordFormat.SegmentHeaderSize
            || !RecordFormat.IsSegmentHeader(header, segment.Number))
        {
            store.ReportRecovery($"{segment.Path} has no valid header: dropped");
            RandomAccess.SetLength(segment.Handle, 0);
            return 0;
        }

        long offset = RecordFormat.SegmentHeaderSize;
        var live = 0;
        var valid = true;
        while (valid && offset < length)
        {
            var available = (int)Math.Min(buffer.Length, length - offset);
            var read = RandomAccess.Read(segment.Handle, buffer.AsSpan(0, available), offset);
            var at = 0;
            while (at + 8 <= read)
            {
                var size = RecordFormat.ReadRecordSize(buffer.AsSpan(at), store.MaxRecordSize);
                if (size < 0 || offset + at + size > length)
                {
                    valid = false;
                    break;
                }

                if (at + size > read)
                {
                    if (at == 0)
                    {
                        // One record bigger than the buffer.
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(size);
                    }

                    break;
                }

                var record = buffer.AsSpan(at, size);
                if (!RecordFormat.IsValidRecord(record))
                {
                    valid = false;
                    break;
                }

                var sequence = RecordFormat.Sequence(record);
                maxSequence = Math.Max(maxSequence, sequence);
                if (RecordFormat.IsPersistent(record) && !segment.IsDead(sequence))
                {
                    live++;
                }

                at += size;
            }

            if (at == 0 && valid && read < 8)
            {
                valid = false;
            }

            offset += at;
        }

        if (offset < length)
        {
            store.ReportRecovery($"cut {length - offset} bytes of torn or corrupted records off {segment.Path} at {offset}");
            RandomAccess.SetLength(segment.Handle, offset);
        }

        segment.AppendEnd = (uint)offset;
        segment.WrittenLength = (uint)offset;
        return live;
    }
}
