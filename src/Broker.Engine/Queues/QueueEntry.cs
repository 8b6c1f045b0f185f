using Broker.Engine.Messages;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues;

/// <summary>
/// A message's place in one queue. The sequence number orders the queue, so a requeued message
/// goes back to its original position (as RabbitMQ does since 2.7.0).
/// </summary>
public readonly struct QueueEntry
{
    public QueueEntry(long sequence, Message message, bool redelivered, long location = RecordLocation.None, long expiresAt = NoExpiry)
    {
        Sequence = sequence;
        Message = message;
        Redelivered = redelivered;
        Location = location;
        ExpiresAt = expiresAt;
    }

    /// <summary><see cref="ExpiresAt"/> of a message that never expires.</summary>
    public const long NoExpiry = long.MaxValue;

    public long Sequence { get; }

    public Message Message { get; }

    public bool Redelivered { get; }

    /// <summary>The message's record in the queue's log, or <see cref="RecordLocation.None"/> if it has none.</summary>
    public long Location { get; }

    /// <summary>When the message expires (Unix milliseconds), or <see cref="NoExpiry"/>.</summary>
    public long ExpiresAt { get; }

    public QueueEntry AsRedelivered() => new(Sequence, Message, true, Location, ExpiresAt);
}
