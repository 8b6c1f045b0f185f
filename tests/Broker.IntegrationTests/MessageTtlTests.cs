using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// Message TTL as RabbitMQ's classic queues implement it: x-message-ttl on the queue, the expiration
/// property per message, the lower of the two winning, TTL 0 meaning "only if a consumer can take it now",
/// and expiry happening only at the head of the queue.
/// </summary>
public sealed class MessageTtlTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    /// <summary>The short TTL used for messages that must expire.</summary>
    private const int ShortTtl = 100;

    /// <summary>A TTL no test outlives.</summary>
    private const int LongTtl = 600_000;

    /// <summary>How long to wait for a <see cref="ShortTtl"/> to be well past.</summary>
    private static readonly TimeSpan PastShortTtl = TimeSpan.FromMilliseconds(800);

    private static Dictionary<string, object?> QueueTtl(int milliseconds) => new() { ["x-message-ttl"] = milliseconds };

    private static BasicProperties Expiring(string expiration) => new() { Expiration = expiration };

    [Fact]
    public async Task Queue_ttl_expired_messages_are_no_longer_counted()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(ShortTtl));

        await SendManyAsync(queue, "1", "2", "3");

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 0, "expired messages leave the count");
    }

    [Fact]
    public async Task Basic_get_after_the_queue_ttl_returns_get_empty()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(ShortTtl));
        await SendAsync("", queue, "m");

        await Task.Delay(PastShortTtl);

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Consumer_attached_after_the_queue_ttl_receives_nothing_of_the_expired_messages()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(ShortTtl));
        await SendManyAsync(queue, "old-1", "old-2");
        await Task.Delay(PastShortTtl);

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        await SendAsync("", queue, "new");

        Assert.Equal("new", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Message_within_the_queue_ttl_is_delivered_without_an_expiration_property()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(LongTtl));
        await SendAsync("", queue, "m");

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal("m", Amqp.Text(got.Body));
        Assert.False(got.BasicProperties.IsExpirationPresent());
    }

    [Fact]
    public async Task Queue_ttl_counts_from_each_message_s_own_enqueue_time()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(2000));
        await SendAsync("", queue, "early");
        await Task.Delay(1500);
        await SendAsync("", queue, "late");

        await Task.Delay(1000);

        Assert.Equal("late", Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Message_expired_while_a_consumer_was_at_its_prefetch_limit_is_not_delivered()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(300));
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumer = await Channel.ConsumeAsync(queue);
        await SendAsync("", queue, "held");
        var held = await consumer.NextAsync();
        await SendAsync("", queue, "waits-and-expires");
        await Task.Delay(1200);

        // Published on the acking channel so that the queue sees the ack first.
        await Channel.BasicAckAsync(held.DeliveryTag, multiple: false);
        await Channel.PublishAsync("", queue, "fresh");

        Assert.Equal("fresh", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Per_message_expiration_expires_the_message()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m", Expiring(ShortTtl.ToString()));

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 0, "expired message leaves the count");
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Per_message_expiration_is_delivered_unchanged_before_it_expires()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m", Expiring(LongTtl.ToString()));

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal(LongTtl.ToString(), got.BasicProperties.Expiration);
    }

    [Theory]
    [InlineData(LongTtl, "100")]
    [InlineData(ShortTtl, "600000")]
    public async Task The_lower_of_queue_ttl_and_message_expiration_applies(int queueTtl, string expiration)
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(queueTtl));
        await SendAsync("", queue, "m", Expiring(expiration));

        await Task.Delay(PastShortTtl);

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Queue_ttl_zero_drops_a_message_that_no_consumer_can_take()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(0));

        await SendAsync("", queue, "m");

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Queue_ttl_zero_delivers_to_a_waiting_consumer()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(0));
        var consumer = await Channel.ConsumeAsync(queue);

        await SendAsync("", queue, "m");

        var delivery = await consumer.NextAsync();
        Assert.Equal("m", delivery.Text);
        await Channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    [Fact]
    public async Task Queue_ttl_zero_drops_a_message_when_the_consumer_is_at_its_prefetch_limit()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(0));
        await Channel.BasicQosAsync(0, 1, global: false);
        var consumer = await Channel.ConsumeAsync(queue);
        await SendAsync("", queue, "first");
        var first = await consumer.NextAsync();

        await SendAsync("", queue, "dropped");
        // Published on the acking channel so that the queue sees the ack first.
        await Channel.BasicAckAsync(first.DeliveryTag, multiple: false);
        await Channel.PublishAsync("", queue, "third");

        Assert.Equal("third", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Expiration_zero_drops_a_message_that_no_consumer_can_take()
    {
        var queue = await DeclareQueueAsync();

        await SendAsync("", queue, "m", Expiring("0"));

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Expiration_zero_delivers_to_a_waiting_consumer_with_the_property()
    {
        var queue = await DeclareQueueAsync();
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        await SendAsync("", queue, "m", Expiring("0"));

        var delivery = await consumer.NextAsync();
        Assert.Equal(("m", "0"), (delivery.Text, delivery.Properties.Expiration));
    }

    [Fact]
    public async Task Expiration_zero_behind_another_message_waits_for_the_head_then_expires()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "head");
        await SendAsync("", queue, "zero", Expiring("0"));

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
        Assert.Equal("head", Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Short_lived_message_behind_a_long_lived_one_is_counted_until_it_reaches_the_head()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "long", Expiring(LongTtl.ToString()));
        await SendAsync("", queue, "short", Expiring(ShortTtl.ToString()));

        await Task.Delay(PastShortTtl);

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
        var head = await Channel.GetRequiredAsync(queue, autoAck: true);

        // The expired message became the head when "long" was taken and was dropped before get-ok was sent.
        Assert.Equal(("long", 0u), (Amqp.Text(head.Body), head.MessageCount));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Short_lived_message_behind_a_long_lived_one_is_not_delivered_once_the_head_is_consumed()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "long", Expiring(LongTtl.ToString()));
        await SendAsync("", queue, "short", Expiring(ShortTtl.ToString()));
        await SendAsync("", queue, "no-ttl");
        await Task.Delay(PastShortTtl);

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        Assert.Equal(["long", "no-ttl"], (await consumer.NextAsync(2)).Select(d => d.Text));
    }

    [Fact]
    public async Task Unacked_message_does_not_expire_while_it_is_held()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(ShortTtl));
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Task.Delay(PastShortTtl);
        await Channel.BasicAckAsync(got.DeliveryTag, multiple: false);

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Requeued_message_keeps_its_original_queue_ttl_expiry()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(300));
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Task.Delay(1200);

        await Channel.BasicRejectAsync(got.DeliveryTag, requeue: true);

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Requeued_message_keeps_its_original_per_message_expiry()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m", Expiring("300"));
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Task.Delay(1200);

        await Channel.BasicNackAsync(got.DeliveryTag, multiple: false, requeue: true);

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Message_requeued_by_a_channel_close_after_its_ttl_is_gone()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(300));
        await SendAsync("", queue, "m");
        var holder = await NewChannelAsync();
        var consumer = await holder.ConsumeAsync(queue);
        await consumer.NextAsync();
        await Task.Delay(1200);

        await holder.CloseAsync();

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Requeued_message_within_its_ttl_is_redelivered()
    {
        var queue = await DeclareQueueAsync(arguments: QueueTtl(LongTtl));
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicRejectAsync(got.DeliveryTag, requeue: true);

        var again = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal(("m", true), (Amqp.Text(again.Body), again.Redelivered));
    }

    [Theory]
    [InlineData("-1", "{value_negative,-1}")]
    [InlineData("1.5", "{leftover_string,\".5\"}")]
    [InlineData("10s", "{leftover_string,\"s\"}")]
    [InlineData("10 ", "{leftover_string,\" \"}")]
    [InlineData("", "no_integer")]
    [InlineData(" 10", "no_integer")]
    [InlineData("4294967296000", "{value_too_large,4294967296000}")]
    public async Task Publish_with_malformed_expiration_is_precondition_failed(string expiration, string reason)
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid expiration '{expiration}': {reason}",
            () => Channel.PublishAsync("", queue, "m", Expiring(expiration)).AsTask());
    }

    [Fact]
    public async Task Publish_with_huge_expiration_has_the_reason_wrapped_like_erlang_pretty_printing()
    {
        var queue = await DeclareQueueAsync();

        // RabbitMQ formats the reason with ~p, which breaks a long term onto an indented second line.
        await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - invalid expiration '9223372036854775807': {value_too_large,\n" + new string(' ', 43) + "9223372036854775807}",
            () => Channel.PublishAsync("", queue, "m", Expiring("9223372036854775807")).AsTask());
    }

    [Theory]
    [InlineData("+600000")]
    [InlineData("4294967296")]
    public async Task Expiration_with_a_plus_sign_or_above_32_bits_is_accepted_and_delivered_unchanged(string expiration)
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m", Expiring(expiration));

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal(expiration, got.BasicProperties.Expiration);
    }

    [Fact]
    public async Task Declare_with_negative_message_ttl_is_precondition_failed()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue '{queue}' in vhost '/': {{value_negative,-1}}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, QueueTtl(-1)));
    }
}
