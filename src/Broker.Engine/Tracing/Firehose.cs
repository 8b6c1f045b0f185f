using System.Collections.Concurrent;
using Broker.DataModel.Content;
using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Sessions;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Tracing;

/// <summary>
/// A vhost's firehose (RabbitMQ's rabbit_trace): copies of its publishes and deliveries published to
/// amq.rabbitmq.trace. Publishes and deliveries are noted where they happen, often under a queue's and
/// a session's lock, where routing a copy would break the lock order; one thread-pool run at a time
/// then makes and routes the copies, in the order they were noted. A publish is noted before its
/// message reaches any queue, so its copy always comes before the copies of its deliveries.
/// </summary>
internal sealed class Firehose : IThreadPoolWorkItem
{
    private readonly VirtualHost _virtualHost;
    private readonly ConcurrentQueue<TraceEvent> _pending = new();
    private readonly RouteTargets _targets = new();
    private readonly FlushBatch _batch = new();
    private int _scheduled;
    private volatile bool _stopped;

    public Firehose(VirtualHost virtualHost)
    {
        _virtualHost = virtualHost;
    }

    /// <summary>
    /// A publish routed to <paramref name="queues"/> (none for an unroutable message). Called after
    /// routing, before the message is enqueued. <paramref name="routedByKey"/>: published to the
    /// default exchange, whose copy names the queues after the routing keys.
    /// </summary>
    public void NotePublish(TraceOrigin origin, Message message, List<MessageQueue> queues, bool routedByKey)
    {
        // rabbit_trace leaves the trace exchange's own messages alone, so the firehose never feeds itself.
        if (IsTraceMessage(message))
        {
            return;
        }

        var names = queues.Count == 0 || routedByKey ? [] : new string[queues.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = queues[i].Name;
        }

        Note(new TraceEvent(message, origin, Queue: null, names, routedByKey, Redelivered: false, DeliveryAnnotation.None));
    }

    /// <summary>A delivery (to a consumer or a basic.get), with what the queue added to it. Called under the session's lock.</summary>
    public void NoteDelivery(TraceOrigin origin, MessageQueue queue, Message message, bool redelivered, in DeliveryAnnotation annotation)
    {
        if (IsTraceMessage(message))
        {
            return;
        }

        Note(new TraceEvent(message, origin, queue.Name, RoutedQueues: null, RoutedByKey: false, redelivered, annotation));
    }

    /// <summary>The broker is stopping: what is still waiting is dropped, nothing more is routed.</summary>
    public void Stop()
    {
        _stopped = true;
        ReleasePending();
    }

    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            try
            {
                while (!_stopped && _pending.TryDequeue(out var traced))
                {
                    try
                    {
                        Publish(traced);
                    }
                    finally
                    {
                        traced.Message.Release();
                    }
                }
            }
            catch (Exception ex)
            {
                _virtualHost.Engine.ReportUnexpected(ex, $"tracing in vhost '{_virtualHost.Name}'");
            }
            finally
            {
                _batch.FlushAll();
            }

            if (_stopped)
            {
                ReleasePending();
            }

            // Noted after the last dequeue but before this store: that caller saw the flag set and
            // left the work to this run, so look again.
            Volatile.Write(ref _scheduled, 0);
            if (_pending.IsEmpty || Interlocked.CompareExchange(ref _scheduled, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private static bool IsTraceMessage(Message message) => message.Exchange.SequenceEqual(TraceMessage.ExchangeNameBytes);

    private void Note(TraceEvent traced)
    {
        if (_stopped)
        {
            return;
        }

        // Held until the copy is made: the queue may let go of the message long before.
        traced.Message.AddReference();
        _pending.Enqueue(traced);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void Publish(in TraceEvent traced)
    {
        // amq.* exchanges cannot be deleted; the lookup only guards against a vhost being torn down.
        if (!_virtualHost.TryGetExchange(TraceMessage.ExchangeName, out var exchange))
        {
            return;
        }

        var engine = _virtualHost.Engine;
        var copy = TraceMessage.Create(engine.Messages, traced, _virtualHost.Name, engine.Options.NodeName);
        try
        {
            // As rabbit_basic:publish: routed like any message, not mandatory, not confirmed, not traced.
            _virtualHost.Publish(exchange, ref copy, MessageProperties.Parse(copy.Properties).HeadersBody, _targets, _batch);
        }
        finally
        {
            copy.Release();
        }
    }

    private void ReleasePending()
    {
        while (_pending.TryDequeue(out var traced))
        {
            traced.Message.Release();
        }
    }
}
