using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Engine.Stores;

/// <summary>
/// A stream's append-only log: every message is kept (and synced: a publisher is confirmed once its
/// message is on disk) with its offset and the time it was appended, in segments that retention
/// removes whole, oldest first. Readers keep their own positions; reading never removes anything.
/// </summary>
public interface IStreamLog
{
    /// <summary>Where the next append goes.</summary>
    LogPosition End { get; }

    /// <summary>The first position to read from (the oldest segment kept).</summary>
    LogPosition Start { get; }

    /// <summary>The offset after the highest one recovered (0 for a new stream).</summary>
    long NextSequence { get; }

    /// <summary>
    /// Appends a message at <paramref name="offset"/>, stamped with <paramref name="timestamp"/> (Unix ms);
    /// returns its location, and in <paramref name="size"/> the bytes it takes (what <see cref="Scan"/> reports).
    /// </summary>
    long Append(long offset, Message message, long timestamp, out int size);

    /// <summary>
    /// Reads written records from <paramref name="cursor"/> on, at most <paramref name="maxCount"/> or about
    /// <paramref name="maxBytes"/>, advancing the cursor past them. Each entry's sequence is its offset
    /// and its message a new reference the caller releases. May do I/O; no lock needed.
    /// </summary>
    int Read(ref LogPosition cursor, List<QueueEntry> into, int maxCount, long maxBytes);

    /// <summary>Like <see cref="Read"/>, but only the records' offsets, times, places and sizes (for building and searching the index).</summary>
    int Scan(ref LogPosition cursor, List<StreamRecord> into, int maxCount);

    /// <summary>
    /// Told when more records became readable (written to the file; a stream's readers never see
    /// records that a crash could take back). The disk log's writer calls it holding no lock; the
    /// in-memory log calls it from the append, under the stream's (re-entrant) lock. Set once, by the stream.
    /// </summary>
    Action? Written { set; }

    /// <summary>Removes a whole segment (retention). Readers positioned in it move on to the next one.</summary>
    void DropSegment(uint segment);

    /// <summary>The stream is deleted: its records and files go too.</summary>
    void Delete();
}

/// <summary>One record of a stream as <see cref="IStreamLog.Scan"/> reports it.</summary>
public readonly record struct StreamRecord(long Offset, long Timestamp, LogPosition Position, int Size);
