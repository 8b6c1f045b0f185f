using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// Classic priority queues (x-max-priority): higher priorities first, priorities above the maximum count
/// as the maximum, no priority counts as 0, FIFO within a priority, requeued messages back in their place,
/// drop-head and expiry at the head as RabbitMQ's one backing queue per priority does them, also for a
/// backlog larger than what the broker keeps in memory.
/// </summary>
public sealed class PriorityQueueTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static Dictionary<string, object?> MaxPriority(int max) => new() { ["x-max-priority"] = max };

    private Task SendWithPriorityAsync(string queue, string body, byte? priority) =>
        SendAsync("", queue, body, priority is { } p ? new BasicProperties { Priority = p } : new BasicProperties());

    private async Task<List<string>> GetAllAsync(string queue)
    {
        var bodies = new List<string>();
        while (await Channel.BasicGetAsync(queue, autoAck: true) is { } got)
        {
            bodies.Add(Amqp.Text(got.Body));
        }

        return bodies;
    }

    /// <summary>Takes deliveries one by one, acking each so that a prefetch of 1 lets the next one come.</summary>
    private async Task<List<string>> TakeAndAckAsync(CollectingConsumer consumer, int count)
    {
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var delivery = await consumer.NextAsync();
            bodies.Add(delivery.Text);
            await Channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        }

        return bodies;
    }

    private async Task<string> PriorityQueueWithAsync(int max, params (string Body, byte? Priority)[] messages)
    {
        var queue = await DeclareQueueAsync(arguments: MaxPriority(max));
        foreach (var (body, priority) in messages)
        {
            await SendWithPriorityAsync(queue, body, priority);
        }

        return queue;
    }

    [Fact]
    public async Task Basic_get_returns_higher_priorities_first()
    {
        var queue = await PriorityQueueWithAsync(10, ("p1", 1), ("p5", 5), ("p3", 3), ("p10", 10));

        Assert.Equal(["p10", "p5", "p3", "p1"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Consumer_attached_after_publishing_receives_higher_priorities_first()
    {
        var queue = await PriorityQueueWithAsync(10, ("p1", 1), ("p5", 5), ("p3", 3), ("p10", 10));
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumer = await Channel.ConsumeAsync(queue);

        Assert.Equal(["p10", "p5", "p3", "p1"], await TakeAndAckAsync(consumer, 4));
    }

    [Fact]
    public async Task Messages_published_while_the_consumer_is_busy_are_delivered_by_priority()
    {
        var queue = await DeclareQueueAsync(arguments: MaxPriority(5));
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumer = await Channel.ConsumeAsync(queue);
        await SendWithPriorityAsync(queue, "busy", 0);
        var busy = await consumer.NextAsync();
        await SendWithPriorityAsync(queue, "low", 1);
        await SendWithPriorityAsync(queue, "high", 4);
        await SendWithPriorityAsync(queue, "mid", 2);

        await Channel.BasicAckAsync(busy.DeliveryTag, multiple: false);

        Assert.Equal(["high", "mid", "low"], await TakeAndAckAsync(consumer, 3));
    }

    [Fact]
    public async Task Priority_above_the_maximum_is_treated_as_the_maximum()
    {
        var queue = await PriorityQueueWithAsync(5, ("max-first", 5), ("above-max", 9), ("max-last", 5), ("below", 4));

        Assert.Equal(["max-first", "above-max", "max-last", "below"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Priority_above_the_maximum_is_delivered_with_the_original_property()
    {
        var queue = await PriorityQueueWithAsync(5, ("m", 200));

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal((byte)200, got.BasicProperties.Priority);
    }

    [Fact]
    public async Task Message_without_priority_counts_as_priority_zero()
    {
        var queue = await PriorityQueueWithAsync(5, ("none-1", null), ("zero", 0), ("one", 1), ("none-2", null));

        Assert.Equal(["one", "none-1", "zero", "none-2"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Messages_of_equal_priority_are_delivered_in_publish_order()
    {
        var queue = await PriorityQueueWithAsync(3, ("a", 2), ("x", 1), ("b", 2), ("y", 1), ("c", 2));

        Assert.Equal(["a", "b", "c", "x", "y"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Requeued_messages_return_to_their_place_within_their_priority()
    {
        var queue = await PriorityQueueWithAsync(5, ("a", 3), ("b", 3), ("c", 3), ("low", 1));
        var a = await Channel.GetRequiredAsync(queue, autoAck: false);
        var b = await Channel.GetRequiredAsync(queue, autoAck: false);
        await SendWithPriorityAsync(queue, "d", 3);

        await Channel.BasicRejectAsync(b.DeliveryTag, requeue: true);
        await Channel.BasicRejectAsync(a.DeliveryTag, requeue: true);

        Assert.Equal(["a", "b", "c", "d", "low"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Requeued_low_priority_message_stays_behind_higher_priorities()
    {
        var queue = await PriorityQueueWithAsync(5, ("low", 1));
        var low = await Channel.GetRequiredAsync(queue, autoAck: false);
        await SendWithPriorityAsync(queue, "high", 4);

        await Channel.BasicNackAsync(low.DeliveryTag, multiple: false, requeue: true);

        Assert.Equal(["high", "low"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Unacked_messages_requeued_by_a_channel_close_are_ordered_by_priority()
    {
        var queue = await PriorityQueueWithAsync(5, ("low", 1), ("high", 4));
        var holder = await NewChannelAsync();
        await holder.GetRequiredAsync(queue, autoAck: false);
        await holder.GetRequiredAsync(queue, autoAck: false);
        await SendWithPriorityAsync(queue, "mid", 2);

        await holder.CloseAsync();

        Assert.Equal(["high", "mid", "low"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Declare_ok_and_get_ok_count_messages_of_every_priority()
    {
        var queue = await PriorityQueueWithAsync(5, ("a", 1), ("b", 5), ("c", null), ("d", 3));

        var ok = await Channel.QueueDeclareAsync(queue, false, false, false, MaxPriority(5));
        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal(4u, ok.MessageCount);
        Assert.Equal(("b", 3u), (Amqp.Text(got.Body), got.MessageCount));
    }

    [Fact]
    public async Task Purge_reports_messages_of_every_priority()
    {
        var queue = await PriorityQueueWithAsync(5, ("a", 1), ("b", 5), ("c", null));

        Assert.Equal(3u, await Channel.QueuePurgeAsync(queue));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task A_backlog_larger_than_the_memory_head_comes_out_by_priority_then_publish_order()
    {
        // 20,000 messages: more than the broker keeps of a queue in memory (16,384), so most wait on disk.
        const int Count = 20_000;
        var queue = await DeclareQueueAsync(arguments: MaxPriority(9));
        var priorities = Enumerable.Range(0, Count).Select(i => (byte)((i * 7 + i / 13) % 10)).ToArray();
        for (var i = 0; i < Count; i++)
        {
            await SendWithPriorityAsync(queue, $"{i}", priorities[i]);
        }

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == Count, "every message queued");
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var received = await consumer.NextAsync(Count, TimeSpan.FromSeconds(60));

        var expected = Enumerable.Range(0, Count).OrderByDescending(i => priorities[i]).ThenBy(i => i).Select(i => $"{i}");
        Assert.Equal(expected, received.Select(d => d.Text));
    }

    [Fact]
    public async Task Drop_head_drops_the_next_message_to_deliver_the_oldest_of_the_highest_priority()
    {
        var dead = await DeclareQueueAsync();
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?>
        {
            ["x-max-priority"] = 5,
            ["x-max-length"] = 3,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = dead,
        });
        foreach (var (body, priority) in new (string, byte)[] { ("a0", 0), ("b5", 5), ("c0", 0), ("d5", 5), ("e3", 3) })
        {
            await SendWithPriorityAsync(queue, body, priority);
        }

        Assert.Equal(["e3", "a0", "c0"], await GetAllAsync(queue));
        Assert.Equal(["b5", "d5"], await GetAllAsync(dead));
    }

    [Fact]
    public async Task Expired_messages_leave_from_the_head_highest_priority_first()
    {
        var dead = await DeclareQueueAsync();
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?>
        {
            ["x-max-priority"] = 5,
            ["x-message-ttl"] = 100,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = dead,
        });
        foreach (var (body, priority) in new (string, byte)[] { ("a0", 0), ("b5", 5), ("c3", 3) })
        {
            await SendWithPriorityAsync(queue, body, priority);
        }

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(dead) == 3, "all three dead-lettered");
        Assert.Equal(["b5", "c3", "a0"], await GetAllAsync(dead));
    }

    [Fact]
    public async Task An_expired_lower_priority_message_waits_behind_higher_priorities_until_they_are_gone()
    {
        var queue = await DeclareQueueAsync(arguments: MaxPriority(5));
        await SendAsync("", queue, "low", new BasicProperties { Priority = 0, Expiration = "100" });
        await SendWithPriorityAsync(queue, "high", 5);
        await Task.Delay(400);

        // RabbitMQ expires only at the head: the high priority message is there, so both are counted.
        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        // Once it is gone the expired message is at the head and goes: get-ok counts nothing left.
        Assert.Equal(("high", 0u), (Amqp.Text(got.Body), got.MessageCount));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Queue_without_max_priority_ignores_the_priority_property()
    {
        var queue = await DeclareQueueAsync();
        await SendWithPriorityAsync(queue, "low", 1);
        await SendWithPriorityAsync(queue, "high", 9);

        Assert.Equal(["low", "high"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Max_priority_zero_keeps_publish_order()
    {
        var queue = await PriorityQueueWithAsync(0, ("low", 1), ("high", 9), ("none", null));

        Assert.Equal(["low", "high", "none"], await GetAllAsync(queue));
    }

    [Theory]
    [InlineData(256, "{max_value_exceeded,256}")]
    [InlineData(-1, "{value_negative,-1}")]
    public async Task Declare_with_out_of_range_max_priority_is_precondition_failed(int max, string reason)
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '{queue}' in vhost '/': {reason}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, MaxPriority(max)));
    }

    [Fact]
    public async Task Redeclare_with_another_max_priority_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync(arguments: MaxPriority(5));

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue '{queue}' in vhost '/': received '6' but current is '5'",
            () => Channel.QueueDeclareAsync(queue, false, false, false, MaxPriority(6)));
    }
}
