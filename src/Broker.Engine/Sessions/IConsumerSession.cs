using Broker.Engine.Delivery;
using Broker.Engine.Queues;

namespace Broker.Engine.Sessions;

/// <summary>
/// What a queue needs from the session a consumer belongs to. <see cref="Session"/> is the one
/// implementation; queue tests use doubles.
/// </summary>
public interface IConsumerSession
{
    /// <summary>
    /// Hands the entry to the consumer if it can take it now (prefetch credit, output not saturated),
    /// writing the delivery and adding its output to <paramref name="batch"/>. Called with the queue's
    /// lock held: must not call back into the queue.
    /// </summary>
    bool TryDeliver(Consumer consumer, MessageQueue queue, in QueueEntry entry, FlushBatch batch);

    /// <summary>The queue cancelled the consumer (it was deleted). Called without the queue's lock.</summary>
    void OnConsumerCancelled(Consumer consumer);
}
