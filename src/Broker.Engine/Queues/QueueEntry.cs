using Broker.Engine.Messages;

namespace Broker.Engine.Queues;

/// <summary>
/// A message's place in one queue. The sequence number orders the queue, so a requeued message
/// goes back to its original position (as RabbitMQ does since 2.7.0).
/// </summary>
public readonly struct QueueEntry
{
    public QueueEntry(long sequence, Message message, bool redelivered)
    {
        Sequence = sequence;
        Message = message;
        Redelivered = redelivered;
    }

    public long Sequence { get; }

    public Message Message { get; }

    public bool Redelivered { get; }

    public QueueEntry AsRedelivered() => new(Sequence, Message, true);
}
