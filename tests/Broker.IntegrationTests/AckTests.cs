using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

public sealed class AckTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    /// <summary>Consumes with auto-ack on a fresh channel and returns the next <paramref name="count"/> bodies and redelivered flags.</summary>
    private async Task<IReadOnlyList<(string Body, bool Redelivered)>> ReceiveAsync(string queue, int count)
    {
        var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue, autoAck: true);
        var deliveries = await consumer.NextAsync(count);
        await consumer.AssertNoMoreAsync();
        await channel.CloseAsync();
        return [.. deliveries.Select(d => (d.Text, d.Redelivered))];
    }

    [Fact]
    public async Task Ack_removes_only_the_acked_message()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");
        var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue);
        var deliveries = await consumer.NextAsync(2);

        await channel.BasicAckAsync(deliveries[0].DeliveryTag, multiple: false);
        await channel.CloseAsync();

        Assert.Equal([("2", true)], await ReceiveAsync(queue, 1));
    }

    [Fact]
    public async Task Ack_multiple_acks_everything_up_to_the_tag()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3", "4", "5");
        var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue);
        var deliveries = await consumer.NextAsync(5);

        await channel.BasicAckAsync(deliveries[2].DeliveryTag, multiple: true);
        await channel.CloseAsync();

        Assert.Equal([("4", true), ("5", true)], await ReceiveAsync(queue, 2));
    }

    [Fact]
    public async Task Ack_multiple_with_tag_zero_acks_all_outstanding()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue);
        await consumer.NextAsync(3);

        await channel.BasicAckAsync(0, multiple: true);
        await channel.CloseAsync();
        await SendAsync("", queue, "marker");

        // Had anything stayed unacked, the close would have requeued it ahead of the marker (original position).
        Assert.Equal([("marker", false)], await ReceiveAsync(queue, 1));
    }

    [Fact]
    public async Task Nack_multiple_with_requeue_redelivers_all_in_order()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3", "4");
        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.GetRequiredAsync(queue, autoAck: false);
        var third = await Channel.GetRequiredAsync(queue, autoAck: false);
        Assert.Equal(1ul, first.DeliveryTag);

        await Channel.BasicNackAsync(third.DeliveryTag, multiple: true, requeue: true);

        Assert.Equal([("1", true), ("2", true), ("3", true), ("4", false)], await ReceiveAsync(queue, 4));
    }

    [Fact]
    public async Task Nack_multiple_without_requeue_drops_up_to_the_tag()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        await Channel.GetRequiredAsync(queue, autoAck: false);
        var second = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicNackAsync(second.DeliveryTag, multiple: true, requeue: false);
        await Channel.CloseAsync();

        Assert.Equal([("3", false)], await ReceiveAsync(queue, 1));
    }

    [Fact]
    public async Task Nack_single_without_requeue_drops_the_message()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");
        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        var second = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicNackAsync(first.DeliveryTag, multiple: false, requeue: false);
        await Channel.BasicNackAsync(second.DeliveryTag, multiple: false, requeue: true);

        Assert.Equal([("2", true)], await ReceiveAsync(queue, 1));
    }

    [Fact]
    public async Task Reject_with_requeue_puts_the_message_back_at_its_original_position()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        var first = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: true);

        // RabbitMQ requeues at the original position (since 2.7.0), flagged redelivered.
        Assert.Equal([("1", true), ("2", false), ("3", false)], await ReceiveAsync(queue, 3));
    }

    [Fact]
    public async Task Rejected_messages_return_in_original_order_regardless_of_reject_order()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3", "4");
        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        var second = await Channel.GetRequiredAsync(queue, autoAck: false);
        var third = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicRejectAsync(third.DeliveryTag, requeue: true);
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: true);
        await Channel.BasicRejectAsync(second.DeliveryTag, requeue: true);

        Assert.Equal([("1", true), ("2", true), ("3", true), ("4", false)], await ReceiveAsync(queue, 4));
    }

    [Fact]
    public async Task Reject_without_requeue_drops_the_message()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");
        var first = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: false);
        await Channel.CloseAsync();

        Assert.Equal([("2", false)], await ReceiveAsync(queue, 1));
    }

    [Fact]
    public async Task Ack_of_unknown_delivery_tag_closes_the_channel()
    {
        var reason = await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - unknown delivery tag 99",
            () => Channel.BasicAckAsync(99, multiple: false).AsTask());

        Assert.Equal((60, 80), (reason.ClassId, reason.MethodId));
        Assert.True(Connection.IsOpen);
    }

    [Fact]
    public async Task Double_ack_is_an_unknown_delivery_tag()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.BasicAckAsync(got.DeliveryTag, multiple: false);

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - unknown delivery tag 1",
            () => Channel.BasicAckAsync(got.DeliveryTag, multiple: false).AsTask());
    }

    [Fact]
    public async Task Nack_of_unknown_delivery_tag_closes_the_channel()
    {
        var reason = await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - unknown delivery tag 5",
            () => Channel.BasicNackAsync(5, multiple: false, requeue: true).AsTask());

        Assert.Equal((60, 120), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Reject_of_unknown_delivery_tag_closes_the_channel()
    {
        var reason = await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - unknown delivery tag 7",
            () => Channel.BasicRejectAsync(7, requeue: true).AsTask());

        Assert.Equal((60, 90), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Ack_multiple_beyond_the_last_delivery_is_an_unknown_delivery_tag()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - unknown delivery tag 2",
            () => Channel.BasicAckAsync(2, multiple: true).AsTask());
    }

    [Fact]
    public async Task Ack_of_a_tag_delivered_on_another_channel_is_unknown()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var other = await Connection.CreateChannelAsync();
        var got = await other.GetRequiredAsync(queue, autoAck: false);

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - unknown delivery tag {got.DeliveryTag}",
            () => Channel.BasicAckAsync(got.DeliveryTag, multiple: false).AsTask());
        Assert.True(other.IsOpen);
    }

    [Fact]
    public async Task Ack_of_a_no_ack_delivery_is_an_unknown_delivery_tag()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: true);

        await Channel.AssertAsyncChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - unknown delivery tag 1",
            () => Channel.BasicAckAsync(got.DeliveryTag, multiple: false).AsTask());
    }

    [Fact]
    public async Task Unacked_messages_are_requeued_when_the_channel_closes()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue);
        await consumer.NextAsync(3);

        await channel.CloseAsync();

        Assert.Equal([("1", true), ("2", true), ("3", true)], await ReceiveAsync(queue, 3));
    }

    [Fact]
    public async Task Unacked_messages_are_requeued_when_the_connection_closes()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");
        var connection = await ConnectAsync();
        var channel = await connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue);
        await consumer.NextAsync(2);

        await connection.CloseAsync();

        Assert.Equal([("1", true), ("2", true)], await ReceiveAsync(queue, 2));
    }

    [Fact]
    public async Task Unacked_messages_are_requeued_when_the_channel_is_closed_by_an_error()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");
        var channel = await Connection.CreateChannelAsync();
        await channel.GetRequiredAsync(queue, autoAck: false);
        await channel.GetRequiredAsync(queue, autoAck: false);

        await channel.AssertAsyncChannelErrorAsync(406, "PRECONDITION_FAILED - unknown delivery tag 42", () => channel.BasicAckAsync(42, false).AsTask());

        Assert.Equal([("1", true), ("2", true)], await ReceiveAsync(queue, 2));
    }

    [Fact]
    public async Task Delivery_tags_are_per_channel_start_at_1_and_are_shared_by_get_and_deliver()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3", "4");
        var a = await Connection.CreateChannelAsync();
        var b = await Connection.CreateChannelAsync();

        var a1 = await a.GetRequiredAsync(queue, autoAck: false);
        var b1 = await b.GetRequiredAsync(queue, autoAck: true);
        var a2 = await a.GetRequiredAsync(queue, autoAck: false);
        var consumer = await a.ConsumeAsync(queue);
        var a3 = await consumer.NextAsync();

        Assert.Equal((1ul, 1ul, 2ul, 3ul), (a1.DeliveryTag, b1.DeliveryTag, a2.DeliveryTag, a3.DeliveryTag));
    }

    [Fact]
    public async Task Raw_basic_recover_with_requeue_redelivers_unacked_messages()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        var queue = await raw.DeclareQueueAsync(1, "");
        await raw.PublishAsync(1, "", queue, "one"u8.ToArray());
        await raw.PublishAsync(1, "", queue, "two"u8.ToArray());
        await raw.SendMethodAsync(1, 60, 20, w => w.Short(0).ShortString(queue).ShortString("c").Bits(false, false, false, false).Table(null));
        await raw.ExpectMethodAsync(1, 60, 21);
        var first = await raw.ExpectDeliveryAsync(1);
        var second = await raw.ExpectDeliveryAsync(1);
        Assert.Equal((1ul, false, 2ul, false), (first.DeliveryTag, first.Redelivered, second.DeliveryTag, second.Redelivered));

        await raw.SendMethodAsync(1, 60, 110, w => w.Bits(true));

        var recoverOk = false;
        var redeliveries = new List<(ulong Tag, bool Redelivered, string Body)>();
        while (!recoverOk || redeliveries.Count < 2)
        {
            var frame = await raw.ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("socket closed");
            if ((frame.ClassId, frame.MethodId) == (60, 111))
            {
                recoverOk = true;
                continue;
            }

            Assert.Equal((60, 60), (frame.ClassId, frame.MethodId));
            var args = frame.Arguments();
            args.ReadShortString();
            var tag = args.ReadLongLong();
            var redelivered = (args.ReadOctet() & 1) != 0;
            redeliveries.Add((tag, redelivered, System.Text.Encoding.UTF8.GetString(await raw.ReadContentAsync(1))));
        }

        Assert.Equal([(3ul, true, "one"), (4ul, true, "two")], redeliveries);
    }

    [Fact]
    public async Task Raw_basic_recover_without_requeue_is_not_implemented()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendMethodAsync(1, 60, 110, w => w.Bits(false));
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(540, "NOT_IMPLEMENTED - requeue=false", close.ReplyCode, close.ReplyText);
    }

    [Fact]
    public async Task Raw_basic_recover_async_with_requeue_redelivers_without_a_reply()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        var queue = await raw.DeclareQueueAsync(1, "");
        await raw.PublishAsync(1, "", queue, "one"u8.ToArray());
        await raw.SendMethodAsync(1, 60, 20, w => w.Short(0).ShortString(queue).ShortString("c").Bits(false, false, false, false).Table(null));
        await raw.ExpectMethodAsync(1, 60, 21);
        await raw.ExpectDeliveryAsync(1);

        await raw.SendMethodAsync(1, 60, 100, w => w.Bits(true));
        var again = await raw.ExpectDeliveryAsync(1);

        Assert.Equal((2ul, true, "one"), (again.DeliveryTag, again.Redelivered, System.Text.Encoding.UTF8.GetString(again.Body)));
    }
}
