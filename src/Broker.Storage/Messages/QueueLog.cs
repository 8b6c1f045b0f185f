using System.Buffers;
using Broker.Engine.Messages;
using Broker.Engine.Stores;

namespace Broker.Storage.Messages;

/// <summary>
/// A queue's log on disk: numbered segment files of checksummed records, each with an ack file.
/// Appends (under the queue's lock) only copy the record into pending chunks; the store's writer
/// thread writes them out, syncs when persistent records are among them (group commit), and deletes
/// segments whose records are all settled. Reads serve records from the file or, before they are
/// written, from the pending chunks.
/// </summary>
internal sealed partial class QueueLog : IQueueLog
{
    private const int ChunkSize = 64 * 1024;

    private readonly MessageStore _store;
    private readonly bool _durable;
    private readonly Lock _lock = new();
    private readonly List<Segment> _segments = [];
    private readonly List<PendingChunk> _chunks = [];
    private readonly List<PendingAck> _acks = [];
    private readonly List<Message> _persists = [];
    private readonly List<Segment> _toDelete = [];
    private Segment? _active;
    private uint _highestSegment;
    private bool _needsSync;
    private bool _deleted;
    private bool _failed;

    /// <summary>Files or the queue's directory were created since its entries were last synced (writer thread only).</summary>
    private bool _entriesUnsynced;

    /// <summary>This log created its directory, whose entry in queues/ is not synced yet (writer thread only).</summary>
    private bool _createdDirectory;
    private int _queuedForWrite;

    public QueueLog(MessageStore store, string directory, bool durable)
    {
        _store = store;
        Directory = directory;
        _durable = durable;
    }

    public string Directory { get; }

    public long RecoveredCount { get; private set; }

    public LogPosition Start { get; private set; } = new(1, RecordFormat.SegmentHeaderSize);

    public long NextSequence { get; private set; }

    public LogPosition End
    {
        get
        {
            lock (_lock)
            {
                return _active is null
                    ? new LogPosition(NextSegmentNumber(), RecordFormat.SegmentHeaderSize)
                    : new LogPosition(_active.Number, _active.AppendEnd);
            }
        }
    }

    /// <summary>Set by the writer: the log is queued for a write pass.</summary>
    internal ref int QueuedForWrite => ref _queuedForWrite;

    public long Append(long sequence, Message message, bool persistent, bool toTail, long expiresAt)
    {
        var size = RecordFormat.RecordSize(message);
        long location;
        lock (_lock)
        {
            if (_deleted)
            {
                return RecordLocation.None;
            }

            var segment = SegmentFor(size);
            var chunk = ChunkFor(segment, size);
            var offset = chunk.Offset + (uint)chunk.Length;
            RecordFormat.WriteRecord(chunk.Buffer.AsSpan(chunk.Length, size), sequence, _store.Incarnation, persistent, expiresAt, message);
            chunk.Length += size;
            segment.AppendEnd += (uint)size;
            segment.Live++;
            if (toTail)
            {
                segment.Unread++;
            }

            if (persistent)
            {
                message.AddReference();
                message.AddPendingPersist();
                _persists.Add(message);
                _needsSync = true;
            }

            location = RecordLocation.Pack(new LogPosition(segment.Number, offset));
        }

        _store.AddPendingBytes(size);
        _store.MarkDirty(this);
        return location;
    }

    public void Settle(long location, long sequence, bool persistent)
    {
        if (location == RecordLocation.None)
        {
            return;
        }

        bool writerHasWork;
        lock (_lock)
        {
            var segment = Find(RecordLocation.Unpack(location).Segment);
            if (segment is null || _deleted)
            {
                return;
            }

            segment.Live--;
            writerHasWork = persistent && _durable;
            if (writerHasWork)
            {
                _acks.Add(new PendingAck(segment, AckKind.Settled, sequence, sequence));
            }

            writerHasWork |= DeleteIfDeadLocked(segment);
        }

        // Most settles of transient records give the writer nothing to do: do not wake it for them.
        if (writerHasWork)
        {
            _store.MarkDirty(this);
        }
    }

    public void MarkDelivered(long location, long sequence) => AddAck(location, AckKind.Delivered, sequence, sequence);

    public void MarkReturned(long location, long sequence, int deliveryCount) => AddAck(location, AckKind.Returned, sequence, deliveryCount);

    /// <summary>Queues an ack record about one record of a durable log (not synced on its own).</summary>
    private void AddAck(long location, AckKind kind, long first, long last)
    {
        if (!_durable || location == RecordLocation.None)
        {
            return;
        }

        lock (_lock)
        {
            var segment = Find(RecordLocation.Unpack(location).Segment);
            if (segment is null || _deleted)
            {
                return;
            }

            _acks.Add(new PendingAck(segment, kind, first, last));
        }

        _store.MarkDirty(this);
    }

    public void DropTail(LogPosition from, long firstSequence, long lastSequence)
    {
        lock (_lock)
        {
            if (_deleted)
            {
                return;
            }

            // Every unread record is in the tail being dropped; the range record makes recovery agree.
            // Segments with nothing unread get it too: a refill may have read their records without the
            // queue having taken them yet, and it settles those as transient when it sees the purge.
            foreach (var segment in _segments.ToArray())
            {
                if (segment.Number < from.Segment)
                {
                    continue;
                }

                segment.Live -= segment.Unread;
                segment.Unread = 0;
                (segment.DeadRanges ??= []).Add((firstSequence, lastSequence));
                if (_durable)
                {
                    _acks.Add(new PendingAck(segment, AckKind.SettledRange, firstSequence, lastSequence));
                }

                DeleteIfDeadLocked(segment);
            }
        }

        _store.MarkDirty(this);
    }

    public void Delete()
    {
        lock (_lock)
        {
            _deleted = true;
        }

        _store.MarkDirty(this);
    }

    /// <summary>Frees what the log holds without deleting files (broker shutting down).</summary>
    internal void Close()
    {
        lock (_lock)
        {
            foreach (var segment in _segments)
            {
                segment.CloseHandles();
            }
        }
    }

    private uint NextSegmentNumber() => _highestSegment + 1;

    /// <summary>The segment to append a record of <paramref name="size"/> bytes to, rolling over when full.</summary>
    private Segment SegmentFor(int size)
    {
        var active = _active;
        if (active is not null && (active.AppendEnd + (long)size <= SegmentLimit || active.AppendEnd == RecordFormat.SegmentHeaderSize))
        {
            return active;
        }

        var segment = new Segment(++_highestSegment, Directory);
        _segments.Add(segment);
        _active = segment;
        var header = ChunkFor(segment, RecordFormat.SegmentHeaderSize);
        RecordFormat.WriteSegmentHeader(header.Buffer.AsSpan(header.Length), segment.Number, _store.Incarnation);
        header.Length += RecordFormat.SegmentHeaderSize;
        segment.AppendEnd = RecordFormat.SegmentHeaderSize;
        _store.AddPendingBytes(RecordFormat.SegmentHeaderSize);
        if (active is not null)
        {
            DeleteIfDeadLocked(active);
        }

        return segment;
    }

    private PendingChunk ChunkFor(Segment segment, int size)
    {
        if (_chunks.Count > 0)
        {
            var last = _chunks[^1];
            if (!last.InFlight && ReferenceEquals(last.Segment, segment) && last.Buffer.Length - last.Length >= size)
            {
                return last;
            }
        }

        var offset = segment.AppendEnd;
        var chunk = new PendingChunk(segment, offset, ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, size)));
        _chunks.Add(chunk);
        return chunk;
    }

    private Segment? Find(uint number)
    {
        // Segments are few and sorted; the ones settled most often are near the front.
        foreach (var segment in _segments)
        {
            if (segment.Number == number)
            {
                return segment;
            }
        }

        return null;
    }

    /// <summary>Queues a segment with no live record left for deletion; true if it did.</summary>
    private bool DeleteIfDeadLocked(Segment segment)
    {
        if (segment.Live > 0 || ReferenceEquals(segment, _active) || segment.IsDeleted)
        {
            return false;
        }

        segment.IsDeleted = true;
        _segments.Remove(segment);
        _toDelete.Add(segment);
        return true;
    }

    private sealed class PendingChunk
    {
        public PendingChunk(Segment segment, uint offset, byte[] buffer)
        {
            Segment = segment;
            Offset = offset;
            Buffer = buffer;
        }

        public Segment Segment { get; }

        public uint Offset { get; }

        public byte[] Buffer { get; }

        public int Length { get; set; }

        /// <summary>Taken by the writer: appends go to a new chunk, readers may still copy from it.</summary>
        public bool InFlight { get; set; }
    }

    private readonly record struct PendingAck(Segment Segment, AckKind Kind, long First, long Last);
}
