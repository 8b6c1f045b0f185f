using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Engine.Tracing;

namespace Broker.Engine.VirtualHosts;

/// <summary>
/// Tracing (RabbitMQ's firehose): while on, every publish and delivery in the vhost is copied to
/// amq.rabbitmq.trace. Off, it costs the publish and delivery paths one volatile read each.
/// </summary>
public sealed partial class VirtualHost
{
    private readonly Lock _tracingLock = new();
    private volatile bool _tracing;
    private Firehose? _firehose;

    /// <summary>
    /// Whether publishes and deliveries are copied to amq.rabbitmq.trace (rabbitmqctl trace_on,
    /// "tracing" in the management API). Not kept across a restart: RabbitMQ keeps it in the node's
    /// application environment, which a restart resets. Takes effect on open channels at once.
    /// </summary>
    public bool Tracing
    {
        get => _tracing;
        set
        {
            lock (_tracingLock)
            {
                // The firehose exists before the flag says so: a reader that sees the flag finds it.
                _firehose ??= new Firehose(this);
                _tracing = value;
            }
        }
    }

    /// <summary>
    /// Copies a publish to the firehose while <see cref="Tracing"/> (nothing otherwise), with the queues
    /// it was routed to; before the message is enqueued, so the copy comes before its deliveries'.
    /// <see cref="Publish"/> and <c>Route</c> do this when given an origin; a publish that bypasses
    /// them (a direct reply, which reaches no queue) calls it itself.
    /// </summary>
    public void TracePublish(TraceOrigin origin, Message message, List<MessageQueue> routedQueues)
    {
        if (_tracing)
        {
            _firehose!.NotePublish(origin, message, routedQueues, routedByKey: false);
        }
    }

    /// <summary>
    /// Copies a delivery made outside a session (the management API's get) to the firehose while
    /// <see cref="Tracing"/>, as RabbitMQ traces its management plugin's gets.
    /// </summary>
    public void TraceGet(TraceOrigin origin, MessageQueue queue, in QueueEntry entry)
    {
        if (_tracing)
        {
            TraceDelivery(origin, queue, entry.Message, entry.Redelivered, DeliveryAnnotation.For(queue.Type.DeliveryAnnotation, entry));
        }
    }

    /// <summary>Notes a delivery for the firehose. Only while <see cref="Tracing"/>; under the session's lock.</summary>
    internal void TraceDelivery(TraceOrigin origin, MessageQueue queue, Message message, bool redelivered, in DeliveryAnnotation annotation) =>
        _firehose!.NoteDelivery(origin, queue, message, redelivered, annotation);

    /// <summary>The broker is stopping: traces not yet routed are dropped.</summary>
    internal void StopTracing()
    {
        lock (_tracingLock)
        {
            _firehose?.Stop();
        }
    }
}
