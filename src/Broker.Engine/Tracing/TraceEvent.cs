using Broker.Engine.Messages;
using Broker.Engine.Sessions;

namespace Broker.Engine.Tracing;

/// <summary>
/// A publish or a delivery waiting to be copied to amq.rabbitmq.trace. It holds a reference to the
/// message until the copy is made (<see cref="Firehose"/> releases it).
/// </summary>
/// <param name="Message">The message as published, or as its queue stored it.</param>
/// <param name="Origin">The publishing or receiving channel.</param>
/// <param name="Queue">The queue that delivered it; null for a publish.</param>
/// <param name="RoutedQueues">The queues a publish reached; null for a delivery.</param>
/// <param name="RoutedByKey">
/// A publish to the default exchange: RabbitMQ 3.10 reports its routing keys, sorted, as the queues
/// reached, whether such queues exist or not (its default exchange routes by name and drops missing
/// queues later).
/// </param>
/// <param name="Redelivered">The delivery's redelivered flag.</param>
/// <param name="Annotation">The header the queue added to the delivery (quorum's x-delivery-count, a stream's offset).</param>
internal readonly record struct TraceEvent(Message Message, TraceOrigin Origin, string? Queue, string[]? RoutedQueues, bool RoutedByKey, bool Redelivered, DeliveryAnnotation Annotation)
{
    public bool IsDelivery => Queue is not null;
}
