using Broker.Engine.Messages;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues;

/// <summary>
/// A message's place in one queue. The sequence number orders the queue, so a requeued message
/// goes back to its original position (as RabbitMQ does since 2.7.0).
/// </summary>
public readonly struct QueueEntry
{
    public QueueEntry(long sequence, Message message, bool redelivered, long location = RecordLocation.None)
    {
        Sequence = sequence;
        Message = message;
        Redelivered = redelivered;
        Location = location;
    }

    public long Sequence { get; }

    public Message Message { get; }

    public bool Redelivered { get; }

    /// <summary>The message's record in the queue's log, or <see cref="RecordLocation.None"/> if it has none.</summary>
    public long Location { get; }

    public QueueEntry AsRedelivered() => new(Sequence, Message, true, Location);
}
