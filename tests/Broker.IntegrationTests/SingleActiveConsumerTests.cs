using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// x-single-active-consumer on classic queues: the earliest registered consumer gets every message; when
/// it goes away the next waiting one takes over, including the messages the old one left unacked.
/// </summary>
public sealed class SingleActiveConsumerTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static Dictionary<string, object?> Sac(object? value = null) => new() { ["x-single-active-consumer"] = value ?? true };

    /// <summary>Starts a consumer on a channel of its own; returns the channel and the consumer.</summary>
    private async Task<(IChannel Channel, CollectingConsumer Consumer)> ConsumerAsync(string queue, string tag, bool autoAck = true, ushort prefetch = 0)
    {
        var channel = await NewChannelAsync();
        if (prefetch > 0)
        {
            await channel.BasicQosAsync(0, prefetch, global: false);
        }

        var consumer = await channel.ConsumeAsync(queue, autoAck, consumerTag: tag);
        return (channel, consumer);
    }

    [Fact]
    public async Task Only_the_first_consumer_receives_messages()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (_, first) = await ConsumerAsync(queue, "first");
        var (_, second) = await ConsumerAsync(queue, "second");

        await SendManyAsync(queue, "1", "2", "3", "4", "5");

        Assert.Equal(["1", "2", "3", "4", "5"], (await first.NextAsync(5)).Select(d => d.Text));
        Assert.Equal(0, second.Pending);
    }

    [Fact]
    public async Task Next_consumer_takes_over_when_the_active_one_is_cancelled()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, first) = await ConsumerAsync(queue, "first");
        var (_, second) = await ConsumerAsync(queue, "second");
        await SendAsync("", queue, "before");
        Assert.Equal("before", (await first.NextAsync()).Text);

        await firstChannel.BasicCancelAsync("first");
        await SendAsync("", queue, "after");

        var taken = await second.NextAsync();
        Assert.Equal(("after", "second"), (taken.Text, taken.ConsumerTag));
        Assert.Equal(0, first.Pending);
    }

    [Fact]
    public async Task Next_consumer_takes_over_when_the_active_channel_closes_and_gets_its_unacked_messages()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, first) = await ConsumerAsync(queue, "first", autoAck: false);
        var (_, second) = await ConsumerAsync(queue, "second");
        await SendManyAsync(queue, "1", "2");
        await first.NextAsync(2);

        await firstChannel.CloseAsync();
        await SendAsync("", queue, "3");

        var taken = await second.NextAsync(3);
        Assert.Equal([("1", true), ("2", true), ("3", false)], taken.Select(d => (d.Text, d.Redelivered)));
    }

    [Fact]
    public async Task Next_consumer_takes_over_when_the_active_connection_closes()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var owner = await ConnectAsync();
        var ownerChannel = await owner.CreateChannelAsync();
        var first = await ownerChannel.ConsumeAsync(queue, autoAck: false, consumerTag: "first");
        var (_, second) = await ConsumerAsync(queue, "second");
        await SendAsync("", queue, "1");
        await first.NextAsync();

        await owner.CloseAsync();

        var taken = await second.NextAsync();
        Assert.Equal(("1", true), (taken.Text, taken.Redelivered));
    }

    [Fact]
    public async Task Takeover_goes_to_the_earliest_registered_waiting_consumer()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, _) = await ConsumerAsync(queue, "first");
        var (_, second) = await ConsumerAsync(queue, "second");
        var (_, third) = await ConsumerAsync(queue, "third");

        await firstChannel.BasicCancelAsync("first");
        await SendManyAsync(queue, "1", "2");

        Assert.Equal(["1", "2"], (await second.NextAsync(2)).Select(d => d.Text));
        Assert.Equal(0, third.Pending);
    }

    [Fact]
    public async Task Cancelled_waiting_consumer_is_skipped_at_takeover()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, _) = await ConsumerAsync(queue, "first");
        var (secondChannel, _) = await ConsumerAsync(queue, "second");
        var (_, third) = await ConsumerAsync(queue, "third");

        await secondChannel.BasicCancelAsync("second");
        await firstChannel.BasicCancelAsync("first");
        await SendAsync("", queue, "m");

        Assert.Equal("m", (await third.NextAsync()).Text);
    }

    [Fact]
    public async Task Consumer_arriving_when_none_is_active_becomes_active_and_gets_the_backlog()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, _) = await ConsumerAsync(queue, "first");
        await firstChannel.BasicCancelAsync("first");
        await SendManyAsync(queue, "1", "2");

        var (_, late) = await ConsumerAsync(queue, "late");

        Assert.Equal(["1", "2"], (await late.NextAsync(2)).Select(d => d.Text));
    }

    [Fact]
    public async Task Messages_wait_for_the_active_consumer_while_it_is_at_its_prefetch_limit()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, first) = await ConsumerAsync(queue, "first", autoAck: false, prefetch: 1);
        var (_, second) = await ConsumerAsync(queue, "second");
        await SendAsync("", queue, "1");
        var held = await first.NextAsync();

        await SendAsync("", queue, "2");

        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
        await firstChannel.BasicAckAsync(held.DeliveryTag, multiple: false);
        Assert.Equal("2", (await first.NextAsync()).Text);
        Assert.Equal(0, second.Pending);
    }

    [Fact]
    public async Task Unacked_messages_of_a_cancelled_active_consumer_go_to_the_new_one_when_requeued()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (firstChannel, first) = await ConsumerAsync(queue, "first", autoAck: false);
        var (_, second) = await ConsumerAsync(queue, "second");
        await SendAsync("", queue, "held");
        var held = await first.NextAsync();
        await firstChannel.BasicCancelAsync("first");
        await SendAsync("", queue, "new");
        Assert.Equal("new", (await second.NextAsync()).Text);

        await firstChannel.BasicNackAsync(held.DeliveryTag, multiple: false, requeue: true);

        var again = await second.NextAsync();
        Assert.Equal(("held", true), (again.Text, again.Redelivered));
    }

    [Fact]
    public async Task Declare_ok_counts_waiting_consumers_too()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        await ConsumerAsync(queue, "first");
        await ConsumerAsync(queue, "second");

        var ok = await Channel.QueueDeclarePassiveAsync(queue);

        Assert.Equal(2u, ok.ConsumerCount);
    }

    [Fact]
    public async Task Basic_get_works_on_a_single_active_consumer_queue_without_consumers()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        await SendManyAsync(queue, "1", "2");

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal(("1", 1u), (Amqp.Text(got.Body), got.MessageCount));
    }

    [Fact]
    public async Task Basic_get_takes_ready_messages_while_the_active_consumer_is_busy()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        var (_, first) = await ConsumerAsync(queue, "first", autoAck: false, prefetch: 1);
        await SendManyAsync(queue, "1", "2");
        Assert.Equal("1", (await first.NextAsync()).Text);

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        Assert.Equal("2", Amqp.Text(got.Body));
    }

    [Fact]
    public async Task Exclusive_consume_on_a_single_active_consumer_queue_with_consumers_is_access_refused()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());
        await ConsumerAsync(queue, "first");

        await Channel.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - queue '{queue}' in vhost '/' in exclusive use",
            () => Channel.ConsumeAsync(queue, exclusive: true));
    }

    [Fact]
    public async Task Exclusive_consume_on_a_single_active_consumer_queue_is_refused_even_without_consumers()
    {
        var queue = await DeclareQueueAsync(arguments: Sac());

        await Channel.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - queue '{queue}' in vhost '/' in exclusive use",
            () => Channel.ConsumeAsync(queue, exclusive: true));
    }

    [Fact]
    public async Task Single_active_consumer_false_round_robins_as_usual()
    {
        var queue = await DeclareQueueAsync(arguments: Sac(false));
        var (_, first) = await ConsumerAsync(queue, "first");
        var (_, second) = await ConsumerAsync(queue, "second");

        await SendManyAsync(queue, "1", "2");

        Assert.Equal(("1", "2"), ((await first.NextAsync()).Text, (await second.NextAsync()).Text));
    }

    [Theory]
    [InlineData("yes", "{unacceptable_type,longstr}")]
    [InlineData(1, "{unacceptable_type,signedint}")]
    public async Task Declare_with_non_boolean_single_active_consumer_is_precondition_failed(object value, string reason)
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for queue '{queue}' in vhost '/': {reason}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, Sac(value)));
    }
}
