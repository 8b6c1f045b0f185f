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

    private long SegmentLimit => _segmentSize > 0 ? _segmentSize : _store.SegmentSize;

    /// <summary>Sets the segment size of a stream's log (x-stream-max-segment-size-bytes).</summary>
    internal void UseSegmentSize(long bytes) => _segmentSize = bytes;

    long IStreamLog.Append(long offset, Message message, long timestamp) =>
        Append(offset, message, persistent: true, toTail: false, expiresAt: timestamp);

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
