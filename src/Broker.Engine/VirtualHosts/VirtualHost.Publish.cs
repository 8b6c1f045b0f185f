using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Exchanges;
using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Messages;
using Broker.Engine.Publishing;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Stores;
using Broker.Engine.Tracing;

namespace Broker.Engine.VirtualHosts;

/// <summary>
/// The one publish operation: route, enqueue, outcome. A channel's basic.publish, a transaction's
/// commit (routed at publish, enqueued at commit, as RabbitMQ does) and dead-lettering all come
/// through here, and so do a delayed exchange's messages when due; so will the management API's publish. Nothing here knows
/// frames or replies: the caller turns the outcome into basic.return, confirms or commit-ok.
/// </summary>
public sealed partial class VirtualHost
{
    /// <summary>
    /// Routes <paramref name="message"/> from <paramref name="exchange"/> and enqueues it on every queue
    /// reached. With a <paramref name="listener"/>, durable copies report to it when they are on disk
    /// (unless the outcome says nothing is pending). <paramref name="message"/> may be replaced by a
    /// copy without its BCC header; the caller releases whichever it holds afterwards.
    /// </summary>
    /// <param name="headers">The body of the message's headers table (empty when absent), as the caller parsed it.</param>
    /// <param name="origin">The publishing client's channel, for tracing; null for the broker's own publishes (dead letters, due delayed messages, trace copies), which are not traced.</param>
    public PublishOutcome Publish(Exchange exchange, ref Message message, ReadOnlySpan<byte> headers, RouteTargets targets, FlushBatch batch, IPersistListener? listener = null, ulong confirmSequence = 0, TraceOrigin? origin = null)
    {
        Route(exchange, ref message, headers, targets, origin);
        if (targets.InvalidDelay)
        {
            return new PublishOutcome(0, Rejected: false, PersistPending: false, InvalidDelay: true);
        }

        return Enqueue(message, targets.Queues, targets.Delayed, batch, listener, confirmSequence, skipDeadLetterCycles: false);
    }

    /// <summary>
    /// Finds the queues a message reaches (into <paramref name="targets"/>, cleared first): its routing
    /// key, then the keys of its CC and BCC headers (sender-selected distribution) and the BCC keys a
    /// dead-lettered message still carries. A BCC header is removed: <paramref name="message"/> is then
    /// replaced by a copy without it, and the original's reference released. With an
    /// <paramref name="origin"/>, a vhost that traces copies the publish to amq.rabbitmq.trace.
    /// </summary>
    public void Route(Exchange exchange, ref Message message, ReadOnlySpan<byte> headers, RouteTargets targets, TraceOrigin? origin = null)
    {
        targets.Clear();
        var routed = new RoutedMessage(headers, message.Properties, message.RoutingKey);
        Span<char> keyBuffer = stackalloc char[RoutingKey.MaxChars];
        if (message.RoutingKey.Length <= RoutingKey.MaxBytes)
        {
            Route(exchange, RoutingKey.Decode(message.RoutingKey, keyBuffer), routed, targets);
        }

        if (message.HiddenRoutingKeys is { } hidden)
        {
            RouteKeys(exchange, hidden, routed, targets);
        }

        if (!headers.IsEmpty && (FieldTableCodec.ContainsKey(headers, "CC"u8) || FieldTableCodec.ContainsKey(headers, "BCC"u8)))
        {
            message = RouteSenderSelected(exchange, message, routed, targets);
        }

        // rabbit_channel traces once routed, before delivering to the queues (a transaction's publish
        // at publish time); an unreadable x-delay crashes the channel before that.
        if (_tracing && origin is not null && !targets.InvalidDelay)
        {
            _firehose!.NotePublish(origin, message, targets.Queues, routedByKey: ReferenceEquals(exchange, DefaultExchange));
        }
    }

    /// <summary>
    /// Enqueues a routed message on <paramref name="queues"/> and hands it to the delayed exchanges that
    /// hold it (a transaction commits what it routed at publish time this way).
    /// </summary>
    public PublishOutcome Enqueue(Message message, List<MessageQueue> queues, FlushBatch batch, IPersistListener? listener = null, ulong confirmSequence = 0) =>
        Enqueue(message, queues, delayed: null, batch, listener, confirmSequence, skipDeadLetterCycles: false);

    /// <inheritdoc cref="Enqueue(Message, List{MessageQueue}, FlushBatch, IPersistListener?, ulong)"/>
    public PublishOutcome Enqueue(Message message, List<MessageQueue> queues, List<DelayedRoute>? delayed, FlushBatch batch, IPersistListener? listener = null, ulong confirmSequence = 0) =>
        Enqueue(message, queues, delayed, batch, listener, confirmSequence, skipDeadLetterCycles: false);

    private static PublishOutcome Enqueue(Message message, List<MessageQueue> queues, List<DelayedRoute>? delayed, FlushBatch batch, IPersistListener? listener, ulong confirmSequence, bool skipDeadLetterCycles)
    {
        if (listener is not null)
        {
            message.BeginPersistTracking(listener, confirmSequence);
        }

        var reached = 0;
        foreach (var queue in queues)
        {
            if (skipDeadLetterCycles && DeadLetters.IsCycle(message, queue.Name))
            {
                continue;
            }

            var result = queue.Enqueue(message, batch);
            if (result == EnqueueResult.Rejected)
            {
                message.MarkRejected();
            }

            // A queue that refused the message still counts as routed: no basic.return.
            reached += result != EnqueueResult.Gone ? 1 : 0;
        }

        // A held message reaches no queue now: a mandatory publish gets basic.return, as with the plugin.
        if (delayed is { Count: > 0 })
        {
            foreach (var route in delayed)
            {
                route.Exchange.Pending.Add(message, route.Delay);
            }
        }

        // Without a listener there is nothing to wait for; with one, the log appends counted the copies.
        var settled = message.EndPersistTracking();
        return new PublishOutcome(reached, settled && message.IsPersistFailed, PersistPending: !settled);
    }

    /// <summary>
    /// Routes a message from <paramref name="exchange"/> with one routing key as rabbit_exchange:route
    /// does: follows exchange-to-exchange bindings (each exchange once), uses an exchange's alternate
    /// exchange when its own bindings match nothing, and adds each queue to <paramref name="targets"/>
    /// once. Routing again adds to what is there.
    /// </summary>
    public void Route(Exchange exchange, RoutingKey routingKey, ReadOnlySpan<byte> headersTable, RouteTargets targets) =>
        Route(exchange, routingKey, RoutedMessage.HeadersOnly(headersTable), targets);

    /// <summary>Routes with one routing key as above, with the whole message for exchanges that route on more than headers.</summary>
    public void Route(Exchange exchange, RoutingKey routingKey, RoutedMessage message, RouteTargets targets)
    {
        targets.BeginTraversal();
        var pending = targets.Pending;
        var matches = targets.Matches;
        targets.Visit(exchange);
        pending.Add(exchange);
        while (pending.Count > 0)
        {
            var current = (Exchange)pending[^1];
            pending.RemoveAt(pending.Count - 1);
            matches.Clear();
            if (current is not DelayedMessageExchange delayed || !targets.TryDelay(delayed, message.Headers))
            {
                current.Match(routingKey, message, matches);
            }

            if (matches.Count == 0 && current.AlternateExchange is { } alternateName && TryGetExchange(alternateName, out var alternate))
            {
                matches.Add(alternate);
            }

            foreach (var destination in matches)
            {
                if (destination is MessageQueue queue)
                {
                    if (!queue.IsDeleted)
                    {
                        targets.AddQueue(queue);
                    }
                }
                else if (destination is Exchange next && !next.IsDeleted && targets.Visit(next))
                {
                    pending.Add(next);
                }
            }
        }
    }

    /// <summary>
    /// Publishes messages a queue dead-letters to its dead-letter exchange (outside the queue's lock).
    /// Routing follows the exchange's bindings as a publish would; queues that would close a cycle of
    /// automatic dead-lettering do not get the message again.
    /// </summary>
    internal void DeadLetter(MessageQueue source, List<(QueueEntry Entry, DeadLetterReason Reason)> items, FlushBatch batch)
    {
        var settings = source.Settings;
        Exchange? exchange = null;
        if (settings.DeadLetterExchange is { } name)
        {
            TryGetExchange(name, out exchange);
        }

        var targets = new RouteTargets();
        foreach (var (entry, reason) in items)
        {
            var original = entry.Message;
            var settlement = source.DeadLetterSettlement(entry);
            var key = (ulong)entry.Sequence;
            if (exchange is null || exchange.IsDeleted)
            {
                original.Release();
                settlement?.OnPersisted(key, success: true);
                continue;
            }

            var message = DeadLetters.Create(Engine.Messages, original, source.Name, reason, exchange.Name, settings.DeadLetterRoutingKey);
            original.Release();
            try
            {
                Route(exchange, ref message, MessageProperties.Parse(message.Properties).HeadersBody, targets);

                // An unreadable x-delay crashes the plugin's route; here the dead-lettered copy is dropped.
                var pending = !targets.InvalidDelay
                    && Enqueue(message, targets.Queues, targets.Delayed, batch, settlement, key, skipDeadLetterCycles: reason != DeadLetterReason.Rejected).PersistPending;

                // Nothing durable to wait for (no queue reached, or no copy kept on disk): the record goes now.
                if (!pending)
                {
                    settlement?.OnPersisted(key, success: true);
                }
            }
            finally
            {
                message.Release();
            }
        }
    }

    private void RouteKeys(Exchange exchange, IEnumerable<string> keys, RoutedMessage message, RouteTargets targets)
    {
        Span<char> keyBuffer = stackalloc char[RoutingKey.MaxChars];
        foreach (var key in keys)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(key);
            if (bytes.Length <= RoutingKey.MaxBytes)
            {
                Route(exchange, RoutingKey.Decode(bytes, keyBuffer), message, targets);
            }
        }
    }

    /// <summary>
    /// Sender-selected distribution: the CC and BCC headers (arrays of strings) add routing keys; BCC
    /// is removed before the message reaches any queue, and kept as hidden keys for dead-lettering.
    /// Cold path: decodes the headers.
    /// </summary>
    private Message RouteSenderSelected(Exchange exchange, Message message, RoutedMessage routed, RouteTargets targets)
    {
        var headers = FieldTableCodec.DecodeTableBody(routed.Headers);
        Span<char> keyBuffer = stackalloc char[RoutingKey.MaxChars];
        foreach (var header in (ReadOnlySpan<string>)["CC", "BCC"])
        {
            if (headers[header] is not List<object?> keys)
            {
                continue;
            }

            foreach (var key in keys)
            {
                if (key is byte[] bytes && bytes.Length <= RoutingKey.MaxBytes)
                {
                    Route(exchange, RoutingKey.Decode(bytes, keyBuffer), routed, targets);
                }
            }
        }

        if (!headers.ContainsKey("BCC"))
        {
            return message;
        }

        var bcc = new List<string>();
        if (headers["BCC"] is List<object?> bccKeys)
        {
            foreach (var key in bccKeys)
            {
                if (FieldValues.AsString(key) is { } text)
                {
                    bcc.Add(text);
                }
            }
        }

        var properties = BasicProperties.Read(message.Properties);
        properties.Headers!.Remove("BCC");
        var copy = Engine.Messages.Rent(message.Exchange, message.RoutingKey, properties.Encode(), message.BodyLength, message.IsPersistent, message.Priority);
        copy.AppendBody(message.Body);
        copy.TimeToLive = message.TimeToLive;
        copy.HiddenRoutingKeys = bcc;

        // The caller releases the reference it holds: swap the original's for the copy's.
        message.Release();
        return copy;
    }
}
