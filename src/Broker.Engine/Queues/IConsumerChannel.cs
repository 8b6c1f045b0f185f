using Broker.Engine.Delivery;

namespace Broker.Engine.Queues;

/// <summary>
/// What a queue needs from the channel a consumer lives on (the AMQP channel implements it).
/// </summary>
public interface IConsumerChannel
{
    /// <summary>
    /// Hands the entry to the consumer if it can take it now (prefetch credit, output not saturated),
    /// writing the delivery into its connection's output and adding that output to <paramref name="batch"/>.
    /// Called with the queue's lock held: must not call back into the queue.
    /// </summary>
    bool TryDeliver(Consumer consumer, MessageQueue queue, in QueueEntry entry, FlushBatch batch);

    /// <summary>The queue cancelled the consumer (it was deleted). Called without the queue's lock.</summary>
    void OnConsumerCancelled(Consumer consumer);
}
