using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Engine.Stores;

/// <summary>
/// Logs kept in memory: nothing survives a restart and nothing is bounded. For engine tests and as the
/// second implementation the store contract tests run against.
/// </summary>
public sealed class InMemoryMessageStore : IMessageStore
{
    public long PendingBytes => 0;

    public IQueueLog OpenLog(string virtualHost, string queue, bool durable) => new InMemoryQueueLog();

    public IQueueLog OpenPriorityLog(string virtualHost, string queue, bool durable, int priority) => new InMemoryQueueLog();

    public IStreamLog OpenStreamLog(string virtualHost, string queue, long segmentSize) => new InMemoryStreamLog(segmentSize);

    public IQueueLog OpenDelayLog(string virtualHost, string exchange, bool durable) => new InMemoryQueueLog();
}

/// <summary>A queue's tail as a list in memory; a location is the entry's index in it.</summary>
public sealed class InMemoryQueueLog : IQueueLog
{
    private readonly List<QueueEntry?> _entries = [];

    public LogPosition End
    {
        get
        {
            lock (_entries)
            {
                return new(1, (uint)_entries.Count);
            }
        }
    }

    public long RecoveredCount => 0;

    public LogPosition Start => new(1, 0);

    public long NextSequence => 0;

    public long Append(long sequence, Message message, bool persistent, bool toTail, long expiresAt)
    {
        if (!toTail)
        {
            return RecordLocation.None;
        }

        message.AddReference();
        lock (_entries)
        {
            var location = RecordLocation.Pack(new LogPosition(1, (uint)_entries.Count));
            _entries.Add(new QueueEntry(sequence, message, redelivered: false, location, expiresAt));
            return location;
        }
    }

    public void Settle(long location, long sequence, bool persistent)
    {
    }

    public void MarkDelivered(long location, long sequence)
    {
    }

    public void MarkReturned(long location, long sequence, int deliveryCount)
    {
    }

    public void DropTail(LogPosition from, long firstSequence, long lastSequence)
    {
        lock (_entries)
        {
            for (var i = (int)from.Offset; i < _entries.Count; i++)
            {
                _entries[i]?.Message.Release();
                _entries[i] = null;
            }
        }
    }

    public int Read(ref LogPosition cursor, List<QueueEntry> into, int maxCount, long maxBytes)
    {
        var read = 0;
        long bytes = 0;
        lock (_entries)
        {
            while (read < maxCount && bytes < maxBytes && cursor.Offset < _entries.Count)
            {
                if (_entries[(int)cursor.Offset] is { } entry)
                {
                    into.Add(entry);
                    _entries[(int)cursor.Offset] = null;
                    read++;
                    bytes += entry.Message.Size;
                }

                cursor = new LogPosition(1, cursor.Offset + 1);
            }
        }

        return read;
    }

    public Message? ReadAt(long location)
    {
        lock (_entries)
        {
            var index = (int)RecordLocation.Unpack(location).Offset;
            if (index >= _entries.Count || _entries[index] is not { } entry)
            {
                return null;
            }

            _entries[index] = null;
            return entry.Message;
        }
    }

    public void Delete()
    {
        lock (_entries)
        {
            foreach (var entry in _entries)
            {
                entry?.Message.Release();
            }

            _entries.Clear();
        }
    }
}
