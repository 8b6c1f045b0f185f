using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Engine.Sessions;

/// <summary>
/// Where a session's deliveries are written: the AMQP channel turns them into frames on its
/// connection's output. The session assigns delivery tags and keeps the bookkeeping; the target only
/// writes, so tags reach the client in the order they were given.
/// </summary>
public interface IDeliveryTarget
{
    /// <summary>
    /// Writes a delivery to a consumer, its properties with <paramref name="annotation"/>'s header
    /// added, and adds the output to <paramref name="batch"/>. Returns false,
    /// writing nothing, when the output is closed or (with <paramref name="yieldIfSaturated"/>) so full
    /// that consumers should wait for it to drain. Called under the session's lock, usually also a
    /// queue's.
    /// </summary>
    bool TryWriteDelivery(ReadOnlySpan<byte> consumerTag, ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, bool yieldIfSaturated, FlushBatch batch);

    /// <summary>Writes the answer to a get that found a message. Called under the session's lock.</summary>
    void WriteGetOk(ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, long remaining);

    /// <summary>
    /// A queue cancelled one of the session's consumers (it was deleted): tell the client if it
    /// understands that. Called under the session's lock; <see cref="Flush"/> follows without it.
    /// </summary>
    void WriteConsumerCancelled(Consumer consumer);

    /// <summary>Sends what was written outside a batch. Called without locks.</summary>
    void Flush();
}
