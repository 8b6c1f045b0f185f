using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;
using Broker.Storage.Messages;

namespace Broker.Storage.Tests.Support;

/// <summary>The store calls the tests make, in one place (so a signature change touches one file).</summary>
internal static class LogOps
{
    public static long Add(this IQueueLog log, long sequence, Message message, bool persistent, bool toTail = true, long expiresAt = QueueEntry.NoExpiry) =>
        log.Append(sequence, message, persistent, toTail, expiresAt);

    /// <summary>
    /// Appends a new message (the caller's reference is released) and returns its location. As a queue
    /// does, the record is persistent when the message is and the queue is <paramref name="durable"/>.
    /// </summary>
    public static long AddNew(this IQueueLog log, MessagePool pool, long sequence, string id, int bodySize, bool persistent, bool toTail = true, bool durable = true)
    {
        var message = TestMessages.New(pool, id, bodySize, persistent);
        var location = log.Add(sequence, message, persistent && durable, toTail);
        message.Release();
        return location;
    }

    /// <summary>Every live record from <paramref name="cursor"/> on.</summary>
    public static List<QueueEntry> ReadAll(this IQueueLog log, ref LogPosition cursor)
    {
        var entries = new List<QueueEntry>();
        while (log.Read(ref cursor, entries, int.MaxValue, long.MaxValue) > 0)
        {
        }

        return entries;
    }

    public static List<QueueEntry> ReadAll(this IQueueLog log)
    {
        var cursor = log.Start;
        return log.ReadAll(ref cursor);
    }

    public static byte[] EncodeRecord(long sequence, uint incarnation, bool persistent, Message message, long expiresAt = QueueEntry.NoExpiry)
    {
        var record = new byte[RecordFormat.RecordSize(message)];
        RecordFormat.WriteRecord(record, sequence, incarnation, persistent, expiresAt, message);
        return record;
    }

    public static uint SegmentOf(long location) => RecordLocation.Unpack(location).Segment;
}
