using Broker.Engine.Messages;
using Broker.Engine.Stores;

namespace Broker.Storage.Messages;

/// <summary>
/// The same segmented log serves streams: every record is persistent (synced, recovered), the
/// record's time field holds the append time instead of an expiry, nothing is ever settled, and
/// retention drops whole segments.
/// </summary>
internal sealed partial class QueueLog : IStreamLog
{
    /// <summary>Segment size for this log; 0 uses the store's.</summary>
    private long _segmentSize;

    /// <summary>A stream's log: reads stop where the file ends, never serving records still in memory.</summary>
    private bool _writtenOnly;

    /// <summary>Called by the writer thread, holding no lock, after it wrote some of this log's records.</summary>
    private Action? _written;

    private long SegmentLimit => _segmentSize > 0 ? _segmentSize : _store.SegmentSize;

    public Action? Written
    {
        set => _written = value;
    }

    /// <summary>Makes this a stream's log, in segments of <paramref name="segmentSize"/> (x-stream-max-segment-size-bytes).</summary>
    internal void UseAsStream(long segmentSize)
    {
        _segmentSize = segmentSize;
        _writtenOnly = true;
    }

    long IStreamLog.Append(long offset, Message message, long timestamp, out int size)
    {
        size = RecordFormat.RecordSize(message);
        return Append(offset, message, persistent: true, toTail: false, expiresAt: timestamp);
    }

    public void DropSegment(uint number)
    {
        lock (_lock)
        {
            var segment = Find(number);
            if (segment is null || ReferenceEquals(segment, _active) || segment.IsDeleted || _deleted)
            {
                return;
            }

            segment.IsDeleted = true;
            _segments.Remove(segment);
            _toDelete.Add(segment);
        }

        _store.MarkDirty(this);
    }
}
