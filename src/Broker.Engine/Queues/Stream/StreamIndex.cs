using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// What a stream knows of its log without reading it: each segment's first offset, newest time and
/// size (for retention), and a point every <see cref="PointInterval"/> records (offset, time, place)
/// from which a reader looking for an offset or a time scans forward. Small however long the stream.
/// Guarded by the stream's lock.
/// </summary>
internal sealed class StreamIndex
{
    public const int PointInterval = 1024;

    private readonly List<IndexPoint> _points = [];
    private readonly List<SegmentStats> _segments = [];
    private int _sinceLastPoint;

    /// <summary>The oldest offset kept, or -1 when the stream holds nothing.</summary>
    public long FirstOffset => _segments.Count == 0 ? -1 : _segments[0].FirstOffset;

    /// <summary>Where the oldest kept record is.</summary>
    public LogPosition? FirstPosition => _points.Count == 0 ? null : _points[0].Position;

    public long TotalBytes { get; private set; }

    public int SegmentCount => _segments.Count;

    /// <summary>Records an appended (or recovered) record. Returns true when it opened a segment after another.</summary>
    public bool Add(long offset, long timestamp, LogPosition position, int size)
    {
        var opened = _segments.Count == 0 || _segments[^1].Number != position.Segment;
        if (opened)
        {
            _segments.Add(new SegmentStats(position.Segment, offset));
        }

        var segment = _segments[^1];
        segment.LastTimestamp = timestamp;
        segment.Bytes += size;
        TotalBytes += size;
        if (opened || ++_sinceLastPoint >= PointInterval)
        {
            _points.Add(new IndexPoint(offset, timestamp, position));
            _sinceLastPoint = 0;
        }

        return opened && _segments.Count > 1;
    }

    /// <summary>The last point at or before <paramref name="offset"/> (the first point when none is): where a scan for it starts.</summary>
    public IndexPoint? FloorByOffset(long offset) => Floor(offset, byTime: false);

    /// <summary>The last point strictly before <paramref name="timestamp"/> (the first point when none is).</summary>
    public IndexPoint? FloorByTime(long timestamp) => Floor(timestamp, byTime: true);

    /// <summary>Segments retention removes now, oldest first; never the newest one (still being written).</summary>
    public List<uint> SegmentsBeyond(StreamRetention retention, long now)
    {
        var drop = new List<uint>();
        var bytes = TotalBytes;
        for (var i = 0; i < _segments.Count - 1; i++)
        {
            var segment = _segments[i];
            var tooBig = retention.MaxBytes >= 0 && bytes > retention.MaxBytes;
            var tooOld = retention.MaxAgeMilliseconds >= 0 && segment.LastTimestamp < now - retention.MaxAgeMilliseconds;
            if (!tooBig && !tooOld)
            {
                break;
            }

            drop.Add(segment.Number);
            bytes -= segment.Bytes;
        }

        return drop;
    }

    /// <summary>Forgets a segment retention removed (the oldest).</summary>
    public void RemoveSegment(uint number)
    {
        var index = _segments.FindIndex(s => s.Number == number);
        if (index < 0)
        {
            return;
        }

        TotalBytes -= _segments[index].Bytes;
        _segments.RemoveAt(index);
        _points.RemoveAll(p => p.Position.Segment == number);
    }

    private IndexPoint? Floor(long key, bool byTime)
    {
        if (_points.Count == 0)
        {
            return null;
        }

        int low = 0, high = _points.Count - 1, found = 0;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var point = _points[middle];
            var before = byTime ? point.Timestamp < key : point.Offset <= key;
            if (before)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return _points[found];
    }

    private sealed class SegmentStats(uint number, long firstOffset)
    {
        public uint Number { get; } = number;

        public long FirstOffset { get; } = firstOffset;

        public long LastTimestamp { get; set; }

        public long Bytes { get; set; }
    }
}

internal readonly record struct IndexPoint(long Offset, long Timestamp, LogPosition Position);
