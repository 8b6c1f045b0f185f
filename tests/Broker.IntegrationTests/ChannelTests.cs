using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests;

public sealed class ChannelTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Channel_opens_and_closes()
    {
        var channel = await Connection.CreateChannelAsync();
        Assert.True(channel.IsOpen);

        await channel.CloseAsync();

        Assert.True(channel.IsClosed);
        Assert.Equal(ShutdownInitiator.Application, channel.CloseReason!.Initiator);
        Assert.Equal(200, channel.CloseReason.ReplyCode);
        Assert.True(Connection.IsOpen);
    }

    [Fact]
    public async Task Operations_on_a_closed_channel_fail_with_already_closed()
    {
        var channel = await Connection.CreateChannelAsync();
        await channel.CloseAsync();

        await Assert.ThrowsAsync<AlreadyClosedException>(() => channel.QueueDeclareAsync("", false, true, true));
    }

    [Fact]
    public async Task Operations_after_a_channel_error_fail_with_the_original_reason()
    {
        var channel = await Connection.CreateChannelAsync();
        var missing = QueueName();
        await channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{missing}' in vhost '/'", () => channel.QueueDeclarePassiveAsync(missing));

        var ex = await Assert.ThrowsAsync<AlreadyClosedException>(() => channel.QueueDeclareAsync("", false, true, true));

        Assert.Equal(404, ex.ShutdownReason!.ReplyCode);
    }

    [Fact]
    public async Task Channel_error_closes_only_that_channel()
    {
        var victim = await Connection.CreateChannelAsync();
        var bystander = await Connection.CreateChannelAsync();
        var queue = await DeclareQueueAsync(bystander);

        var missing = QueueName();
        await victim.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{missing}' in vhost '/'", () => victim.QueueDeclarePassiveAsync(missing));

        Assert.True(bystander.IsOpen);
        Assert.True(Connection.IsOpen);
        await bystander.PublishAsync("", queue, "still works");
        var consumer = await bystander.ConsumeAsync(queue, autoAck: true);
        Assert.Equal("still works", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Consumer_on_another_channel_keeps_receiving_after_a_channel_error()
    {
        var queue = await DeclareQueueAsync();
        var consumerChannel = await Connection.CreateChannelAsync();
        var consumer = await consumerChannel.ConsumeAsync(queue, autoAck: true);
        await Channel.PublishAsync("", queue, "before");
        Assert.Equal("before", (await consumer.NextAsync()).Text);

        var victim = await Connection.CreateChannelAsync();
        await victim.AssertChannelErrorAsync(404, "NOT_FOUND - no exchange 'no-such-exchange' in vhost '/'", () => victim.ExchangeDeclarePassiveAsync("no-such-exchange"));

        await Channel.PublishAsync("", queue, "after");
        Assert.Equal("after", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task New_channel_works_after_a_channel_error()
    {
        var missing = QueueName();
        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{missing}' in vhost '/'", () => Channel.QueueDeclarePassiveAsync(missing));

        var fresh = await Connection.CreateChannelAsync();
        var queue = await DeclareQueueAsync(fresh);
        await fresh.PublishAsync("", queue, "hello");

        var got = await fresh.ConsumeAsync(queue, autoAck: true);
        Assert.Equal("hello", (await got.NextAsync()).Text);
    }

    [Fact]
    public async Task Channel_close_reports_class_and_method_of_the_failing_method()
    {
        var missing = QueueName();

        var reason = await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{missing}' in vhost '/'", () => Channel.QueueDeclarePassiveAsync(missing));

        Assert.Equal((50, 10), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Raw_channel_flow_active_is_acknowledged()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendMethodAsync(1, 20, 20, w => w.Bits(true));
        var ok = await raw.ExpectMethodAsync(1, 20, 21);

        Assert.Equal(1, ok.Arguments().ReadOctet());
    }

    [Fact]
    public async Task Raw_channel_flow_inactive_is_not_implemented()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendMethodAsync(1, 20, 20, w => w.Bits(false));
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(540, "NOT_IMPLEMENTED - active=false", close.ReplyCode, close.ReplyText);
        Assert.Equal((20, 20), (close.ClassId, close.MethodId));
    }

    [Fact]
    public async Task Raw_second_channel_open_on_the_same_number_is_a_connection_error()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendMethodAsync(1, 20, 10, w => w.ShortString(""));
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(504, "CHANNEL_ERROR - second 'channel.open' seen", close.ReplyCode, close.ReplyText);
        Assert.Equal((20, 10), (close.ClassId, close.MethodId));
    }

    [Fact]
    public async Task Raw_method_on_a_channel_that_was_never_opened_is_a_connection_error()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);

        await raw.SendMethodAsync(7, 50, 10, w => w.Short(0).ShortString("").Bits(false, false, true, true, false).Table(null));
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(504, "CHANNEL_ERROR - expected 'channel.open'", close.ReplyCode, close.ReplyText);
        Assert.Equal((50, 10), (close.ClassId, close.MethodId));
    }

    [Fact]
    public async Task Raw_channel_number_can_be_reused_after_a_channel_error()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        var missing = QueueName();
        await raw.SendMethodAsync(1, 50, 10, w => w.Short(0).ShortString(missing).Bits(true, false, false, false, false).Table(null));
        var close = await raw.ExpectChannelCloseAsync(1);
        Amqp.AssertReply(404, $"NOT_FOUND - no queue '{missing}' in vhost '/'", close.ReplyCode, close.ReplyText);

        await raw.OpenChannelAsync(1);
        var name = await raw.DeclareQueueAsync(1, "");

        Assert.StartsWith("amq.gen-", name);
    }

    [Fact]
    public async Task Raw_channel_close_from_client_gets_close_ok()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(3);

        await raw.SendMethodAsync(3, 20, 40, w => w.Short(200).ShortString("bye").Short(0).Short(0));
        await raw.ExpectMethodAsync(3, 20, 41);
        await raw.OpenChannelAsync(3);
    }
}
