using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;

namespace Broker.Storage.Tests.Support;

/// <summary>A store whose logs can hold a reader still right after a read (to line up a race deterministically).</summary>
internal sealed class GatedStore(IMessageStore inner) : IMessageStore
{
    public GatedLog? Last { get; private set; }

    public long PendingBytes => inner.PendingBytes;

    public IQueueLog OpenLog(string virtualHost, string queue, bool durable) => Last = new GatedLog(inner.OpenLog(virtualHost, queue, durable));

    public IQueueLog OpenPriorityLog(string virtualHost, string queue, bool durable, int priority) => inner.OpenPriorityLog(virtualHost, queue, durable, priority);

    public IStreamLog OpenStreamLog(string virtualHost, string queue, long segmentSize) => inner.OpenStreamLog(virtualHost, queue, segmentSize);

    public IQueueLog OpenDelayLog(string virtualHost, string exchange, bool durable) => inner.OpenDelayLog(virtualHost, exchange, durable);
}

/// <summary>Delegates to a real log; once armed, the next Read returns only after <see cref="Release"/>.</summary>
internal sealed class GatedLog(IQueueLog inner) : IQueueLog
{
    private readonly ManualResetEventSlim _held = new();
    private readonly ManualResetEventSlim _release = new();
    private int _armed;

    public LogPosition End => inner.End;

    public long RecoveredCount => inner.RecoveredCount;

    public LogPosition Start => inner.Start;

    public long NextSequence => inner.NextSequence;

    /// <summary>Entries the held read returned.</summary>
    public int HeldCount { get; private set; }

    public void Arm()
    {
        _release.Reset();
        _held.Reset();
        Volatile.Write(ref _armed, 1);
    }

    /// <summary>Waits until a reader is held after its read.</summary>
    public void WaitHeld()
    {
        if (!_held.Wait(Wait.Timeout))
        {
            Assert.Fail("no reader came to the armed log");
        }
    }

    public void Release() => _release.Set();

    public long Append(long sequence, Message message, bool persistent, bool toTail, long expiresAt) =>
        inner.Append(sequence, message, persistent, toTail, expiresAt);

    public void Settle(long location, long sequence, bool persistent) => inner.Settle(location, sequence, persistent);

    public void MarkDelivered(long location, long sequence) => inner.MarkDelivered(location, sequence);

    public void MarkReturned(long location, long sequence, int deliveryCount) => inner.MarkReturned(location, sequence, deliveryCount);

    public Message? ReadAt(long location) => inner.ReadAt(location);

    public void DropTail(LogPosition from, long firstSequence, long lastSequence) => inner.DropTail(from, firstSequence, lastSequence);

    public int Read(ref LogPosition cursor, List<QueueEntry> into, int maxCount, long maxBytes)
    {
        var read = inner.Read(ref cursor, into, maxCount, maxBytes);
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            HeldCount = read;
            _held.Set();
            _release.Wait(Wait.Timeout);
        }

        return read;
    }

    public void Delete() => inner.Delete();
}
