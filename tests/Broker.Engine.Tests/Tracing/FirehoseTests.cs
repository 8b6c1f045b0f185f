using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Exchanges;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;
using Broker.Engine.Tracing;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Tests.Tracing;

/// <summary>
/// The firehose: while a vhost traces, each publish and delivery is copied to amq.rabbitmq.trace with
/// RabbitMQ 3.10's routing keys and headers (as observed on a 3.10.8 node with trace_on). The copies
/// are made on the thread pool, so the tests wait for them to reach the queue bound to the exchange.
/// </summary>
public class FirehoseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly Host _host = new(new EngineOptions { NodeName = "rabbit@tracing-test" });
    private readonly RouteTargets _targets = new();
    private readonly FakeDeliveryTarget _output = new();
    private readonly Session _session;
    private readonly MessageQueue _traces;

    public FirehoseTests()
    {
        _session = new Session(_host.VHost, new TestConnection("127.0.0.1:50000 -> 127.0.0.1:5672"), _output, number: 7);
        _traces = _host.Queue("traces");
        _host.Bind("traces", TraceMessage.ExchangeName, "#");
    }

    private Message NewMessage(string exchange, string routingKey, BasicProperties? properties = null, string body = "body")
    {
        var bytes = TextEncoding.UTF8.GetBytes(body);
        var message = _host.Engine.Messages.Rent(
            TextEncoding.UTF8.GetBytes(exchange), TextEncoding.UTF8.GetBytes(routingKey), (properties ?? new BasicProperties()).Encode(), bytes.Length, persistent: false, priority: 0);
        Assert.True(message.AppendBody(bytes));
        return message;
    }

    /// <summary>basic.publish as the channel does it, from the test's session.</summary>
    private void Publish(string exchange, string routingKey, BasicProperties? properties = null, string body = "body")
    {
        Assert.True(_host.VHost.TryGetExchange(exchange, out var source));
        var message = NewMessage(exchange, routingKey, properties, body);
        _host.VHost.Publish(source, ref message, MessageProperties.Parse(message.Properties).HeadersBody, _targets, new FlushBatch(), origin: _session.TraceOrigin);
        message.Release();
    }

    /// <summary>Waits for <paramref name="count"/> copies, then takes them from the trace queue in order.</summary>
    private List<Message> TakeTraces(int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (_traces.MessageCount < count && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        var taken = new List<Message>();
        while (_traces.TryGet(noAck: true, out var entry, out _))
        {
            taken.Add(entry.Message);
        }

        Assert.Equal(count, taken.Count);
        return taken;
    }

    /// <summary>Gives stray copies time to arrive, then checks there are none.</summary>
    private void AssertNoMoreTraces()
    {
        Thread.Sleep(100);
        Assert.Equal(0, _traces.MessageCount);
    }

    private static FieldTable Headers(Message trace) => BasicProperties.Read(trace.Properties).Headers!;

    private static string Text(object? value) => FieldValues.AsString(value)!;

    private static List<string> Texts(object? array) => [.. Assert.IsType<List<object?>>(array).Select(Text)];

    private static string Key(Message message) => TextEncoding.UTF8.GetString(message.RoutingKey);

    [Fact]
    public void Nothing_is_copied_while_tracing_is_off()
    {
        var queue = _host.Queue("work");
        Publish("", "work");
        Assert.True(_session.Get(queue, noAck: true, new FlushBatch()).Value);

        AssertNoMoreTraces();
        Assert.False(_host.VHost.Tracing);
    }

    [Fact]
    public void A_publish_is_copied_with_rabbitmqs_routing_key_headers_and_body()
    {
        _host.Exchange("orders", ExchangeTypes.Direct);
        _host.Queue("work");
        _host.Bind("work", "orders", "new");
        _host.VHost.Tracing = true;
        var properties = new BasicProperties
        {
            ContentType = "text/plain",
            Headers = new FieldTable { ["h1"] = Host.Str("v1") },
            DeliveryMode = 2,
            Priority = 3,
            MessageId = "m1",
            Timestamp = new AmqpTimestamp(1_700_000_000),
        };

        Publish("orders", "new", properties, body: "hello");

        var trace = Assert.Single(TakeTraces(1));
        Assert.Equal(TraceMessage.ExchangeName, TextEncoding.UTF8.GetString(trace.Exchange));
        Assert.Equal("publish.orders", Key(trace));
        Assert.Equal("hello", TextEncoding.UTF8.GetString(trace.Body));

        // The copy carries headers and nothing else; it is transient.
        var copied = BasicProperties.Read(trace.Properties);
        Assert.Equal(PropertyFlags.Headers, copied.Flags);
        var headers = copied.Headers!;
        Assert.Equal(
            ["exchange_name", "routing_keys", "properties", "node", "vhost", "connection", "channel", "user", "routed_queues"],
            headers.Select(h => h.Key));
        Assert.Equal("orders", Text(headers["exchange_name"]));
        Assert.Equal(["new"], Texts(headers["routing_keys"]));
        Assert.Equal("rabbit@tracing-test", Text(headers["node"]));
        Assert.Equal("/", Text(headers["vhost"]));
        Assert.Equal("127.0.0.1:50000 -> 127.0.0.1:5672", Text(headers["connection"]));
        Assert.Equal(7, headers["channel"]);
        Assert.Equal("guest", Text(headers["user"]));
        Assert.Equal(["work"], Texts(headers["routed_queues"]));

        // 3.10 lists the properties that are set, last property first, integers as signedint.
        var table = Assert.IsType<FieldTable>(headers["properties"]);
        Assert.Equal(["timestamp", "message_id", "priority", "delivery_mode", "headers", "content_type"], table.Select(p => p.Key));
        Assert.Equal(1_700_000_000, table["timestamp"]);
        Assert.Equal("m1", Text(table["message_id"]));
        Assert.Equal(3, table["priority"]);
        Assert.Equal(2, table["delivery_mode"]);
        Assert.Equal("text/plain", Text(table["content_type"]));
        Assert.Equal("v1", Text(Assert.IsType<FieldTable>(table["headers"])["h1"]));
        trace.Release();
    }

    [Fact]
    public void A_publish_to_the_default_exchange_is_publish_dot_and_names_its_keys_as_queues_reached()
    {
        _host.Queue("b");
        _host.VHost.Tracing = true;

        // 3.10's default exchange routes by name: its keys, sorted, whether such queues exist or not.
        Publish("", "c", new BasicProperties { Headers = new FieldTable { ["CC"] = new List<object?> { Host.Str("b"), Host.Str("a"), Host.Str("c") } } });

        var trace = Assert.Single(TakeTraces(1));
        Assert.Equal("publish.", Key(trace));
        var headers = Headers(trace);
        Assert.Equal("", Text(headers["exchange_name"]));
        Assert.Equal(["c", "b", "a", "c"], Texts(headers["routing_keys"]));
        Assert.Equal(["a", "b", "c"], Texts(headers["routed_queues"]));
        trace.Release();
    }

    [Fact]
    public void An_unroutable_publish_reached_no_queue_and_a_message_without_properties_has_an_empty_table()
    {
        _host.VHost.Tracing = true;

        Publish("amq.direct", "nowhere");

        var trace = Assert.Single(TakeTraces(1));
        Assert.Equal("publish.amq.direct", Key(trace));
        var headers = Headers(trace);
        Assert.Empty(Assert.IsType<List<object?>>(headers["routed_queues"]));
        Assert.Empty(Assert.IsType<FieldTable>(headers["properties"]));
        trace.Release();
    }

    [Fact]
    public void Routing_keys_hold_cc_and_bcc_keys_and_the_copied_headers_lose_bcc_as_the_queues_do()
    {
        _host.Queue("a");
        _host.Queue("b");
        _host.Queue("c");
        _host.VHost.Tracing = true;
        var headers = new FieldTable { ["CC"] = new List<object?> { Host.Str("b") }, ["BCC"] = new List<object?> { Host.Str("c") } };

        Publish("", "a", new BasicProperties { Headers = headers });

        var traced = Headers(Assert.Single(TakeTraces(1)));
        Assert.Equal(["a", "b", "c"], Texts(traced["routing_keys"]));
        Assert.Equal(["a", "b", "c"], Texts(traced["routed_queues"]));
        var copied = Assert.IsType<FieldTable>(Assert.IsType<FieldTable>(traced["properties"])["headers"]);
        Assert.Equal(["CC"], copied.Select(h => h.Key));
    }

    [Fact]
    public void Consumer_deliveries_and_gets_are_copied_with_redelivered_after_their_publish()
    {
        var queue = _host.Queue("work");
        _host.VHost.Tracing = true;
        Publish("", "work", body: "first");
        Publish("", "work", body: "second");

        // A get, returned and got again (redelivered), then a consumer takes the second message.
        Assert.True(_session.Get(queue, noAck: false, new FlushBatch()).Value);
        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(1, multiple: false, taken).IsError);
        _session.Settle(taken, SettleAction.Requeue, new FlushBatch());
        Assert.True(_session.Get(queue, noAck: true, new FlushBatch()).Value);
        Assert.False(_session.Consume(queue, "ctag", noAck: true, exclusive: false, new FieldTable()).IsError);
        queue.Pump(new FlushBatch());

        var traces = TakeTraces(5);
        Assert.Equal(
            [("publish.", "first"), ("publish.", "second"), ("deliver.work", "first"), ("deliver.work", "first"), ("deliver.work", "second")],
            traces.Select(t => (Key(t), TextEncoding.UTF8.GetString(t.Body))));
        Assert.Equal([0, 1, 0], traces.Skip(2).Select(t => (int)Headers(t)["redelivered"]!));
        var delivered = Headers(traces[2]);
        Assert.Equal(
            ["exchange_name", "routing_keys", "properties", "node", "redelivered", "vhost", "connection", "channel", "user"],
            delivered.Select(h => h.Key));
        Assert.Equal(["work"], Texts(delivered["routing_keys"]));
        Assert.Equal(7, delivered["channel"]);
        traces.ForEach(t => t.Release());
    }

    [Fact]
    public void A_quorum_redelivery_copy_carries_the_delivery_count_the_consumer_got()
    {
        var queue = _host.Queue("qq", durable: true, arguments: Host.Args(("x-queue-type", Host.Str("quorum"))));
        _host.VHost.Tracing = true;
        Publish("", "qq");
        Assert.True(_session.Get(queue, noAck: false, new FlushBatch()).Value);
        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(1, multiple: false, taken).IsError);
        _session.Settle(taken, SettleAction.Requeue, new FlushBatch());
        Assert.True(_session.Get(queue, noAck: true, new FlushBatch()).Value);

        var traces = TakeTraces(3);
        var redelivery = Assert.IsType<FieldTable>(Headers(traces[2])["properties"]);
        Assert.Equal(1L, Assert.IsType<FieldTable>(redelivery["headers"])["x-delivery-count"]);
        traces.ForEach(t => t.Release());
    }

    [Fact]
    public void Deliveries_of_trace_copies_are_not_traced_again()
    {
        _host.VHost.Tracing = true;
        Publish("", "nowhere");
        var deadline = DateTime.UtcNow + Patience;
        while (_traces.MessageCount < 1 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        // Taking the copy from the trace queue is a delivery of a message of amq.rabbitmq.trace.
        Assert.True(_session.Get(_traces, noAck: true, new FlushBatch()).Value);

        AssertNoMoreTraces();
    }

    [Fact]
    public void Turning_tracing_off_stops_the_copies()
    {
        _host.VHost.Tracing = true;
        Publish("", "one");
        TakeTraces(1).ForEach(t => t.Release());

        _host.VHost.Tracing = false;
        Publish("", "two");

        AssertNoMoreTraces();
    }

    [Fact]
    public void The_brokers_own_publishes_are_not_traced()
    {
        var queue = _host.Queue("dlq");
        _host.Queue("expiring", arguments: Host.Args(("x-message-ttl", 0), ("x-dead-letter-exchange", Host.Str("")), ("x-dead-letter-routing-key", Host.Str("dlq"))));
        _host.VHost.Tracing = true;

        // The publish is traced; its dead-lettering (a publish by the queue) is not.
        Publish("", "expiring");
        var deadline = DateTime.UtcNow + Patience;
        while (queue.MessageCount < 1 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        var trace = Assert.Single(TakeTraces(1));
        Assert.Equal("publish.", Key(trace));
        trace.Release();
        AssertNoMoreTraces();
    }

    [Fact]
    public void A_timestamp_past_2038_is_copied_as_a_long()
    {
        _host.VHost.Tracing = true;

        Publish("", "nowhere", new BasicProperties { Timestamp = new AmqpTimestamp(3_000_000_000) });

        var trace = Assert.Single(TakeTraces(1));
        Assert.Equal(3_000_000_000L, Assert.IsType<FieldTable>(Headers(trace)["properties"])["timestamp"]);
        trace.Release();
    }
}

/// <summary>
/// Off, tracing costs the hot path nothing: a publish with its publisher's origin, its delivery to a
/// consumer and a basic.get allocate nothing in the steady state (as without tracing at all).
/// </summary>
public class FirehoseOffCostTests
{
    private readonly Host _host = new();
    private readonly RouteTargets _targets = new();
    private readonly FlushBatch _batch = new();
    private readonly byte[] _properties = new BasicProperties().Encode();
    private readonly Session _session;

    public FirehoseOffCostTests()
    {
        _session = new Session(_host.VHost, _host.Connection, new DiscardingTarget(), number: 1);
    }

    private void Publish(byte[] queue)
    {
        var message = _host.Engine.Messages.Rent(""u8, queue, _properties, 4, persistent: false, priority: 0);
        message.AppendBody("body"u8);
        _host.VHost.Publish(_host.VHost.DefaultExchange, ref message, default, _targets, _batch, origin: _session.TraceOrigin);
        message.Release();
        _batch.FlushAll();
    }

    private static long AllocatedBy(Action action, int times = 1000)
    {
        // The first rounds fill pools and caches; the next ones are the steady state.
        for (var i = 0; i < times; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < times; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void A_publish_and_its_delivery_to_a_consumer_allocate_nothing_while_tracing_is_off()
    {
        var queue = _host.Queue("consumed");
        var key = Host.Str("consumed");
        Assert.False(_session.Consume(queue, "c", noAck: true, exclusive: false, new FieldTable()).IsError);

        Assert.Equal(0, AllocatedBy(() => Publish(key)));
    }

    [Fact]
    public void A_publish_and_a_get_allocate_nothing_while_tracing_is_off()
    {
        var queue = _host.Queue("got");
        var key = Host.Str("got");

        Assert.Equal(0, AllocatedBy(() =>
        {
            Publish(key);
            Assert.True(_session.Get(queue, noAck: true, _batch).Value);
        }));
    }

    [Fact]
    public void Switched_off_again_it_allocates_nothing_either()
    {
        var queue = _host.Queue("consumed");
        var key = Host.Str("consumed");
        Assert.False(_session.Consume(queue, "c", noAck: true, exclusive: false, new FieldTable()).IsError);
        _host.VHost.Tracing = true;
        _host.VHost.Tracing = false;

        Assert.Equal(0, AllocatedBy(() => Publish(key)));
    }

    /// <summary>An output that takes every delivery and keeps nothing.</summary>
    private sealed class DiscardingTarget : IDeliveryTarget
    {
        public bool TryWriteDelivery(ReadOnlySpan<byte> consumerTag, ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, bool yieldIfSaturated, FlushBatch batch) => true;

        public void WriteGetOk(ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, long remaining)
        {
        }

        public void WriteConsumerCancelled(Consumer consumer)
        {
        }

        public void Flush()
        {
        }
    }
}
