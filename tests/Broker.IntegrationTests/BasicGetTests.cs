using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

public sealed class BasicGetTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Get_ok_reports_the_remaining_ready_count()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");

        var first = await Channel.GetRequiredAsync(queue, autoAck: true);
        var second = await Channel.GetRequiredAsync(queue, autoAck: true);
        var third = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal(("1", 2u), (Amqp.Text(first.Body), first.MessageCount));
        Assert.Equal(("2", 1u), (Amqp.Text(second.Body), second.MessageCount));
        Assert.Equal(("3", 0u), (Amqp.Text(third.Body), third.MessageCount));
    }

    [Fact]
    public async Task Get_ok_message_count_excludes_unacked_messages()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        await Channel.GetRequiredAsync(queue, autoAck: false);

        var second = await Channel.GetRequiredAsync(queue, autoAck: false);

        Assert.Equal(1u, second.MessageCount);
    }

    [Fact]
    public async Task Get_on_empty_queue_returns_get_empty()
    {
        var queue = await DeclareQueueAsync();

        var result = await Channel.BasicGetAsync(queue, autoAck: false);

        Assert.Null(result);
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Get_from_missing_queue_is_not_found()
    {
        var queue = QueueName();

        var reason = await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{queue}' in vhost '/'", () => Channel.BasicGetAsync(queue, autoAck: false));

        Assert.Equal((60, 70), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Get_with_no_ack_removes_the_message_for_good()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var channel = await Connection.CreateChannelAsync();

        var got = await channel.GetRequiredAsync(queue, autoAck: true);
        await channel.CloseAsync();

        Assert.Equal("m", Amqp.Text(got.Body));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Get_then_ack_removes_the_message()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");
        var channel = await Connection.CreateChannelAsync();

        var got = await channel.GetRequiredAsync(queue, autoAck: false);
        await channel.BasicAckAsync(got.DeliveryTag, multiple: false);
        await channel.CloseAsync();

        var next = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal(("2", false), (Amqp.Text(next.Body), next.Redelivered));
    }

    [Fact]
    public async Task Get_then_reject_with_requeue_redelivers_with_the_flag_set()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");

        var got = await Channel.GetRequiredAsync(queue, autoAck: false);
        Assert.False(got.Redelivered);
        await Channel.BasicRejectAsync(got.DeliveryTag, requeue: true);
        var again = await Channel.GetRequiredAsync(queue, autoAck: false);

        Assert.Equal(("m", true, 2ul), (Amqp.Text(again.Body), again.Redelivered, again.DeliveryTag));
    }

    [Fact]
    public async Task Unacked_get_is_requeued_when_the_channel_closes()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var channel = await Connection.CreateChannelAsync();
        await channel.GetRequiredAsync(queue, autoAck: false);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));

        await channel.CloseAsync();

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 1, "message requeued");
        var again = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.True(again.Redelivered);
    }

    [Fact]
    public async Task Get_reports_exchange_routing_key_and_properties()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, "rk");
        await Channel.PublishAsync(exchange, "rk", "body", new BasicProperties { MessageId = "m-1", Headers = new Dictionary<string, object?> { ["n"] = 5 } });

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 1, "message enqueued");
        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal((exchange, "rk", "body", "m-1"), (got.Exchange, got.RoutingKey, Amqp.Text(got.Body), got.BasicProperties.MessageId));
        Assert.Equal(5, got.BasicProperties.Headers!["n"]);
    }

    [Fact]
    public async Task Get_does_not_take_messages_already_delivered_to_a_consumer()
    {
        var queue = await DeclareQueueAsync();
        var consumerChannel = await Connection.CreateChannelAsync();
        var consumer = await consumerChannel.ConsumeAsync(queue);
        await SendAsync("", queue, "m");
        await consumer.NextAsync();

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Get_on_queue_with_idle_consumer_can_still_take_messages()
    {
        var queue = await DeclareQueueAsync();
        var consumerChannel = await Connection.CreateChannelAsync();
        await consumerChannel.BasicQosAsync(0, 1, global: false);
        var consumer = await consumerChannel.ConsumeAsync(queue);
        await SendManyAsync(queue, "1", "2");
        await consumer.NextAsync();

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal(("2", 0u), (Amqp.Text(got.Body), got.MessageCount));
    }
}
