using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// Quorum queues on one node: returns counted in x-delivery-count, the delivery limit (drop or
/// dead-letter with reason delivery_limit), and what quorum queues refuse or ignore that classic queues
/// do not. Checked against RabbitMQ 3.10.8; where 3.13 differs (no x-delivery-count 0 on a first
/// basic.get), the test says so and accepts 3.10's answer from an external broker.
/// </summary>
public sealed class QuorumQueueTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static Dictionary<string, object?> Quorum(params (string Key, object? Value)[] more)
    {
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        foreach (var (key, value) in more)
        {
            arguments[key] = value;
        }

        return arguments;
    }

    private async Task<string> DeclareQuorumAsync(params (string Key, object? Value)[] arguments)
    {
        var name = QueueName("qq");
        await Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, Quorum(arguments));
        return name;
    }

    private static long? DeliveryCount(IReadOnlyBasicProperties properties) =>
        properties.Headers is { } headers && headers.TryGetValue("x-delivery-count", out var value) ? Convert.ToInt64(value) : null;

    [Fact]
    public async Task A_consumer_sees_x_delivery_count_from_the_first_return_on()
    {
        var queue = await DeclareQuorumAsync();
        await SendAsync("", queue, "m", new BasicProperties { Headers = new Dictionary<string, object?> { ["app"] = "kept" } });
        var consumer = await Channel.ConsumeAsync(queue);

        var first = await consumer.NextAsync();
        Assert.False(first.Redelivered);
        Assert.Null(DeliveryCount(first.Properties));
        await Channel.BasicNackAsync(first.DeliveryTag, multiple: false, requeue: true);

        var second = await consumer.NextAsync();
        Assert.True(second.Redelivered);
        Assert.Equal(1L, DeliveryCount(second.Properties));
        Assert.Equal("kept", Amqp.HeaderString(second.Properties.Headers!["app"]));
        await Channel.BasicRejectAsync(second.DeliveryTag, requeue: true);

        var third = await consumer.NextAsync();
        Assert.Equal((true, 2L, "m"), (third.Redelivered, DeliveryCount(third.Properties), third.Text));
        await Channel.BasicAckAsync(third.DeliveryTag, multiple: false);
    }

    [Fact]
    public async Task Basic_get_counts_returns_too()
    {
        var queue = await DeclareQuorumAsync();
        await SendAsync("", queue, "m");

        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        // RabbitMQ 3.10 adds x-delivery-count 0 to a first basic.get; 3.13 (what we follow) only once counted.
        var firstCount = DeliveryCount(first.BasicProperties);
        Assert.True(firstCount is null || (Fixture.IsExternal && firstCount == 0), $"x-delivery-count {firstCount} on a first delivery");
        Assert.False(first.Redelivered);
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: true);

        var second = await Channel.GetRequiredAsync(queue, autoAck: false);
        Assert.Equal((true, 1L), (second.Redelivered, DeliveryCount(second.BasicProperties)));
        await Channel.BasicAckAsync(second.DeliveryTag, multiple: false);
    }

    [Fact]
    public async Task Closing_a_channel_with_the_message_unacknowledged_counts_as_a_return()
    {
        var queue = await DeclareQuorumAsync();
        await SendAsync("", queue, "m");
        var other = await NewChannelAsync();
        var consumer = await other.ConsumeAsync(queue);
        await consumer.NextAsync();

        await other.CloseAsync();

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 1, "the message is back in the queue");
        var again = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal((true, 1L), (again.Redelivered, DeliveryCount(again.BasicProperties)));
    }

    [Fact]
    public async Task Past_the_delivery_limit_a_message_is_dead_lettered_with_reason_delivery_limit()
    {
        var deadLetters = await DeclareQueueAsync(prefix: "dlq");
        var queue = await DeclareQuorumAsync(("x-delivery-limit", 1), ("x-dead-letter-exchange", ""), ("x-dead-letter-routing-key", deadLetters));
        await SendAsync("", queue, "poison", new BasicProperties { Headers = new Dictionary<string, object?> { ["app"] = "kept" } });
        var consumer = await Channel.ConsumeAsync(queue);

        // Limit 1: delivered, returned once (count 1, within the limit), delivered again, returned again.
        var first = await consumer.NextAsync();
        await Channel.BasicNackAsync(first.DeliveryTag, multiple: false, requeue: true);
        var second = await consumer.NextAsync();
        Assert.Equal(1L, DeliveryCount(second.Properties));
        await Channel.BasicNackAsync(second.DeliveryTag, multiple: false, requeue: true);

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(deadLetters) == 1, "the message is dead-lettered");
        var dead = await Channel.GetRequiredAsync(deadLetters, autoAck: true);
        Assert.Equal("poison", Amqp.Text(dead.Body));
        var death = Assert.Single(dead.BasicProperties.XDeaths());
        Assert.Equal((1L, "delivery_limit", queue, ""), (death.Count, death.Reason, death.Queue, death.Exchange));
        Assert.Equal([queue], death.RoutingKeys);
        Assert.Equal("delivery_limit", Amqp.HeaderString(dead.BasicProperties.Headers!["x-first-death-reason"]));
        Assert.Null(DeliveryCount(dead.BasicProperties));
        Assert.Equal("kept", Amqp.HeaderString(dead.BasicProperties.Headers!["app"]));
        await consumer.AssertNoMoreAsync();
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Past_the_delivery_limit_without_a_dead_letter_exchange_a_message_is_dropped()
    {
        var queue = await DeclareQuorumAsync(("x-delivery-limit", 0));
        await SendManyAsync(queue, "poison", "next");

        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: true);

        var next = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal("next", Amqp.Text(next.Body));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task A_requeue_within_the_limit_keeps_the_message_in_its_place()
    {
        var queue = await DeclareQuorumAsync(("x-delivery-limit", 5));
        await SendManyAsync(queue, "a", "b");

        var a = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.BasicRejectAsync(a.DeliveryTag, requeue: true);

        Assert.Equal(["a", "b"], await DrainAsync(queue));
    }

    [Fact]
    public async Task A_consumer_on_a_channel_with_a_global_prefetch_closes_the_connection_with_540()
    {
        var queue = await DeclareQuorumAsync();
        await Channel.BasicQosAsync(0, 10, global: true);

        await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - queue '{queue}' in vhost '/' does not support global qos",
            () => Channel.ConsumeAsync(queue));
    }

    [Fact]
    public async Task A_global_prefetch_of_zero_is_no_limit_and_allowed()
    {
        var queue = await DeclareQuorumAsync();
        await Channel.BasicQosAsync(0, 0, global: true);
        await SendAsync("", queue, "m");

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        Assert.Equal("m", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task The_exclusive_flag_of_basic_consume_is_ignored()
    {
        var queue = await DeclareQuorumAsync();
        await Channel.ConsumeAsync(queue, exclusive: true);
        var other = await NewChannelAsync();

        var second = await other.ConsumeAsync(queue, exclusive: true);

        Assert.NotEmpty(await second.ConsumeOk);
        Assert.Equal(2u, (await Channel.QueueDeclarePassiveAsync(queue)).ConsumerCount);
    }

    [Theory]
    [InlineData(true, false, "if-unused")]
    [InlineData(false, true, "if-empty")]
    public async Task Conditional_delete_closes_the_connection_with_540(bool ifUnused, bool ifEmpty, string flag)
    {
        var queue = await DeclareQuorumAsync();

        await Connection.AssertConnectionErrorAsync(540,
            $"NOT_IMPLEMENTED - cannot delete queue '{queue}' in vhost '/'. queue.delete operations with {flag} flag set are not supported by quorum queues",
            () => Channel.QueueDeleteAsync(queue, ifUnused, ifEmpty));
    }

    [Fact]
    public async Task Basic_get_on_a_single_active_consumer_queue_is_refused_with_405()
    {
        var queue = await DeclareQuorumAsync(("x-single-active-consumer", true));

        await Channel.AssertChannelErrorAsync(405,
            $"RESOURCE_LOCKED - cannot obtain access to locked queue '{queue}' in vhost '/'. basic.get operations are not supported by quorum queues with single active consumer",
            () => Channel.BasicGetAsync(queue, autoAck: false));
    }

    [Theory]
    [InlineData("at-most-once")]
    [InlineData("at-least-once")]
    public async Task Dead_letter_strategies_are_accepted(string strategy)
    {
        // at-least-once without x-overflow reject-publish is accepted too (RabbitMQ falls back to at-most-once).
        var queue = await DeclareQuorumAsync(("x-dead-letter-strategy", strategy), ("x-dead-letter-exchange", "dlx"));

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Theory]
    [InlineData("sometimes", "invalid_dlx_strategy")]
    [InlineData(1, "{unacceptable_type,signedint}")]
    public async Task A_bad_dead_letter_strategy_is_refused_with_406(object value, string problem)
    {
        var name = QueueName("qq");

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid arg 'x-dead-letter-strategy' for queue '{name}' in vhost '/': {problem}",
            () => Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, Quorum(("x-dead-letter-strategy", value))));
    }

    [Fact]
    public async Task Redeclaring_with_another_delivery_limit_is_refused_with_406()
    {
        var queue = await DeclareQuorumAsync(("x-delivery-limit", 3));

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue '{queue}' in vhost '/': received '4' but current is '3'",
            () => Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, Quorum(("x-delivery-limit", 4))));
    }

    [Fact]
    public async Task Classic_queues_refuse_quorum_arguments()
    {
        var name = QueueName();

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue '{name}' in vhost '/' of queue type rabbit_classic_queue",
            () => Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-delivery-limit"] = 3 }));
    }

    [Fact]
    public async Task Overflow_reject_publish_dlx_acts_as_drop_head()
    {
        var deadLetters = await DeclareQueueAsync(prefix: "dlq");
        var queue = await DeclareQuorumAsync(("x-max-length", 1), ("x-overflow", "reject-publish-dlx"), ("x-dead-letter-exchange", ""), ("x-dead-letter-routing-key", deadLetters));

        // Both publishes are confirmed (SendAsync fails on a nack): the older message is dropped instead.
        await SendManyAsync(queue, "m1", "m2");

        Assert.Equal("m2", Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(deadLetters) == 1, "the message is dead-lettered");
        var dead = await Channel.GetRequiredAsync(deadLetters, autoAck: true);
        Assert.Equal(("m1", "maxlen"), (Amqp.Text(dead.Body), Assert.Single(dead.BasicProperties.XDeaths()).Reason));
    }

    [Theory]
    [InlineData(false, false, false, "non-durable")]
    [InlineData(true, true, false, "exclusive-owner")]
    [InlineData(true, false, true, "auto-delete")]
    public async Task Quorum_queues_are_durable_shared_and_kept(bool durable, bool exclusive, bool autoDelete, string property)
    {
        var name = QueueName("qq");

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid property '{property}' for queue '{name}' in vhost '/'",
            () => Channel.QueueDeclareAsync(name, durable, exclusive, autoDelete, Quorum()));
    }
}
