using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Engine.Stores;

/// <summary>
/// A queue's message log: where persistent messages of durable queues are kept, and where any queue
/// puts the messages it holds beyond its in-memory window (its "tail"). Records are appended in queue
/// order. Methods marked "under the queue lock" only copy bytes; the store's writer thread does I/O.
/// </summary>
public interface IQueueLog
{
    /// <summary>Where the next append goes. Under the queue lock.</summary>
    LogPosition End { get; }

    /// <summary>Messages recovered at start-up, waiting in the log from <see cref="Start"/> (0 for a new log).</summary>
    long RecoveredCount { get; }

    /// <summary>The first position to read recovered messages from.</summary>
    LogPosition Start { get; }

    /// <summary>The sequence number after the highest one recovered.</summary>
    long NextSequence { get; }

    /// <summary>
    /// Appends a message and returns its record's location. When <paramref name="persistent"/>, the
    /// record is synced to disk by group commit and the message's persist tracking is completed then.
    /// <paramref name="toTail"/> says the record joins the on-disk tail (to be read back later) rather
    /// than backing a message the queue keeps in memory. <paramref name="expiresAt"/> (Unix ms, or
    /// <see cref="QueueEntry.NoExpiry"/>) is kept with the record. Under the queue lock.
    /// </summary>
    long Append(long sequence, Message message, bool persistent, bool toTail, long expiresAt);

    /// <summary>The record will not be needed again (acked, dropped, purged). Under the queue lock.</summary>
    void Settle(long location, long sequence, bool persistent);

    /// <summary>The message was handed to a consumer: after a crash it comes back redelivered. Under the queue lock.</summary>
    void MarkDelivered(long location, long sequence);

    /// <summary>
    /// The message came back to a queue that counts returns (quorum): after a restart it comes back
    /// with <paramref name="deliveryCount"/>. Under the queue lock.
    /// </summary>
    void MarkReturned(long location, long sequence, int deliveryCount);

    /// <summary>Every record from <paramref name="from"/> to the end is dropped (the tail was purged). Under the queue lock.</summary>
    void DropTail(LogPosition from, long firstSequence, long lastSequence);

    /// <summary>
    /// Reads live records from <paramref name="cursor"/> on, at most <paramref name="maxCount"/> or about
    /// <paramref name="maxBytes"/>, advancing the cursor. Called without the queue lock; may do I/O.
    /// </summary>
    int Read(ref LogPosition cursor, List<QueueEntry> into, int maxCount, long maxBytes);

    /// <summary>
    /// Reads the one live record at <paramref name="location"/> (a delayed exchange reads its messages
    /// in due order, not log order); null when there is none. Without the queue lock; may do I/O.
    /// </summary>
    Message? ReadAt(long location);

    /// <summary>The queue is gone: its records and files go too.</summary>
    void Delete();
}
