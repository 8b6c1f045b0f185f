using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;

namespace Broker.Engine.Tests.Support;

/// <summary>
/// A consumer session test double: records deliveries in order, accepts while a consumer has credit (unlimited
/// unless set), and records cancellations.
/// </summary>
internal sealed class FakeSession : IConsumerSession
{
    private readonly Dictionary<Consumer, int> _credit = [];

    public List<Delivery> Deliveries { get; } = [];

    public List<Consumer> Cancelled { get; } = [];

    /// <summary>How many times TryDeliver was asked, accepted or not.</summary>
    public int Offers { get; private set; }

    public static Consumer NewConsumer(MessageQueue queue, FakeSession channel, string tag, int priority = 0, bool exclusive = false, bool noAck = false) =>
        new(tag, queue, channel, noAck, exclusive, priority, prefetchLimit: 0, arguments: null);

    /// <summary>Limits how many more deliveries <paramref name="consumer"/> accepts (0 refuses everything).</summary>
    public void SetCredit(Consumer consumer, int credit) => _credit[consumer] = credit;

    public void Unlimited(Consumer consumer) => _credit.Remove(consumer);

    public bool TryDeliver(Consumer consumer, MessageQueue queue, in QueueEntry entry, FlushBatch batch)
    {
        Offers++;
        if (_credit.TryGetValue(consumer, out var credit))
        {
            if (credit == 0)
            {
                return false;
            }

            _credit[consumer] = credit - 1;
        }

        Deliveries.Add(new Delivery(consumer, queue, entry, TestMessages.Id(entry.Message)));
        return true;
    }

    public void OnConsumerCancelled(Consumer consumer) => Cancelled.Add(consumer);

    /// <summary>Tags of the consumers that got each delivery, in order.</summary>
    public List<string> Tags() => [.. Deliveries.Select(d => d.Consumer.Tag)];

    /// <summary>Ids of the messages delivered, in order.</summary>
    public List<string> Ids() => [.. Deliveries.Select(d => d.MessageId)];
}

/// <summary>One delivery as the queue handed it over; the message id is read at delivery time.</summary>
internal sealed record Delivery(Consumer Consumer, MessageQueue Queue, QueueEntry Entry, string MessageId);
