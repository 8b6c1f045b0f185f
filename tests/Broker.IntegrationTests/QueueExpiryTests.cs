using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// x-expires: a queue nobody uses for the period is deleted. "Used" means having consumers, or being
/// declared (also passively) or read with basic.get during the period; each of those renews the lease.
/// </summary>
public sealed class QueueExpiryTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    /// <summary>The lease of queues that must expire during the test.</summary>
    private const int ShortLease = 300;

    /// <summary>
    /// The lease of queues that must expire later, after the test has set them up (a consumer, a binding):
    /// long enough that the setup cannot be overtaken by the expiry.
    /// </summary>
    private const int SetupLease = 1000;

    /// <summary>The lease of queues that are kept alive by renewing it more often than this.</summary>
    private const int RenewedLease = 1500;

    private static Dictionary<string, object?> Expires(int milliseconds) => new() { ["x-expires"] = milliseconds };

    /// <summary>
    /// Waits until the queue is gone. The probe is a passive declare, which renews the lease on RabbitMQ,
    /// so the probes are spaced well beyond the lease.
    /// </summary>
    private async Task WaitUntilExpiredAsync(string queue, int lease = ShortLease)
    {
        for (var attempt = 0; attempt < 15; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(lease * 3));
            if (!await QueueExistsAsync(queue))
            {
                return;
            }
        }

        throw new Xunit.Sdk.XunitException($"queue {queue} did not expire");
    }

    /// <summary>Runs <paramref name="renew"/> repeatedly for twice the lease, at a quarter of the lease apart.</summary>
    private static async Task RenewForTwiceTheLeaseAsync(Func<Task> renew)
    {
        for (var i = 0; i < 8; i++)
        {
            await Task.Delay(RenewedLease / 4);
            await renew();
        }
    }

    [Fact]
    public async Task Unused_queue_is_deleted_after_the_period()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(ShortLease));

        await WaitUntilExpiredAsync(queue);

        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{queue}' in vhost '/'", () => Channel.QueueDeclarePassiveAsync(queue));
    }

    [Fact]
    public async Task Queue_holding_messages_but_without_consumers_expires()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(ShortLease));
        await SendManyAsync(queue, "1", "2");

        await WaitUntilExpiredAsync(queue);
    }

    [Fact]
    public async Task Expired_queue_loses_its_bindings()
    {
        var exchange = await DeclareExchangeAsync("direct");
        var queue = await DeclareQueueAsync(arguments: Expires(SetupLease));
        await Channel.QueueBindAsync(queue, exchange, "k");
        await WaitUntilExpiredAsync(queue, SetupLease);

        await Channel.QueueDeclareAsync(queue, false, false, false);
        await SendAsync(exchange, "k", "m");

        Assert.Empty(await DrainAsync(queue));
    }

    [Fact]
    public async Task A_consumer_keeps_the_queue_alive()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(SetupLease));
        var holder = await NewChannelAsync();
        await holder.ConsumeAsync(queue, autoAck: true);

        await Task.Delay(SetupLease * 3);

        Assert.True(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Queue_expires_once_its_last_consumer_is_cancelled()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(SetupLease));
        var holder = await NewChannelAsync();
        await holder.BasicConsumeAsync(queue, autoAck: true, "c1", new CollectingConsumer(holder));
        await Task.Delay(SetupLease * 2);

        await holder.BasicCancelAsync("c1");

        await WaitUntilExpiredAsync(queue, SetupLease);
    }

    [Fact]
    public async Task Queue_expires_once_the_channel_of_its_consumer_closes()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(SetupLease));
        var holder = await NewChannelAsync();
        await holder.ConsumeAsync(queue);
        await Task.Delay(SetupLease * 2);

        await holder.CloseAsync();

        await WaitUntilExpiredAsync(queue, SetupLease);
    }

    [Fact]
    public async Task Redeclaring_the_queue_renews_the_lease()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(RenewedLease));

        await RenewForTwiceTheLeaseAsync(() => Channel.QueueDeclareAsync(queue, false, false, false, Expires(RenewedLease)));

        Assert.True(Channel.IsOpen);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Passive_declare_renews_the_lease()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(RenewedLease));

        await RenewForTwiceTheLeaseAsync(() => Channel.QueueDeclarePassiveAsync(queue));

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Basic_get_renews_the_lease_even_when_the_queue_is_empty()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(RenewedLease));

        await RenewForTwiceTheLeaseAsync(async () => Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true)));

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Publishing_does_not_renew_the_lease()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(ShortLease));

        var gone = false;
        for (var attempt = 0; attempt < 40 && !gone; attempt++)
        {
            await SendAsync("", queue, "m");
            await Task.Delay(ShortLease / 3);
            gone = attempt % 10 == 9 && !await QueueExistsAsync(queue);
        }

        Assert.True(gone, "the queue should expire although messages kept arriving");
    }

    [Fact]
    public async Task Messages_of_an_expired_queue_are_not_dead_lettered()
    {
        var dlx = await DeclareExchangeAsync("fanout");
        var target = await DeclareQueueAsync();
        await Channel.QueueBindAsync(target, dlx, "");
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?>
        {
            ["x-expires"] = SetupLease,
            ["x-dead-letter-exchange"] = dlx,
        });
        await SendManyAsync(queue, "1", "2");

        await WaitUntilExpiredAsync(queue, SetupLease);

        Assert.Empty(await DrainAsync(target));
    }

    [Fact]
    public async Task Queue_declared_again_after_expiry_is_a_new_empty_queue()
    {
        var queue = await DeclareQueueAsync(arguments: Expires(ShortLease));
        await SendManyAsync(queue, "1", "2");
        await WaitUntilExpiredAsync(queue);

        var ok = await Channel.QueueDeclareAsync(queue, false, false, false, Expires(ShortLease * 100));

        Assert.Equal((0u, 0u), (ok.MessageCount, ok.ConsumerCount));
    }

    [Theory]
    [InlineData(0, "{value_zero,0}")]
    [InlineData(-1, "{value_negative,-1}")]
    public async Task Declare_with_non_positive_expires_is_precondition_failed(int expires, string reason)
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-expires' for queue '{queue}' in vhost '/': {reason}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, Expires(expires)));
    }
}
