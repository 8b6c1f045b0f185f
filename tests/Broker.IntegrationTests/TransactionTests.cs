using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.IntegrationTests;

public sealed class TransactionTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private async Task<IChannel> TxChannelAsync()
    {
        var channel = await Connection.CreateChannelAsync();
        await channel.TxSelectAsync();
        return channel;
    }

    /// <summary>The first body a fresh consumer sees and whether it was redelivered.</summary>
    private async Task<(string Body, bool Redelivered)> HeadAsync(string queue)
    {
        await using var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue, autoAck: true);
        var delivery = await consumer.NextAsync();
        await channel.CloseAsync();
        return (delivery.Text, delivery.Redelivered);
    }

    [Fact]
    public async Task Publishes_become_visible_only_on_commit()
    {
        var queue = await DeclareQueueAsync();
        var tx = await TxChannelAsync();

        await tx.PublishAsync("", queue, "1");
        await tx.PublishAsync("", queue, "2");
        await Task.Delay(Wait.Quiet);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));

        await tx.TxCommitAsync();

        // commit-ok means every effect of the transaction is visible
        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Rollback_discards_publishes()
    {
        var queue = await DeclareQueueAsync();
        var tx = await TxChannelAsync();
        await tx.PublishAsync("", queue, "discarded-1");
        await tx.PublishAsync("", queue, "discarded-2");

        await tx.TxRollbackAsync();
        await tx.PublishAsync("", queue, "kept");
        await tx.TxCommitAsync();

        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
        Assert.Equal(("kept", false), await HeadAsync(queue));
    }

    [Fact]
    public async Task Channel_stays_transactional_after_commit()
    {
        var queue = await DeclareQueueAsync();
        var tx = await TxChannelAsync();
        await tx.PublishAsync("", queue, "first");
        await tx.TxCommitAsync();

        await tx.PublishAsync("", queue, "second");
        await Task.Delay(Wait.Quiet);
        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
        await tx.TxCommitAsync();

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Ack_inside_a_transaction_takes_effect_on_commit()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var tx = await TxChannelAsync();
        var got = await tx.GetRequiredAsync(queue, autoAck: false);

        await tx.BasicAckAsync(got.DeliveryTag, multiple: false);
        await tx.TxCommitAsync();
        await tx.CloseAsync();
        await SendAsync("", queue, "marker");

        // Had the ack not been committed, closing the channel would have requeued m ahead of the marker.
        Assert.Equal(("marker", false), await HeadAsync(queue));
    }

    [Fact]
    public async Task Rollback_undoes_an_ack_so_the_message_stays_unacked()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var tx = await TxChannelAsync();
        var got = await tx.GetRequiredAsync(queue, autoAck: false);

        await tx.BasicAckAsync(got.DeliveryTag, multiple: false);
        await tx.TxRollbackAsync();
        await tx.CloseAsync();

        Assert.Equal(("m", true), await HeadAsync(queue));
    }

    [Fact]
    public async Task Acked_tag_can_be_acked_again_after_rollback()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var tx = await TxChannelAsync();
        var got = await tx.GetRequiredAsync(queue, autoAck: false);
        await tx.BasicAckAsync(got.DeliveryTag, multiple: false);
        await tx.TxRollbackAsync();

        await tx.BasicAckAsync(got.DeliveryTag, multiple: false);
        await tx.TxCommitAsync();
        await tx.CloseAsync();
        await SendAsync("", queue, "marker");

        Assert.Equal(("marker", false), await HeadAsync(queue));
    }

    [Fact]
    public async Task Reject_with_requeue_inside_a_transaction_happens_on_commit()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");
        var tx = await TxChannelAsync();
        var got = await tx.GetRequiredAsync(queue, autoAck: false);

        await tx.BasicRejectAsync(got.DeliveryTag, requeue: true);
        await Task.Delay(Wait.Quiet);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        await tx.TxCommitAsync();

        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
        Assert.Equal(("m", true), await HeadAsync(queue));
    }

    [Fact]
    public async Task Mandatory_return_for_a_transactional_publish_arrives_at_commit()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var tx = await TxChannelAsync();
        var returned = new TaskCompletionSource<BasicReturnEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        tx.BasicReturnAsync += (_, e) =>
        {
            returned.TrySetResult(e);
            return Task.CompletedTask;
        };

        await tx.PublishAsync(exchange, "nowhere", "m", mandatory: true);
        await Task.Delay(Wait.Quiet);
        Assert.False(returned.Task.IsCompleted);
        await tx.TxCommitAsync();

        var ret = await returned.Task.WaitAsync(Wait.Delivery);
        Assert.Equal((312, "NO_ROUTE", "nowhere"), (ret.ReplyCode, ret.ReplyText, ret.RoutingKey));
    }

    [Fact]
    public async Task Publish_to_missing_exchange_fails_immediately_not_at_commit()
    {
        var tx = await TxChannelAsync();
        var exchange = ExchangeName();

        await tx.AssertAsyncChannelErrorAsync(404, $"NOT_FOUND - no exchange '{exchange}' in vhost '/'", () => tx.PublishAsync(exchange, "k", "m").AsTask());
    }

    [Fact]
    public async Task Tx_select_twice_is_ok()
    {
        var tx = await TxChannelAsync();

        await tx.TxSelectAsync();
        await tx.TxCommitAsync();

        Assert.True(tx.IsOpen);
    }

    [Fact]
    public async Task Commit_without_select_is_precondition_failed()
    {
        var reason = await Channel.AssertChannelErrorAsync(406, "PRECONDITION_FAILED - channel is not transactional", () => Channel.TxCommitAsync());

        Assert.Equal((90, 20), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Rollback_without_select_is_precondition_failed()
    {
        var reason = await Channel.AssertChannelErrorAsync(406, "PRECONDITION_FAILED - channel is not transactional", () => Channel.TxRollbackAsync());

        Assert.Equal((90, 30), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Uncommitted_publishes_are_dropped_when_the_channel_closes()
    {
        var queue = await DeclareQueueAsync();
        var tx = await TxChannelAsync();
        await tx.PublishAsync("", queue, "never committed");

        await tx.CloseAsync();
        await SendAsync("", queue, "marker");

        Assert.Equal(("marker", false), await HeadAsync(queue));
    }
}
