using System.Text;
using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// The firehose (rabbitmqctl trace_on): while a vhost traces, every publish and delivery in it is
/// copied to amq.rabbitmq.trace as "publish.EXCHANGE" and "deliver.QUEUE" with RabbitMQ's headers.
/// Each test has a vhost of its own; against an external broker they need BROKER_TEST_MANAGEMENT_URI
/// to switch tracing, and pass without checking anything when it is not set.
/// </summary>
public sealed class TracingTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private const string TraceExchange = "amq.rabbitmq.trace";

    private static string Text(object? value) => Assert.IsType<byte[]>(value) is var bytes ? Encoding.UTF8.GetString(bytes) : "";

    private static List<string> Texts(object? array) => [.. Assert.IsType<List<object>>(array).Select(Text)];

    /// <summary>An empty array or table: RabbitMQ.Client reads a zero-length one as null.</summary>
    private static void AssertEmpty(IDictionary<string, object?> headers, string key)
    {
        Assert.True(headers.ContainsKey(key), $"no '{key}' header");
        Assert.True(headers[key] is null or List<object> { Count: 0 } or IDictionary<string, object?> { Count: 0 }, $"'{key}' is not empty");
    }

    /// <summary>basic.get that waits for the message (a publish on another channel reaches the queue in its own time).</summary>
    private static async Task<BasicGetResult> GetEventuallyAsync(IChannel channel, string queue, bool autoAck = false)
    {
        var deadline = DateTime.UtcNow + Wait.Delivery;
        while (true)
        {
            if (await channel.BasicGetAsync(queue, autoAck) is { } result)
            {
                return result;
            }

            Assert.True(DateTime.UtcNow < deadline, $"nothing reached '{queue}'");
            await Task.Delay(10);
        }
    }

    /// <summary>A connection to the vhost and a consumer on a queue bound to amq.rabbitmq.trace with '#'.</summary>
    private async Task<(IConnection Connection, CollectingConsumer Traces)> WatchAsync(TracedVirtualHost vhost)
    {
        var connection = await ConnectAsync(vhost.Configure);
        var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, TraceExchange, "#");
        return (connection, await channel.ConsumeAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task A_publish_and_its_delivery_are_copied_with_rabbitmqs_routing_keys_and_headers()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var publisher = await connection.CreateChannelAsync();
        await publisher.ExchangeDeclareAsync("orders", ExchangeType.Direct);
        await publisher.QueueDeclareAsync("work", durable: false, exclusive: false, autoDelete: false);
        await publisher.QueueBindAsync("work", "orders", "new");
        var properties = new BasicProperties
        {
            ContentType = "text/plain",
            DeliveryMode = DeliveryModes.Persistent,
            Priority = 3,
            MessageId = "m1",
            Timestamp = new AmqpTimestamp(1_700_000_000),
            Headers = new Dictionary<string, object?> { ["h1"] = "v1" },
        };

        await publisher.PublishAsync("orders", "new", "hello", properties);
        var consumer = await connection.CreateChannelAsync();
        var delivery = await (await consumer.ConsumeAsync("work", autoAck: true)).NextAsync();

        var published = await traces.NextAsync();
        var delivered = await traces.NextAsync();
        Assert.Equal("hello", delivery.Text);
        Assert.Equal((TraceExchange, "publish.orders", "hello"), (published.Exchange, published.RoutingKey, published.Text));
        Assert.Equal((TraceExchange, "deliver.work", "hello"), (delivered.Exchange, delivered.RoutingKey, delivered.Text));

        // A copy has headers and no other property.
        Assert.Null(published.Properties.ContentType);
        Assert.False(published.Properties.IsDeliveryModePresent());
        Assert.False(published.Properties.IsPriorityPresent());

        var user = Fixture.Uri.UserInfo.Split(':')[0];
        var publish = published.Properties.Headers!;
        Assert.Equal(
            ["channel", "connection", "exchange_name", "node", "properties", "routed_queues", "routing_keys", "user", "vhost"],
            publish.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("orders", Text(publish["exchange_name"]));
        Assert.Equal(["new"], Texts(publish["routing_keys"]));
        Assert.Equal(["work"], Texts(publish["routed_queues"]));
        Assert.NotEmpty(Text(publish["node"]));
        Assert.Equal(vhost.Name, Text(publish["vhost"]));
        Assert.Equal($"127.0.0.1:{connection.LocalPort} -> 127.0.0.1:{Fixture.Uri.Port}", Text(publish["connection"]));
        Assert.Equal((int)publisher.ChannelNumber, publish["channel"]);
        Assert.Equal(user, Text(publish["user"]));

        // The message's properties: strings as longstr, integers as signedint, headers as a table.
        var copied = Assert.IsAssignableFrom<IDictionary<string, object?>>(publish["properties"]);
        Assert.Equal(["content_type", "delivery_mode", "headers", "message_id", "priority", "timestamp"], copied.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("text/plain", Text(copied["content_type"]));
        Assert.Equal(2, copied["delivery_mode"]);
        Assert.Equal(3, copied["priority"]);
        Assert.Equal("m1", Text(copied["message_id"]));
        Assert.Equal(1_700_000_000, copied["timestamp"]);
        Assert.Equal("v1", Text(Assert.IsAssignableFrom<IDictionary<string, object?>>(copied["headers"])["h1"]));

        var deliver = delivered.Properties.Headers!;
        Assert.Equal(
            ["channel", "connection", "exchange_name", "node", "properties", "redelivered", "routing_keys", "user", "vhost"],
            deliver.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("orders", Text(deliver["exchange_name"]));
        Assert.Equal(["new"], Texts(deliver["routing_keys"]));
        Assert.Equal(0, deliver["redelivered"]);
        Assert.Equal((int)consumer.ChannelNumber, deliver["channel"]);
        Assert.Equal(user, Text(deliver["user"]));
        await traces.AssertNoMoreAsync();
    }

    [Fact]
    public async Task A_publish_to_the_default_exchange_is_publish_dot_and_names_its_keys_as_the_queues_reached()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("b", durable: false, exclusive: false, autoDelete: false);

        // RabbitMQ 3.10's default exchange routes by name, and drops missing queues only later.
        await channel.PublishAsync("", "c", "m", new BasicProperties { Headers = new Dictionary<string, object?> { ["CC"] = new List<object?> { "b", "a" } } });

        var published = await traces.NextAsync();
        Assert.Equal("publish.", published.RoutingKey);
        var headers = published.Properties.Headers!;
        Assert.Equal("", Text(headers["exchange_name"]));
        Assert.Equal(["c", "b", "a"], Texts(headers["routing_keys"]));
        Assert.Equal(["a", "b", "c"], Texts(headers["routed_queues"]));
    }

    [Fact]
    public async Task An_unroutable_publish_reached_no_queue()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var channel = await connection.CreateChannelAsync();

        await channel.PublishAsync("amq.direct", "nowhere", "lost", mandatory: true);

        var published = await traces.NextAsync();
        Assert.Equal("publish.amq.direct", published.RoutingKey);
        var headers = published.Properties.Headers!;
        Assert.Equal(["nowhere"], Texts(headers["routing_keys"]));
        AssertEmpty(headers, "routed_queues");
        AssertEmpty(headers, "properties");
    }

    [Fact]
    public async Task Gets_and_redeliveries_are_copied_and_taking_the_copies_is_not()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("jobs", durable: false, exclusive: false, autoDelete: false);
        await channel.PublishAsync("", "jobs", "job");

        var first = await GetEventuallyAsync(channel, "jobs");
        await channel.BasicNackAsync(first.DeliveryTag, multiple: false, requeue: true);
        var again = await channel.GetRequiredAsync("jobs", autoAck: true);

        Assert.True(again.Redelivered);
        var copies = await traces.NextAsync(3);
        Assert.Equal(["publish.", "deliver.jobs", "deliver.jobs"], copies.Select(c => c.RoutingKey));
        Assert.Equal([0, 1], copies.Skip(1).Select(c => (int)c.Properties.Headers!["redelivered"]!));

        // The consumer of the trace queue got three deliveries: none of them was traced.
        await traces.AssertNoMoreAsync();
    }

    [Fact]
    public async Task Cc_and_bcc_keys_are_routing_keys_and_bcc_is_gone_from_the_copied_headers()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { "to", "cc", "bcc" })
        {
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        }

        var headers = new Dictionary<string, object?> { ["CC"] = new List<object?> { "cc" }, ["BCC"] = new List<object?> { "bcc" } };
        await channel.PublishAsync("", "to", "m", new BasicProperties { Headers = headers });

        var published = (await traces.NextAsync()).Properties.Headers!;
        Assert.Equal(["to", "cc", "bcc"], Texts(published["routing_keys"]));
        Assert.Equal(["bcc", "cc", "to"], Texts(published["routed_queues"]).Order(StringComparer.Ordinal));
        var copied = Assert.IsAssignableFrom<IDictionary<string, object?>>(Assert.IsAssignableFrom<IDictionary<string, object?>>(published["properties"])["headers"]);
        Assert.Equal(["CC"], copied.Keys);
    }

    [Fact]
    public async Task A_transactional_publish_is_copied_when_published_even_if_rolled_back()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("tx", durable: false, exclusive: false, autoDelete: false);
        await channel.TxSelectAsync();

        await channel.PublishAsync("", "tx", "never");
        await channel.TxRollbackAsync();

        var published = await traces.NextAsync();
        Assert.Equal("publish.", published.RoutingKey);
        Assert.Equal(["tx"], Texts(published.Properties.Headers!["routed_queues"]));
        Assert.Equal(0u, await channel.ReadyCountAsync("tx"));
    }

    [Fact]
    public async Task Nothing_is_copied_while_tracing_is_off_and_switching_applies_to_open_channels()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        var (connection, traces) = await WatchAsync(vhost);
        var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("q", durable: false, exclusive: false, autoDelete: false);
        await channel.PublishAsync("", "q", "before");
        await GetEventuallyAsync(channel, "q", autoAck: true);
        await traces.AssertNoMoreAsync();

        await vhost.SetTracingAsync(true);
        await channel.PublishAsync("", "q", "during");
        await GetEventuallyAsync(channel, "q", autoAck: true);
        var copies = await traces.NextAsync(2);
        Assert.Equal([("publish.", "during"), ("deliver.q", "during")], copies.Select(c => (c.RoutingKey, c.Text)));

        await vhost.SetTracingAsync(false);
        await channel.PublishAsync("", "q", "after");
        await GetEventuallyAsync(channel, "q", autoAck: true);
        await traces.AssertNoMoreAsync();
    }

    [Fact]
    public async Task A_direct_reply_is_copied_as_a_publish_to_no_queue_and_its_delivery_is_not()
    {
        await using var vhost = await TracedVirtualHost.CreateAsync(Fixture);
        if (vhost is null)
        {
            return;
        }

        await vhost.SetTracingAsync(true);
        var (connection, traces) = await WatchAsync(vhost);
        var client = await connection.CreateChannelAsync();
        await client.QueueDeclareAsync("rpc", durable: false, exclusive: false, autoDelete: false);
        var replies = await client.ConsumeAsync("amq.rabbitmq.reply-to", autoAck: true);
        await client.PublishAsync("", "rpc", "request", new BasicProperties { ReplyTo = "amq.rabbitmq.reply-to" });
        var server = await connection.CreateChannelAsync();
        var request = await GetEventuallyAsync(server, "rpc", autoAck: true);

        await server.PublishAsync("", request.BasicProperties.ReplyTo!, "response");

        Assert.Equal("response", (await replies.NextAsync()).Text);
        var copies = await traces.NextAsync(3);
        Assert.Equal(["publish.", "deliver.rpc", "publish."], copies.Select(c => c.RoutingKey));
        Assert.Equal(request.BasicProperties.ReplyTo, Text(Assert.IsAssignableFrom<IDictionary<string, object?>>(copies[0].Properties.Headers!["properties"])["reply_to"]));
        Assert.Equal("response", copies[2].Text);
        AssertEmpty(copies[2].Properties.Headers!, "routed_queues");
        await traces.AssertNoMoreAsync();
    }
}
