using System.Text.RegularExpressions;
using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

public sealed partial class PublishConsumeTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    [GeneratedRegex("^amq\\.ctag-[A-Za-z0-9_-]{22}$")]
    private static partial Regex ServerConsumerTag();

    [Fact]
    public async Task All_fourteen_basic_properties_round_trip()
    {
        var queue = await DeclareQueueAsync();
        var sent = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "gzip",
            Headers = new Dictionary<string, object?> { ["h"] = "v" },
            DeliveryMode = DeliveryModes.Persistent,
            Priority = 7,
            CorrelationId = "corr-1",
            ReplyTo = "reply-queue",
            Expiration = "600000",
            MessageId = "msg-1",
            Timestamp = new AmqpTimestamp(1_700_000_000),
            Type = "order.created",
            UserId = "guest",
            AppId = "tests",
            ClusterId = "cluster-a",
        };

        await Channel.PublishAsync("", queue, "{}", sent);
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var p = (await consumer.NextAsync()).Properties;

        Assert.Equal("application/json", p.ContentType);
        Assert.Equal("gzip", p.ContentEncoding);
        Assert.Equal("v", Amqp.HeaderString(p.Headers!["h"]));
        Assert.Equal(DeliveryModes.Persistent, p.DeliveryMode);
        Assert.Equal(7, p.Priority);
        Assert.Equal("corr-1", p.CorrelationId);
        Assert.Equal("reply-queue", p.ReplyTo);
        Assert.Equal("600000", p.Expiration);
        Assert.Equal("msg-1", p.MessageId);
        Assert.Equal(1_700_000_000, p.Timestamp.UnixTime);
        Assert.Equal("order.created", p.Type);
        Assert.Equal("guest", p.UserId);
        Assert.Equal("tests", p.AppId);
        Assert.Equal("cluster-a", p.ClusterId);
    }

    [Fact]
    public async Task Message_without_properties_arrives_without_properties()
    {
        var queue = await DeclareQueueAsync();

        await Channel.PublishAsync("", queue, "bare");
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var p = (await consumer.NextAsync()).Properties;

        Assert.False(p.IsContentTypePresent() || p.IsContentEncodingPresent() || p.IsHeadersPresent() || p.IsDeliveryModePresent()
            || p.IsPriorityPresent() || p.IsCorrelationIdPresent() || p.IsReplyToPresent() || p.IsExpirationPresent()
            || p.IsMessageIdPresent() || p.IsTimestampPresent() || p.IsTypePresent() || p.IsUserIdPresent()
            || p.IsAppIdPresent() || p.IsClusterIdPresent());
    }

    [Fact]
    public async Task Header_values_of_every_field_type_round_trip_with_their_types()
    {
        var queue = await DeclareQueueAsync();
        var headers = new Dictionary<string, object?>
        {
            ["longstr"] = "text",
            ["bytes"] = new byte[] { 0, 1, 255 },
            ["int"] = -42,
            ["uint"] = 4_000_000_000u,
            ["long"] = long.MinValue,
            ["short"] = (short)-12,
            ["ushort"] = (ushort)65000,
            ["byte"] = (byte)200,
            ["sbyte"] = (sbyte)-5,
            ["bool"] = true,
            ["float"] = 1.5f,
            ["double"] = -2.25,
            ["decimal"] = 12.345m,
            ["timestamp"] = new AmqpTimestamp(1_600_000_000),
            ["binary"] = new BinaryTableValue([9, 8, 7]),
            ["void"] = null,
            ["table"] = new Dictionary<string, object?>
            {
                ["inner"] = 1,
                ["deeper"] = new Dictionary<string, object?> { ["leaf"] = "x" },
            },
            ["array"] = new List<object?> { 1, "two", null, true, new List<object?> { 3L }, new Dictionary<string, object?> { ["k"] = 2.5 } },
            ["empty-array"] = new List<object?>(),
            ["empty-table"] = new Dictionary<string, object?>(),
        };

        await Channel.PublishAsync("", queue, "typed", new BasicProperties { Headers = headers });
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var h = (await consumer.NextAsync()).Properties.Headers!;

        Assert.Equal(headers.Keys.Order(), h.Keys.Order());
        Assert.Equal("text", Amqp.HeaderString(h["longstr"]));
        Assert.Equal(new byte[] { 0, 1, 255 }, h["bytes"]);
        Assert.Equal(-42, h["int"]);
        Assert.Equal(4_000_000_000u, h["uint"]);
        Assert.Equal(long.MinValue, h["long"]);
        Assert.Equal((short)-12, h["short"]);
        Assert.Equal((ushort)65000, h["ushort"]);
        Assert.Equal((byte)200, h["byte"]);
        Assert.Equal((sbyte)-5, h["sbyte"]);
        Assert.Equal(true, h["bool"]);
        Assert.Equal(1.5f, h["float"]);
        Assert.Equal(-2.25, h["double"]);
        Assert.Equal(12.345m, h["decimal"]);
        Assert.Equal(new AmqpTimestamp(1_600_000_000), h["timestamp"]);
        Assert.Equal(new byte[] { 9, 8, 7 }, Assert.IsType<BinaryTableValue>(h["binary"]).Bytes);
        Assert.Null(h["void"]);
        var table = Assert.IsAssignableFrom<IDictionary<string, object?>>(h["table"]);
        Assert.Equal(1, table["inner"]);
        Assert.Equal("x", Amqp.HeaderString(Assert.IsAssignableFrom<IDictionary<string, object?>>(table["deeper"])["leaf"]));
        var array = Assert.IsAssignableFrom<IList<object?>>(h["array"]);
        Assert.Equal(6, array.Count);
        Assert.Equal(1, array[0]);
        Assert.Equal("two", Amqp.HeaderString(array[1]));
        Assert.Null(array[2]);
        Assert.Equal(true, array[3]);
        Assert.Equal(3L, Assert.IsAssignableFrom<IList<object?>>(array[4])[0]);
        Assert.Equal(2.5, Assert.IsAssignableFrom<IDictionary<string, object?>>(array[5])["k"]);
        // RabbitMQ sends empty 'A'/'F' values intact; RabbitMQ.Client reads zero-length ones as null. The keys
        // being present (checked above) is what the broker controls.
        Assert.True(h["empty-array"] is null or IList<object?> { Count: 0 });
        Assert.True(h["empty-table"] is null or IDictionary<string, object?> { Count: 0 });
    }

    [Fact]
    public async Task Empty_body_is_delivered_as_empty()
    {
        var queue = await DeclareQueueAsync();

        await Channel.BasicPublishAsync("", queue, ReadOnlyMemory<byte>.Empty);
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        Assert.Empty((await consumer.NextAsync()).Body);
    }

    [Theory]
    [InlineData(1024 * 1024)]
    [InlineData(10 * 1024 * 1024)]
    [InlineData(131072 - 8)]
    [InlineData(131072 - 7)]
    public async Task Large_body_spanning_many_frames_arrives_intact(int size)
    {
        var queue = await DeclareQueueAsync();
        var body = new byte[size];
        new Random(size).NextBytes(body);

        await Channel.BasicPublishAsync("", queue, body);
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var delivery = await consumer.NextAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(size, delivery.Body.Length);
        Assert.True(body.AsSpan().SequenceEqual(delivery.Body), "body differs");
    }

    [Fact]
    public async Task Publish_to_missing_exchange_closes_the_channel_with_not_found()
    {
        var exchange = ExchangeName();

        var reason = await Channel.AssertAsyncChannelErrorAsync(
            404,
            $"NOT_FOUND - no exchange '{exchange}' in vhost '/'",
            () => Channel.PublishAsync(exchange, "k", "lost").AsTask());

        Assert.Equal((60, 40), (reason.ClassId, reason.MethodId));
        Assert.True(Connection.IsOpen);
    }

    [Fact]
    public async Task Publish_with_user_id_other_than_the_login_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - user_id property set to 'someone-else' but authenticated user was 'guest'",
            () => Channel.PublishAsync("", queue, "m", new BasicProperties { UserId = "someone-else" }).AsTask());
    }

    [Fact]
    public async Task Publish_with_invalid_expiration_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - invalid expiration 'soon': no_integer",
            () => Channel.PublishAsync("", queue, "m", new BasicProperties { Expiration = "soon" }).AsTask());
    }

    [Fact]
    public async Task Consume_on_missing_queue_is_not_found()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{queue}' in vhost '/'", () => Channel.ConsumeAsync(queue));
    }

    [Fact]
    public async Task Server_generates_amq_ctag_consumer_tags()
    {
        var queue = await DeclareQueueAsync();

        var first = await Channel.BasicConsumeAsync(queue, false, new CollectingConsumer(Channel));
        var second = await Channel.BasicConsumeAsync(queue, false, new CollectingConsumer(Channel));

        Assert.Matches(ServerConsumerTag(), first);
        Assert.Matches(ServerConsumerTag(), second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Explicit_consumer_tag_is_used_in_deliveries()
    {
        var queue = await DeclareQueueAsync();
        var consumer = new CollectingConsumer(Channel);

        var tag = await Channel.BasicConsumeAsync(queue, true, "my-tag", consumer);
        await Channel.PublishAsync("", queue, "m");

        Assert.Equal("my-tag", tag);
        Assert.Equal("my-tag", await consumer.ConsumeOk);
        Assert.Equal("my-tag", (await consumer.NextAsync()).ConsumerTag);
    }

    [Fact]
    public async Task Reusing_a_consumer_tag_on_the_same_channel_is_a_connection_error()
    {
        var queue = await DeclareQueueAsync();
        var other = await DeclareQueueAsync();
        await Channel.ConsumeAsync(queue, consumerTag: "dup");

        var reason = await Connection.AssertConnectionErrorAsync(
            530,
            "NOT_ALLOWED - attempt to reuse consumer tag 'dup'",
            () => Channel.ConsumeAsync(other, consumerTag: "dup"));

        Assert.Equal((60, 20), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Same_consumer_tag_on_different_channels_is_allowed()
    {
        var queue = await DeclareQueueAsync();
        var other = await Connection.CreateChannelAsync();

        await Channel.ConsumeAsync(queue, consumerTag: "shared");
        await other.ConsumeAsync(queue, consumerTag: "shared");

        Assert.True(Channel.IsOpen && other.IsOpen);
        Assert.Equal(2u, (await Channel.QueueDeclarePassiveAsync(queue)).ConsumerCount);
    }

    [Fact]
    public async Task Exclusive_consume_when_other_consumers_exist_is_access_refused()
    {
        var queue = await DeclareQueueAsync();
        await Channel.ConsumeAsync(queue);
        var second = await Connection.CreateChannelAsync();

        await second.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - queue '{queue}' in vhost '/' in exclusive use",
            () => second.ConsumeAsync(queue, exclusive: true));
    }

    [Fact]
    public async Task Consume_when_an_exclusive_consumer_exists_is_access_refused()
    {
        var queue = await DeclareQueueAsync();
        await Channel.ConsumeAsync(queue, exclusive: true);
        var second = await Connection.CreateChannelAsync();

        await second.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - queue '{queue}' in vhost '/' in exclusive use",
            () => second.ConsumeAsync(queue));
    }

    [Fact]
    public async Task Queue_accepts_consumers_again_after_the_exclusive_consumer_cancels()
    {
        var queue = await DeclareQueueAsync();
        await Channel.ConsumeAsync(queue, exclusive: true, consumerTag: "exclusive");
        await Channel.BasicCancelAsync("exclusive");

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        await Channel.PublishAsync("", queue, "m");

        Assert.Equal("m", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Cancel_gets_cancel_ok_and_stops_deliveries()
    {
        var queue = await DeclareQueueAsync();
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true, consumerTag: "to-cancel");
        await Channel.PublishAsync("", queue, "before");
        Assert.Equal("before", (await consumer.NextAsync()).Text);

        await Channel.BasicCancelAsync("to-cancel");
        Assert.Equal("to-cancel", await consumer.CancelOk.WaitAsync(Wait.Delivery));
        await SendAsync("", queue, "after");

        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
        Assert.Equal(0, consumer.Pending);
        Assert.Equal(0u, (await Channel.QueueDeclarePassiveAsync(queue)).ConsumerCount);
    }

    [Fact]
    public async Task Raw_cancel_of_unknown_consumer_tag_is_answered_with_cancel_ok()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendMethodAsync(1, 60, 30, w => w.ShortString("no-such-consumer").Bits(false));
        var ok = await raw.ExpectMethodAsync(1, 60, 31);

        Assert.Equal("no-such-consumer", ok.Arguments().ReadShortString());
    }

    [Fact]
    public async Task Deleting_the_queue_cancels_its_consumers_from_the_server()
    {
        var queue = await DeclareQueueAsync();
        var consumerChannel = await Connection.CreateChannelAsync();
        var consumer = await consumerChannel.ConsumeAsync(queue, consumerTag: "watching");

        await Channel.QueueDeleteAsync(queue);

        Assert.Equal("watching", await consumer.ServerCancelled.WaitAsync(Wait.Delivery));
        Assert.True(consumerChannel.IsOpen);
    }

    [Fact]
    public async Task Deleting_the_queue_from_another_connection_cancels_consumers()
    {
        var queue = await DeclareQueueAsync();
        var consumer = await Channel.ConsumeAsync(queue, consumerTag: "watching");
        var admin = await (await ConnectAsync()).CreateChannelAsync();

        await admin.QueueDeleteAsync(queue);

        Assert.Equal("watching", await consumer.ServerCancelled.WaitAsync(Wait.Delivery));
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Two_consumers_on_one_queue_receive_round_robin()
    {
        var queue = await DeclareQueueAsync();
        var first = await Channel.ConsumeAsync(queue, autoAck: true, consumerTag: "first");
        var second = await Channel.ConsumeAsync(queue, autoAck: true, consumerTag: "second");

        for (var i = 0; i < 10; i++)
        {
            await Channel.PublishAsync("", queue, i.ToString());
        }

        var firstGot = (await first.NextAsync(5)).Select(d => d.Text);
        var secondGot = (await second.NextAsync(5)).Select(d => d.Text);
        Assert.Equal(["0", "2", "4", "6", "8"], firstGot);
        Assert.Equal(["1", "3", "5", "7", "9"], secondGot);
    }

    [Fact]
    public async Task Thousand_messages_are_delivered_in_publish_order()
    {
        var queue = await DeclareQueueAsync();
        for (var i = 0; i < 1000; i++)
        {
            await Channel.PublishAsync("", queue, i.ToString());
        }

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var bodies = (await consumer.NextAsync(1000)).Select(d => int.Parse(d.Text));

        Assert.Equal(Enumerable.Range(0, 1000), bodies);
    }

    [Fact]
    public async Task Delivery_tags_are_consecutive_and_redelivered_is_false_on_first_delivery()
    {
        var queue = await DeclareQueueAsync();
        var consumer = await Channel.ConsumeAsync(queue);
        for (var i = 0; i < 5; i++)
        {
            await Channel.PublishAsync("", queue, i.ToString());
        }

        var deliveries = await consumer.NextAsync(5);

        Assert.Equal([1ul, 2, 3, 4, 5], deliveries.Select(d => d.DeliveryTag));
        Assert.All(deliveries, d => Assert.False(d.Redelivered));
    }

    [Fact]
    public async Task Delivery_carries_the_exchange_and_routing_key_used_to_publish()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Topic);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, "a.#");

        await Channel.PublishAsync(exchange, "a.b.c", "m");
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var delivery = await consumer.NextAsync();

        Assert.Equal((exchange, "a.b.c"), (delivery.Exchange, delivery.RoutingKey));
    }

    [Fact]
    public async Task No_ack_consumer_removes_messages_as_they_are_delivered()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        var consumerChannel = await Connection.CreateChannelAsync();
        var consumer = await consumerChannel.ConsumeAsync(queue, autoAck: true);

        Assert.Equal(["1", "2", "3"], (await consumer.NextAsync(3)).Select(d => d.Text));
        await consumerChannel.CloseAsync();

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Requeued_messages_keep_their_order_for_the_consumer()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3", "4", "5");
        var consumer = await Channel.ConsumeAsync(queue);
        var first = await consumer.NextAsync(5);

        await Channel.BasicNackAsync(first[^1].DeliveryTag, multiple: true, requeue: true);
        var again = await consumer.NextAsync(5);

        Assert.Equal(["1", "2", "3", "4", "5"], again.Select(d => d.Text));
        Assert.All(again, d => Assert.True(d.Redelivered));
        Assert.Equal([6ul, 7, 8, 9, 10], again.Select(d => d.DeliveryTag));
    }

    [Fact]
    public async Task Consumer_receives_backlog_then_new_messages()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "old-1", "old-2");
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        await Channel.PublishAsync("", queue, "new");

        Assert.Equal(["old-1", "old-2", "new"], (await consumer.NextAsync(3)).Select(d => d.Text));
    }

    [Fact]
    public async Task Message_is_delivered_to_only_one_of_several_consumers()
    {
        var queue = await DeclareQueueAsync();
        var consumers = new List<CollectingConsumer>();
        for (var i = 0; i < 3; i++)
        {
            var channel = await Connection.CreateChannelAsync();
            consumers.Add(await channel.ConsumeAsync(queue, autoAck: true));
        }

        await SendAsync("", queue, "single");
        await Amqp.EventuallyAsync(() => Task.FromResult(consumers.Sum(c => c.Pending) >= 1), "one delivery");
        await Task.Delay(Wait.Quiet);

        Assert.Equal(1, consumers.Sum(c => c.Pending));
    }
}
