using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Exchanges;
using Broker.Engine.Messages;
using Broker.Engine.Publishing;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Stores;
using Broker.Engine.Tests.Support;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Tests.Publishing;

/// <summary>
/// The virtual host's one publish operation: route (routing key, CC, BCC), enqueue on what was reached,
/// and the outcome the channel turns into basic.return, confirms or commit-ok.
/// </summary>
public class PublishTests
{
    private readonly Host _host = new();
    private readonly RouteTargets _targets = new();

    private Message NewMessage(string routingKey, FieldTable? headers = null, bool persistent = false, string body = "body")
    {
        var properties = new BasicProperties { Headers = headers, DeliveryMode = persistent ? (byte)2 : null }.Encode();
        var bytes = TextEncoding.UTF8.GetBytes(body);
        var message = _host.Engine.Messages.Rent(""u8, TextEncoding.UTF8.GetBytes(routingKey), properties, bytes.Length, persistent, priority: 0);
        Assert.True(message.AppendBody(bytes));
        return message;
    }

    /// <summary>basic.publish as the channel does it: headers parsed from the message's properties.</summary>
    private PublishOutcome Publish(Exchange exchange, ref Message message, IPersistListener? listener = null)
    {
        var headers = MessageProperties.Parse(message.Properties).HeadersBody;
        return _host.VHost.Publish(exchange, ref message, headers, _targets, new FlushBatch(), listener, confirmSequence: 1);
    }

    /// <summary>Publishes a message and releases the publisher's reference, as the channel does after publishing.</summary>
    private PublishOutcome Publish(string exchange, string routingKey, FieldTable? headers = null)
    {
        Assert.True(_host.VHost.TryGetExchange(exchange, out var source));
        var message = NewMessage(routingKey, headers);
        var outcome = Publish(source, ref message);
        message.Release();
        return outcome;
    }

    /// <summary>Takes the head of <paramref name="queue"/> and returns what reached it: headers, hidden keys and body.</summary>
    private static (FieldTable? Headers, IReadOnlyList<string>? Hidden, string Body) Take(MessageQueue queue)
    {
        Assert.True(queue.TryGet(noAck: true, out var entry, out _));
        var message = entry.Message;
        var result = (BasicProperties.Read(message.Properties).Headers, message.HiddenRoutingKeys, TextEncoding.UTF8.GetString(message.Body));
        message.Release();
        return result;
    }

    private static List<object?> Keys(params string[] keys) => [.. keys.Select(k => (object?)Host.Str(k))];

    private static List<string?> Strings(object? array) => [.. Assert.IsType<List<object?>>(array).Select(FieldValues.AsString)];

    [Fact]
    public void The_outcome_counts_every_queue_reached()
    {
        _host.Exchange("fan", ExchangeTypes.Fanout);
        var queues = new[] { _host.Queue("q1"), _host.Queue("q2"), _host.Queue("q3") };
        foreach (var queue in queues)
        {
            _host.Bind(queue.Name, "fan");
        }

        var outcome = Publish("fan", "k");

        Assert.Equal(new PublishOutcome(3, Rejected: false, PersistPending: false), outcome);
        Assert.True(outcome.Routed);
        Assert.All(queues, q => Assert.Equal(1, q.MessageCount));
    }

    [Fact]
    public void A_message_nothing_matched_is_not_routed_and_reaches_no_queue()
    {
        _host.Exchange("dx");
        var queue = _host.Queue("q");
        _host.Bind("q", "dx", "k");

        var outcome = Publish("dx", "other");

        Assert.Equal(0, outcome.Queues);
        Assert.False(outcome.Routed);
        Assert.False(outcome.Rejected);
        Assert.Equal(0, queue.MessageCount);
    }

    [Fact]
    public void The_default_exchange_routes_to_the_queue_named_by_the_key()
    {
        var queue = _host.Queue("q");

        var outcome = Publish("", "q");

        Assert.Equal(1, outcome.Queues);
        Assert.Equal(1, queue.MessageCount);
    }

    [Fact]
    public void A_reject_publish_queue_at_its_limit_rejects_but_still_counts_as_routed()
    {
        _host.Exchange("fan", ExchangeTypes.Fanout);
        var full = _host.Queue("full", arguments: Host.Args(("x-max-length", 1), ("x-overflow", Host.Str("reject-publish"))));
        var open = _host.Queue("open");
        _host.Bind("full", "fan");
        _host.Bind("open", "fan");
        Assert.False(Publish("fan", "k").Rejected);

        var outcome = Publish("fan", "k");

        // A nack for the confirm, but no basic.return: the message was routed.
        Assert.True(outcome.Rejected);
        Assert.True(outcome.Routed);
        Assert.Equal(2, outcome.Queues);
        Assert.Equal(1, full.MessageCount);
        Assert.Equal(2, open.MessageCount);
    }

    [Fact]
    public void A_drop_head_queue_at_its_limit_takes_the_message_without_a_rejection()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-max-length", 1)));
        Publish("", "q");

        var outcome = Publish("", "q");

        Assert.False(outcome.Rejected);
        Assert.Equal(1, outcome.Queues);
        Assert.Equal(1, queue.MessageCount);
    }

    [Fact]
    public void CC_keys_route_to_more_queues_and_the_header_stays()
    {
        _host.Exchange("dx");
        var a = _host.Queue("a");
        var b = _host.Queue("b");
        var c = _host.Queue("c");
        _host.Bind("a", "dx", "ka");
        _host.Bind("b", "dx", "kb");
        _host.Bind("c", "dx", "kc");
        Assert.True(_host.VHost.TryGetExchange("dx", out var exchange));
        var message = NewMessage("ka", Host.Args(("CC", Keys("kb"))));
        var original = message;

        var outcome = Publish(exchange, ref message);

        Assert.Equal(2, outcome.Queues);
        Assert.Same(original, message);
        Assert.Equal(0, c.MessageCount);
        foreach (var queue in new[] { a, b })
        {
            var (headers, hidden, _) = Take(queue);
            Assert.Equal(["kb"], Strings(headers!["CC"]));
            Assert.Null(hidden);
        }

        message.Release();
    }

    [Fact]
    public void A_queue_matched_by_the_key_and_by_a_CC_key_gets_the_message_once()
    {
        _host.Exchange("dx");
        var queue = _host.Queue("q");
        _host.Bind("q", "dx", "k1");
        _host.Bind("q", "dx", "k2");

        var outcome = Publish("dx", "k1", Host.Args(("CC", Keys("k2", "k1"))));

        Assert.Equal(1, outcome.Queues);
        Assert.Equal(1, queue.MessageCount);
    }

    [Fact]
    public void BCC_keys_route_too_but_the_header_is_removed_from_the_message_queues_get()
    {
        _host.Exchange("dx");
        var a = _host.Queue("a");
        var b = _host.Queue("b");
        var c = _host.Queue("c");
        _host.Bind("a", "dx", "ka");
        _host.Bind("b", "dx", "kb");
        _host.Bind("c", "dx", "kc");
        Assert.True(_host.VHost.TryGetExchange("dx", out var exchange));
        var headers = Host.Args(("CC", Keys("kb")), ("BCC", Keys("kc")), ("other", Host.Str("kept")));
        var message = NewMessage("ka", headers, body: "payload");
        var original = message;

        var outcome = Publish(exchange, ref message);

        Assert.Equal(3, outcome.Queues);
        Assert.NotSame(original, message);
        Assert.False(BasicProperties.Read(message.Properties).Headers!.ContainsKey("BCC"));
        foreach (var queue in new[] { a, b, c })
        {
            var (reached, hidden, body) = Take(queue);
            Assert.False(reached!.ContainsKey("BCC"), $"BCC reached {queue.Name}");
            Assert.Equal(["kb"], Strings(reached["CC"]));
            Assert.Equal("kept", FieldValues.AsString(reached["other"]));
            Assert.Equal("payload", body);

            // Kept out of sight for dead-lettering, as RabbitMQ keeps BCC keys in the routing keys.
            Assert.Equal(["kc"], hidden);
        }

        message.Release();
    }

    [Fact]
    public void A_BCC_key_that_matches_nothing_still_removes_the_header()
    {
        var queue = _host.Queue("q");
        Assert.True(_host.VHost.TryGetExchange("", out var exchange));
        var message = NewMessage("q", Host.Args(("BCC", Keys("nowhere"))));

        var outcome = Publish(exchange, ref message);

        Assert.Equal(1, outcome.Queues);
        var (headers, _, _) = Take(queue);
        Assert.False(headers!.ContainsKey("BCC"));
        message.Release();
    }

    [Fact]
    public void Routed_now_and_enqueued_later_goes_to_the_queues_routed_before()
    {
        _host.Exchange("dx");
        var q1 = _host.Queue("q1");
        var q2 = _host.Queue("q2");
        var late = _host.Queue("late");
        _host.Bind("q1", "dx", "k");
        _host.Bind("q2", "dx", "k");
        Assert.True(_host.VHost.TryGetExchange("dx", out var exchange));
        var message = NewMessage("k");

        // A transaction routes at basic.publish and keeps the queues until tx.commit.
        _host.VHost.Route(exchange, ref message, default, _targets);
        List<MessageQueue> routed = [.. _targets.Queues];
        Assert.Equal(0, q1.MessageCount);
        _host.Unbind("q2", "dx", "k");
        _host.Bind("late", "dx", "k");

        var outcome = _host.VHost.Enqueue(message, routed, new FlushBatch());

        Assert.Equal(2, outcome.Queues);
        Assert.Equal(1, q1.MessageCount);
        Assert.Equal(1, q2.MessageCount);
        Assert.Equal(0, late.MessageCount);
        message.Release();
    }

    [Fact]
    public void Routing_starts_from_empty_targets()
    {
        _host.Exchange("dx");
        _host.Queue("q1");
        _host.Queue("q2");
        _host.Bind("q1", "dx", "k1");
        _host.Bind("q2", "dx", "k2");
        Assert.True(_host.VHost.TryGetExchange("dx", out var exchange));
        var first = NewMessage("k1");
        var second = NewMessage("k2");

        _host.VHost.Route(exchange, ref first, default, _targets);
        _host.VHost.Route(exchange, ref second, default, _targets);

        Assert.Equal(["q2"], _targets.Queues.Select(q => q.Name));
        first.Release();
        second.Release();
    }

    [Fact]
    public void A_queue_deleted_between_routing_and_enqueueing_does_not_count()
    {
        _host.Exchange("fan", ExchangeTypes.Fanout);
        var kept = _host.Queue("kept");
        _host.Queue("gone");
        _host.Bind("kept", "fan");
        _host.Bind("gone", "fan");
        Assert.True(_host.VHost.TryGetExchange("fan", out var exchange));
        var message = NewMessage("k");
        _host.VHost.Route(exchange, ref message, default, _targets);
        List<MessageQueue> routed = [.. _targets.Queues];
        Assert.False(_host.VHost.DeleteQueue("gone", ifUnused: false, ifEmpty: false, _host.Connection).IsError);

        var outcome = _host.VHost.Enqueue(message, routed, new FlushBatch());

        Assert.Equal(1, outcome.Queues);
        Assert.Equal(1, kept.MessageCount);

        Assert.False(_host.VHost.DeleteQueue("kept", ifUnused: false, ifEmpty: false, _host.Connection).IsError);
        Assert.False(_host.VHost.Enqueue(message, routed, new FlushBatch()).Routed);
        message.Release();
    }

    [Fact]
    public void With_a_persist_listener_and_the_in_memory_store_nothing_is_pending()
    {
        var queue = _host.Queue("dq", durable: true);
        Assert.True(queue.Durable);
        Assert.True(_host.VHost.TryGetExchange("", out var exchange));
        var listener = new CountingPersistListener();
        var message = NewMessage("dq", persistent: true);

        var outcome = Publish(exchange, ref message, listener);

        // Nothing waits for a disk: the outcome is final and the listener is never called.
        Assert.Equal(new PublishOutcome(1, Rejected: false, PersistPending: false), outcome);
        Assert.Equal(0, listener.Persisted);
        Assert.Equal(1, queue.MessageCount);
        message.Release();
    }

    [Fact]
    public void With_a_persist_listener_a_rejection_is_final_at_once()
    {
        _host.Queue("full", durable: true, arguments: Host.Args(("x-max-length", 0), ("x-overflow", Host.Str("reject-publish"))));
        Assert.True(_host.VHost.TryGetExchange("", out var exchange));
        var listener = new CountingPersistListener();
        var message = NewMessage("full", persistent: true);

        var outcome = Publish(exchange, ref message, listener);

        Assert.Equal(new PublishOutcome(1, Rejected: true, PersistPending: false), outcome);
        Assert.Equal(0, listener.Persisted);
        message.Release();
    }

    private sealed class CountingPersistListener : IPersistListener
    {
        public int Persisted { get; private set; }

        public void OnPersisted(ulong confirmSequence, bool success) => Persisted++;

        public void OnPersistBatchCompleted()
        {
        }
    }
}
