using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Engine.Stores;

/// <summary>
/// A stream's log in memory, in segments of about the requested size: a position is a segment
/// number and a record's index in it. For engine tests; nothing survives a restart.
/// </summary>
public sealed class InMemoryStreamLog : IStreamLog
{
    private readonly long _segmentSize;
    private readonly List<MemorySegment> _segments = [];
    private uint _highestSegment;
    private long _nextSequence;
    private Action? _written;

    public InMemoryStreamLog(long segmentSize)
    {
        _segmentSize = segmentSize;
    }

    public LogPosition End
    {
        get
        {
            lock (_segments)
            {
                return _segments.Count == 0 ? new(_highestSegment + 1, 0) : new(_segments[^1].Number, (uint)_segments[^1].Records.Count);
            }
        }
    }

    public LogPosition Start
    {
        get
        {
            lock (_segments)
            {
                return _segments.Count == 0 ? new(_highestSegment + 1, 0) : new(_segments[0].Number, 0);
            }
        }
    }

    public long NextSequence => _nextSequence;

    /// <summary>Records are readable as soon as they are appended: told from the append itself.</summary>
    public Action? Written
    {
        set => _written = value;
    }

    public long Append(long offset, Message message, long timestamp, out int size)
    {
        size = message.Size;
        message.AddReference();
        long location;
        lock (_segments)
        {
            if (_segments.Count == 0 || (_segments[^1].Bytes + message.Size > _segmentSize && _segments[^1].Records.Count > 0))
            {
                _segments.Add(new MemorySegment(++_highestSegment));
            }

            var segment = _segments[^1];
            var position = new LogPosition(segment.Number, (uint)segment.Records.Count);
            segment.Records.Add((offset, timestamp, message));
            segment.Bytes += message.Size;
            _nextSequence = offset + 1;
            location = RecordLocation.Pack(position);
        }

        _written?.Invoke();
        return location;
    }

    public int Read(ref LogPosition cursor, List<QueueEntry> into, int maxCount, long maxBytes)
    {
        var read = 0;
        long bytes = 0;
        lock (_segments)
        {
            while (read < maxCount && bytes < maxBytes && Next(ref cursor) is { } record)
            {
                record.Message.AddReference();
                into.Add(new QueueEntry(record.Offset, record.Message, redelivered: false, RecordLocation.Pack(cursor)));
                cursor = cursor with { Offset = cursor.Offset + 1 };
                read++;
                bytes += record.Message.Size;
            }
        }

        return read;
    }

    public int Scan(ref LogPosition cursor, List<StreamRecord> into, int maxCount)
    {
        var read = 0;
        lock (_segments)
        {
            while (read < maxCount && Next(ref cursor) is { } record)
            {
                into.Add(new StreamRecord(record.Offset, record.Timestamp, cursor, record.Message.Size));
                cursor = cursor with { Offset = cursor.Offset + 1 };
                read++;
            }
        }

        return read;
    }

    public void DropSegment(uint segment)
    {
        lock (_segments)
        {
            var index = _segments.FindIndex(s => s.Number == segment);
            if (index < 0)
            {
                return;
            }

            foreach (var (_, _, message) in _segments[index].Records)
            {
                message.Release();
            }

            _segments.RemoveAt(index);
        }
    }

    public void Delete()
    {
        lock (_segments)
        {
            foreach (var segment in _segments)
            {
                foreach (var (_, _, message) in segment.Records)
                {
                    message.Release();
                }
            }

            _segments.Clear();
        }
    }

    /// <summary>The record at or after <paramref name="cursor"/> (moved to it), or null at the end. Under the lock.</summary>
    private (long Offset, long Timestamp, Message Message)? Next(ref LogPosition cursor)
    {
        foreach (var segment in _segments)
        {
            if (segment.Number < cursor.Segment)
            {
                continue;
            }

            if (segment.Number > cursor.Segment)
            {
                cursor = new LogPosition(segment.Number, 0);
            }

            if (cursor.Offset < segment.Records.Count)
            {
                return segment.Records[(int)cursor.Offset];
            }
        }

        return null;
    }

    private sealed class MemorySegment(uint number)
    {
        public uint Number { get; } = number;

        public List<(long Offset, long Timestamp, Message Message)> Records { get; } = [];

        public long Bytes { get; set; }
    }
}
