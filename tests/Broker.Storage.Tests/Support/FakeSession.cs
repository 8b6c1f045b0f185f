using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;

namespace Broker.Storage.Tests.Support;

/// <summary>
/// A consumer session test double: records the ids of delivered messages in order (read at delivery time,
/// as no-ack deliveries are released right after), accepts while the consumer has credit.
/// Deliveries come from the queue's pump and refill threads, so it locks.
/// </summary>
internal sealed class FakeSession : IConsumerSession
{
    private readonly Lock _lock = new();
    private readonly List<(string Id, bool Redelivered)> _deliveries = [];
    private int _credit = int.MaxValue;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _deliveries.Count;
            }
        }
    }

    public List<(string Id, bool Redelivered)> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    public Consumer Consume(MessageQueue queue, string tag, bool noAck) =>
        new(tag, queue, this, noAck, exclusive: false, priority: 0, prefetchLimit: 0, arguments: null);

    /// <summary>How many more deliveries to accept (int.MaxValue: no limit).</summary>
    public void SetCredit(int credit)
    {
        lock (_lock)
        {
            _credit = credit;
        }
    }

    public bool TryDeliver(Consumer consumer, MessageQueue queue, in QueueEntry entry, FlushBatch batch)
    {
        lock (_lock)
        {
            if (_credit == 0)
            {
                return false;
            }

            if (_credit != int.MaxValue)
            {
                _credit--;
            }

            _deliveries.Add((TestMessages.Id(entry.Message), entry.Redelivered));
            return true;
        }
    }

    public void OnConsumerCancelled(Consumer consumer)
    {
    }
}
