using System.Text;
using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;

namespace Broker.IntegrationTests.Compatibility;

/// <summary>
/// What an application sees change when RabbitMQ goes from 3.13 to 4.x (4.3): the same scenarios run under
/// --compat 3.13 (<see cref="Compat313Tests"/>, also against the RabbitMQ 3.10 reference) and --compat 4
/// (<see cref="Compat4Tests"/>), each asserting its release's outcome. Sources of each 4.x behaviour are
/// cited in Broker.Engine's CompatibilityProfile.
/// </summary>
public abstract class CompatibilityTests(BrokerFixture fixture, bool rabbitMq4) : BrokerTestBase(fixture)
{
    /// <summary>What a 4.3 node sends, cut at 255 characters by its reply-text formatting.</summary>
    private const string TransientNonExclusiveRefusal =
        "INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated.\n"
        + "By default, this feature is not permitted anymore.\n"
        + "The feature will be removed from a future major RabbitMQ version, regardless of the configuration; actual version to be determined.\n"
        + "To...";

    private const string MasterLocatorRefusal =
        "INTERNAL_ERROR - Feature `queue_master_locator` is deprecated.\n"
        + "By default, this feature is not permitted anymore.\n"
        + "The feature will be removed from a future major RabbitMQ version, regardless of the configuration; actual version to be determined.\n"
        + "To con...";

    protected bool RabbitMq4 { get; } = rabbitMq4;

    protected async Task TransientNonExclusiveQueueAsync()
    {
        var name = QueueName("transient");
        if (!RabbitMq4)
        {
            await Channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false);
            Assert.True(await QueueExistsAsync(name));
            return;
        }

        var reason = await Connection.AssertConnectionErrorAsync(541, TransientNonExclusiveRefusal,
            () => Channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false));
        Assert.Equal((50, 10), (reason.ClassId, reason.MethodId));

        // Durable, or exclusive, or both: still declared.
        var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(QueueName("durable"), durable: true, exclusive: false, autoDelete: true);
        await channel.QueueDeclareAsync(QueueName("exclusive"), durable: false, exclusive: true, autoDelete: false);
        await channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{name}' in vhost '/'", () => channel.QueueDeclarePassiveAsync(name));
    }

    protected async Task ServerNamedTransientQueueAsync()
    {
        if (!RabbitMq4)
        {
            var declared = await Channel.QueueDeclareAsync("", durable: false, exclusive: false, autoDelete: true);
            TrackQueue(declared.QueueName);
            Assert.StartsWith("amq.gen-", declared.QueueName, StringComparison.Ordinal);
            return;
        }

        await Connection.AssertConnectionErrorAsync(541, TransientNonExclusiveRefusal,
            () => Channel.QueueDeclareAsync("", durable: false, exclusive: false, autoDelete: true));
    }

    protected async Task NonDurableQuorumQueueAsync()
    {
        var name = QueueName("qq");
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        if (!RabbitMq4)
        {
            await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid property 'non-durable' for queue '{name}' in vhost '/'",
                () => Channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false, quorum));
            return;
        }

        // 4.3 checks the durable/exclusive combination before the queue type's own checks.
        await Connection.AssertConnectionErrorAsync(541, TransientNonExclusiveRefusal,
            () => Channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false, quorum));
    }

    protected async Task GlobalQosAsync()
    {
        var first = await DurableQueueWithAsync("a1", "a2");
        var second = await DurableQueueWithAsync("b1", "b2");
        await Channel.BasicQosAsync(0, 1, global: true);

        var a = await Channel.ConsumeAsync(first);
        var b = await Channel.ConsumeAsync(second);

        // 3.13: one unacked delivery for the whole channel. 4.x: one per consumer.
        var delivered = new List<string> { (await a.NextAsync()).Text };
        if (RabbitMq4)
        {
            delivered.Add((await b.NextAsync()).Text);
            Assert.Equal(["a1", "b1"], delivered);
        }
        else
        {
            await Task.Delay(Wait.Quiet);
            Assert.Equal(["a1"], delivered);
        }

        await a.AssertNoMoreAsync();
        await b.AssertNoMoreAsync();
    }

    protected async Task GlobalQosOnQuorumQueueAsync()
    {
        var queue = QueueName("qq");
        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await SendAsync("", queue, "m");
        await Channel.BasicQosAsync(0, 10, global: true);

        if (!RabbitMq4)
        {
            await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - queue '{queue}' in vhost '/' does not support global qos",
                () => Channel.ConsumeAsync(queue));
            return;
        }

        var consumer = await Channel.ConsumeAsync(queue);
        Assert.Equal("m", (await consumer.NextAsync()).Text);
    }

    protected async Task QuorumDeliveryLimitAsync()
    {
        var deadLetters = QueueName("dlq");
        await Channel.QueueDeclareAsync(deadLetters, durable: true, exclusive: false, autoDelete: false);
        var queue = QueueName("qq");
        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = deadLetters,
        });
        await SendAsync("", queue, "poison");

        var deliveries = await RejectUntilGoneAsync(queue, 25);

        if (!RabbitMq4)
        {
            // No limit: still there after 25 deliveries.
            Assert.Equal(25, deliveries);
            await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 1, "the last return is counted");
            Assert.Equal(0u, await Channel.ReadyCountAsync(deadLetters));
            return;
        }

        // Limit 20: the 21st return is one too many, and the message is dead-lettered.
        Assert.Equal(21, deliveries);
        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(deadLetters) == 1, "the message is dead-lettered");
        var dead = await Channel.GetRequiredAsync(deadLetters, autoAck: true);
        Assert.Equal("poison", Amqp.Text(dead.Body));
        Assert.Equal("delivery_limit", Assert.Single(dead.BasicProperties.XDeaths()).Reason);
    }

    protected async Task NegativeDeliveryLimitAsync()
    {
        var queue = QueueName("qq");
        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-delivery-limit"] = -1,
        });
        await SendManyAsync(queue, "m", "next");

        // 4.x: -1 is no limit. 3.13: every return is past it, so the first one drops the message.
        if (RabbitMq4)
        {
            Assert.Equal(25, await RejectUntilGoneAsync(queue, 25));
            await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 2, "the last return is counted");
            return;
        }

        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: true);
        Assert.Equal("next", Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    protected async Task MaxMessageSizeAsync()
    {
        var queue = QueueName("big");
        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        var body = new byte[(16 * 1024 * 1024) + 1];

        if (!RabbitMq4)
        {
            // 128 MiB by default.
            await SendAsync("", queue, Encoding.ASCII.GetString(body));
            Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
            return;
        }

        await using var channel = await Connection.CreateChannelAsync();
        var reason = await channel.AssertAsyncChannelErrorAsync(406, "PRECONDITION_FAILED - message size 16777217 is larger than configured max size 16777216",
            () => channel.BasicPublishAsync("", queue, body).AsTask());
        Assert.Equal((60, 40), (reason.ClassId, reason.MethodId));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    protected async Task SmallFrameMaxAsync()
    {
        if (!RabbitMq4)
        {
            await using var accepted = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { FrameMax = 4096 });
            await accepted.OpenChannelAsync(1);
            return;
        }

        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { FrameMax = 4096, Open = false });
        var close = await raw.ExpectConnectionCloseAsync();
        Amqp.AssertReply(530, "NOT_ALLOWED - negotiated frame_max = 4096 is lower than the minimum allowed value (8192)", close.ReplyCode, close.ReplyText);
        Assert.Equal((10, 31), (close.ClassId, close.MethodId));
    }

    protected async Task QueueMasterLocatorAsync()
    {
        var name = QueueName("locator");
        var arguments = new Dictionary<string, object?> { ["x-queue-master-locator"] = "min-masters" };
        if (!RabbitMq4)
        {
            await Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments);
            Assert.True(await QueueExistsAsync(name));
            return;
        }

        await Connection.AssertConnectionErrorAsync(541, MasterLocatorRefusal,
            () => Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments));
    }

    protected async Task ClassicQueueVersion1Async()
    {
        var name = QueueName("v1");
        var arguments = new Dictionary<string, object?> { ["x-queue-version"] = 1 };
        if (!RabbitMq4)
        {
            await Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments);
            Assert.True(await QueueExistsAsync(name));
            return;
        }

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid arg 'x-queue-version' for queue '{name}' in vhost '/': \"unsupported queue version '1'\"",
            () => Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments));
    }

    private async Task<string> DurableQueueWithAsync(params string[] bodies)
    {
        var name = QueueName();
        await Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false);
        await SendManyAsync(name, bodies);
        return name;
    }

    /// <summary>Gets and rejects (requeue) the queue's message until it is gone or <paramref name="most"/> times; returns how often it came.</summary>
    private async Task<int> RejectUntilGoneAsync(string queue, int most)
    {
        var deliveries = 0;
        while (deliveries < most && await Channel.BasicGetAsync(queue, autoAck: false) is { } got)
        {
            deliveries++;
            await Channel.BasicRejectAsync(got.DeliveryTag, requeue: true);
        }

        return deliveries;
    }
}
