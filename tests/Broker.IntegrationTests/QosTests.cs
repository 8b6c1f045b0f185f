using Broker.IntegrationTests.Helpers;

namespace Broker.IntegrationTests;

public sealed class QosTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private async Task<string> QueueWithAsync(int messages)
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, [.. Enumerable.Range(1, messages).Select(i => i.ToString())]);
        return queue;
    }

    [Fact]
    public async Task Prefetch_count_limits_unacked_deliveries_to_a_consumer()
    {
        var queue = await QueueWithAsync(5);
        await Channel.BasicQosAsync(0, 2, global: false);
        var consumer = await Channel.ConsumeAsync(queue);

        var first = await consumer.NextAsync(2);
        await consumer.AssertNoMoreAsync();
        Assert.Equal(3u, await Channel.ReadyCountAsync(queue));

        await Channel.BasicAckAsync(first[0].DeliveryTag, multiple: false);
        Assert.Equal("3", (await consumer.NextAsync()).Text);
        await consumer.AssertNoMoreAsync();
    }

    [Fact]
    public async Task Per_consumer_prefetch_applies_to_each_consumer_separately()
    {
        var queueA = await QueueWithAsync(3);
        var queueB = await QueueWithAsync(3);
        await Channel.BasicQosAsync(0, 1, global: false);

        var a = await Channel.ConsumeAsync(queueA);
        var b = await Channel.ConsumeAsync(queueB);

        Assert.Equal("1", (await a.NextAsync()).Text);
        Assert.Equal("1", (await b.NextAsync()).Text);
        await a.AssertNoMoreAsync();
        await b.AssertNoMoreAsync();
        Assert.Equal((2u, 2u), (await Channel.ReadyCountAsync(queueA), await Channel.ReadyCountAsync(queueB)));
    }

    [Fact]
    public async Task Global_prefetch_is_shared_by_all_consumers_on_the_channel()
    {
        var queueA = await QueueWithAsync(3);
        var queueB = await QueueWithAsync(3);
        await Channel.BasicQosAsync(0, 2, global: true);

        var a = await Channel.ConsumeAsync(queueA);
        var b = await Channel.ConsumeAsync(queueB);

        await Amqp.EventuallyAsync(() => Task.FromResult(a.Pending + b.Pending >= 2), "two deliveries");
        await Task.Delay(Wait.Quiet);
        Assert.Equal(2, a.Pending + b.Pending);
        Assert.Equal(4u, await Channel.ReadyCountAsync(queueA) + await Channel.ReadyCountAsync(queueB));
    }

    [Fact]
    public async Task Global_and_per_consumer_limits_both_apply()
    {
        var queueA = await QueueWithAsync(3);
        var queueB = await QueueWithAsync(3);
        var queueC = await QueueWithAsync(3);
        await Channel.BasicQosAsync(0, 1, global: false);
        await Channel.BasicQosAsync(0, 2, global: true);

        var consumers = new[] { await Channel.ConsumeAsync(queueA), await Channel.ConsumeAsync(queueB), await Channel.ConsumeAsync(queueC) };

        await Amqp.EventuallyAsync(() => Task.FromResult(consumers.Sum(c => c.Pending) >= 2), "two deliveries");
        await Task.Delay(Wait.Quiet);
        Assert.Equal(2, consumers.Sum(c => c.Pending));
        Assert.All(consumers, c => Assert.True(c.Pending <= 1));
    }

    [Fact]
    public async Task Per_consumer_qos_after_global_qos_removes_the_global_limit()
    {
        var queueA = await QueueWithAsync(3);
        var queueB = await QueueWithAsync(3);
        var queueC = await QueueWithAsync(3);
        await Channel.BasicQosAsync(0, 2, global: true);

        // RabbitMQ 3.x: basic.qos(global=false) also unlimits the channel-wide limiter (rabbit_channel's
        // "ensures that if default was set, it's overridden"), so only the per-consumer limit of 1 remains.
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumers = new[] { await Channel.ConsumeAsync(queueA), await Channel.ConsumeAsync(queueB), await Channel.ConsumeAsync(queueC) };

        await Amqp.EventuallyAsync(() => Task.FromResult(consumers.Sum(c => c.Pending) >= 3), "one delivery per consumer");
        await Task.Delay(Wait.Quiet);
        Assert.All(consumers, c => Assert.Equal(1, c.Pending));
    }

    [Fact]
    public async Task Prefetch_size_other_than_zero_is_not_implemented()
    {
        var reason = await Connection.AssertConnectionErrorAsync(
            540,
            "NOT_IMPLEMENTED - prefetch_size!=0 (1000)",
            () => Channel.BasicQosAsync(1000, 10, global: false));

        Assert.Equal((60, 10), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Changing_per_consumer_prefetch_affects_only_new_consumers()
    {
        var queue = await QueueWithAsync(10);
        await Channel.BasicQosAsync(0, 1, global: false);
        var old = await Channel.ConsumeAsync(queue);
        var first = await old.NextAsync();

        // RabbitMQ applies basic.qos(global=false) to consumers created afterwards.
        await Channel.BasicQosAsync(0, 3, global: false);
        await Channel.BasicAckAsync(first.DeliveryTag, multiple: false);
        await old.NextAsync();
        await old.AssertNoMoreAsync();

        var fresh = await Channel.ConsumeAsync(queue);
        await fresh.NextAsync(3);
        await fresh.AssertNoMoreAsync();
        Assert.Equal(0, old.Pending);
    }

    [Fact]
    public async Task Raising_global_prefetch_releases_more_deliveries_at_once()
    {
        var queue = await QueueWithAsync(5);
        await Channel.BasicQosAsync(0, 1, global: true);
        var consumer = await Channel.ConsumeAsync(queue);
        await consumer.NextAsync();
        await consumer.AssertNoMoreAsync();

        await Channel.BasicQosAsync(0, 3, global: true);

        Assert.Equal(["2", "3"], (await consumer.NextAsync(2)).Select(d => d.Text));
        await consumer.AssertNoMoreAsync();
    }

    [Fact]
    public async Task Prefetch_zero_means_unlimited()
    {
        var queue = await QueueWithAsync(50);
        await Channel.BasicQosAsync(0, 0, global: false);

        var consumer = await Channel.ConsumeAsync(queue);

        Assert.Equal(50, (await consumer.NextAsync(50)).Count);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Basic_get_ignores_prefetch()
    {
        var queue = await QueueWithAsync(3);
        await Channel.BasicQosAsync(0, 1, global: false);
        await Channel.BasicQosAsync(0, 1, global: true);

        var one = await Channel.GetRequiredAsync(queue, autoAck: false);
        var two = await Channel.GetRequiredAsync(queue, autoAck: false);

        Assert.Equal(("1", "2"), (Amqp.Text(one.Body), Amqp.Text(two.Body)));
    }

    [Fact]
    public async Task No_ack_consumer_is_not_limited_by_prefetch()
    {
        var queue = await QueueWithAsync(5);
        await Channel.BasicQosAsync(0, 1, global: false);

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        Assert.Equal(5, (await consumer.NextAsync(5)).Count);
    }

    [Fact]
    public async Task Reject_and_nack_free_prefetch_credit()
    {
        var queue = await QueueWithAsync(3);
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumer = await Channel.ConsumeAsync(queue);

        var first = await consumer.NextAsync();
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: false);
        var second = await consumer.NextAsync();
        await Channel.BasicNackAsync(second.DeliveryTag, multiple: false, requeue: false);
        var third = await consumer.NextAsync();

        Assert.Equal(("1", "2", "3"), (first.Text, second.Text, third.Text));
    }

    [Fact]
    public async Task Prefetch_one_with_acks_delivers_everything_in_order()
    {
        var queue = await QueueWithAsync(20);
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumer = await Channel.ConsumeAsync(queue);

        // Ack each delivery as it arrives: with prefetch 1 the next one only comes after the ack.
        // (Setting OnDelivery after consuming would race with the first delivery.)
        var bodies = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var delivery = await consumer.NextAsync();
            bodies.Add(delivery.Text);
            await Channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString()), bodies);
    }
}
