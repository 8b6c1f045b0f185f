using Broker.Engine.Messages;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues;

/// <summary>
/// A message's place in one queue. The sequence number orders the queue, so a requeued message
/// goes back to its original position (as RabbitMQ does since 2.7.0).
/// </summary>
public readonly struct QueueEntry
{
    public QueueEntry(long sequence, Message message, bool redelivered, long location = RecordLocation.None, long expiresAt = NoExpiry, int deliveryCount = 0)
    {
        Sequence = sequence;
        Message = message;
        Redelivered = redelivered;
        DeliveryCount = deliveryCount;
        Location = location;
        ExpiresAt = expiresAt;
    }

    /// <summary><see cref="ExpiresAt"/> of a message that never expires.</summary>
    public const long NoExpiry = long.MaxValue;

    public long Sequence { get; }

    public Message Message { get; }

    public bool Redelivered { get; }

    /// <summary>
    /// How often the message came back to a queue that counts returns (quorum queues): requeued by a
    /// reject or nack, or left unacknowledged when its channel closed. 0 elsewhere.
    /// </summary>
    public int DeliveryCount { get; }

    /// <summary>The message's record in the queue's log, or <see cref="RecordLocation.None"/> if it has none.</summary>
    public long Location { get; }

    /// <summary>When the message expires (Unix milliseconds), or <see cref="NoExpiry"/>.</summary>
    public long ExpiresAt { get; }

    /// <summary>The entry back in its queue: redelivered, its return counted when the queue counts them.</summary>
    public QueueEntry AsReturned(bool counted) => new(Sequence, Message, true, Location, ExpiresAt, counted ? DeliveryCount + 1 : DeliveryCount);
}
