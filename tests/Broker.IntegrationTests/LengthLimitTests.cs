using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests;

/// <summary>
/// x-max-length and x-max-length-bytes with the three overflow behaviours of classic queues: drop-head
/// (the default), reject-publish and reject-publish-dlx. Only ready messages count; bytes are body bytes.
/// </summary>
public sealed class LengthLimitTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static readonly CreateChannelOptions Tracked = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private static Dictionary<string, object?> MaxLength(int length, string? overflow = null)
    {
        var args = new Dictionary<string, object?> { ["x-max-length"] = length };
        if (overflow is not null)
        {
            args["x-overflow"] = overflow;
        }

        return args;
    }

    private static Dictionary<string, object?> MaxBytes(int bytes, string? overflow = null)
    {
        var args = new Dictionary<string, object?> { ["x-max-length-bytes"] = bytes };
        if (overflow is not null)
        {
            args["x-overflow"] = overflow;
        }

        return args;
    }

    /// <summary>Takes every ready message with basic.get (no ack) and returns the bodies in order.</summary>
    private async Task<List<string>> GetAllAsync(string queue)
    {
        var bodies = new List<string>();
        while (await Channel.BasicGetAsync(queue, autoAck: true) is { } got)
        {
            bodies.Add(Amqp.Text(got.Body));
        }

        return bodies;
    }

    /// <summary>Declares a fanout dead-letter exchange with one queue bound to it; returns both names.</summary>
    private async Task<(string Exchange, string Queue)> DeadLetterTargetAsync()
    {
        var exchange = await DeclareExchangeAsync("fanout");
        var queue = await DeclareQueueAsync(prefix: "dlq");
        await Channel.QueueBindAsync(queue, exchange, "");
        return (exchange, queue);
    }

    [Fact]
    public async Task Drop_head_keeps_the_count_at_the_limit_and_keeps_the_newest()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(3));

        await SendManyAsync(queue, [.. Enumerable.Range(1, 10).Select(i => i.ToString())]);

        Assert.Equal(3u, await Channel.ReadyCountAsync(queue));
        Assert.Equal(["8", "9", "10"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Drop_head_is_the_default_and_explicit_drop_head_behaves_the_same()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "drop-head"));

        await SendManyAsync(queue, "old", "new");

        Assert.Equal(["new"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Drop_head_publishes_are_all_confirmed_with_acks()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1));
        var channel = await Connection.CreateChannelAsync(Tracked);

        for (var i = 0; i < 5; i++)
        {
            await channel.PublishAsync("", queue, i.ToString());
        }

        Assert.Equal(["4"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Max_length_bytes_counts_body_bytes_and_drops_from_the_head()
    {
        var queue = await DeclareQueueAsync(arguments: MaxBytes(10));

        await SendManyAsync(queue, "12345", "67890", "abc");

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
        Assert.Equal(["67890", "abc"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_queue_left_over_its_limit_by_a_requeue_keeps_every_message_while_it_drains()
    {
        // More than a queue keeps in memory, so draining reads the rest back from the queue's store.
        const int limit = 20_000;
        var queue = await DeclareQueueAsync(arguments: MaxLength(limit, "reject-publish"));
        await using var publisher = await NewChannelAsync(Tracked);
        await PublishNumberedAsync(publisher, queue, 0, limit);

        // Take 12,000 unacknowledged, fill their room, then give them back: 12,000 over the limit, more
        // than the queue delivers before it next reads from its store.
        const int taken = 12_000;
        var taker = await NewChannelAsync();
        await taker.BasicQosAsync(0, taken, false);
        var holding = await taker.ConsumeAsync(queue);
        await holding.NextAsync(taken);
        await PublishNumberedAsync(publisher, queue, limit, taken);
        await taker.CloseAsync();
        Assert.Equal((uint)(limit + taken), await Channel.ReadyCountAsync(queue));

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var received = 0;
        while (received < limit + taken)
        {
            await consumer.NextAsync();
            received++;
        }

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    private static async Task PublishNumberedAsync(IChannel publisher, string queue, int from, int count)
    {
        var pending = new List<Task>(1000);
        for (var i = from; i < from + count; i++)
        {
            pending.Add(publisher.BasicPublishAsync("", queue, Amqp.Body(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).AsTask());
            if (pending.Count == pending.Capacity)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    [Fact]
    public async Task Max_length_bytes_accepts_a_body_exactly_at_the_limit()
    {
        var queue = await DeclareQueueAsync(arguments: MaxBytes(10));

        await SendManyAsync(queue, "12345", "67890");

        Assert.Equal(["12345", "67890"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Max_length_bytes_ignores_headers_and_properties()
    {
        var queue = await DeclareQueueAsync(arguments: MaxBytes(10));
        var properties = new BasicProperties
        {
            Headers = new Dictionary<string, object?> { ["big"] = new string('h', 1000) },
            CorrelationId = new string('c', 200),
        };

        await SendAsync("", queue, "1234", properties);
        await SendAsync("", queue, "5678", properties);

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Message_larger_than_max_length_bytes_is_dropped_along_with_the_head()
    {
        var queue = await DeclareQueueAsync(arguments: MaxBytes(10));
        await SendAsync("", queue, "12345");

        await SendAsync("", queue, "0123456789A");

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Whichever_of_length_and_bytes_is_exceeded_drops_the_head()
    {
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-max-length"] = 3, ["x-max-length-bytes"] = 10 });

        await SendManyAsync(queue, "a", "b", "c", "d");
        Assert.Equal(["b", "c", "d"], await GetAllAsync(queue));

        await SendManyAsync(queue, "1234", "5678", "90");
        Assert.Equal(["1234", "5678", "90"], await GetAllAsync(queue));

        await SendManyAsync(queue, "1234", "5678", "901");
        Assert.Equal(["5678", "901"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_nacks_the_overflowing_message_and_does_not_enqueue_it()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(2, "reject-publish"));
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "1");
        await channel.PublishAsync("", queue, "2");

        var ex = await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "3").AsTask());

        Assert.False(ex.IsReturn);
        Assert.True(channel.IsOpen);
        Assert.Equal(["1", "2"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_accepts_again_once_a_message_is_taken()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "reject-publish"));
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "1");
        await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "2").AsTask());

        await Channel.GetRequiredAsync(queue, autoAck: true);
        await channel.PublishAsync("", queue, "3");

        Assert.Equal(["3"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_without_confirms_drops_the_message_silently()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "reject-publish"));
        await SendAsync("", queue, "fits");

        await Channel.PublishAsync("", queue, "overflows");

        // basic.get on the publishing channel reaches the queue after the publish did.
        var got = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal(("fits", 0u), (Amqp.Text(got.Body), got.MessageCount));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Reject_publish_does_not_return_a_mandatory_message()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "reject-publish"));
        var channel = await Connection.CreateChannelAsync(Tracked);
        var returns = new List<string>();
        channel.BasicReturnAsync += (_, e) =>
        {
            lock (returns)
            {
                returns.Add(e.RoutingKey);
            }

            return Task.CompletedTask;
        };
        await channel.PublishAsync("", queue, "fits", mandatory: true);

        var rejected = await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "overflows", mandatory: true).AsTask());
        var unroutable = QueueName("missing");
        var returned = await Assert.ThrowsAsync<PublishReturnException>(() => channel.PublishAsync("", unroutable, "unroutable", mandatory: true).AsTask());

        Assert.False(rejected.IsReturn);
        Assert.True(returned.IsReturn);
        lock (returns)
        {
            Assert.Equal([unroutable], returns);
        }
    }

    [Fact]
    public async Task Reject_publish_applies_to_max_length_bytes()
    {
        var queue = await DeclareQueueAsync(arguments: MaxBytes(10, "reject-publish"));
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "123456");

        await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "78901").AsTask());
        await channel.PublishAsync("", queue, "7890");

        Assert.Equal(["123456", "7890"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_does_not_dead_letter_the_rejected_message()
    {
        var (dlx, dlq) = await DeadLetterTargetAsync();
        var args = MaxLength(1, "reject-publish");
        args["x-dead-letter-exchange"] = dlx;
        var queue = await DeclareQueueAsync(arguments: args);
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "fits");

        await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "overflows").AsTask());

        Assert.Empty(await DrainAsync(dlq));
    }

    [Fact]
    public async Task Reject_publish_dlx_nacks_and_dead_letters_with_reason_maxlen()
    {
        var (dlx, dlq) = await DeadLetterTargetAsync();
        var args = MaxLength(1, "reject-publish-dlx");
        args["x-dead-letter-exchange"] = dlx;
        var queue = await DeclareQueueAsync(arguments: args);
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "fits");

        var ex = await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "overflows").AsTask());

        Assert.False(ex.IsReturn);
        var consumer = await Channel.ConsumeAsync(dlq, autoAck: true);
        var dead = await consumer.NextAsync();
        Assert.Equal("overflows", dead.Text);
        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal((1L, "maxlen", queue, ""), (death.Count, death.Reason, death.Queue, death.Exchange));
        Assert.Equal([queue], death.RoutingKeys);
        Assert.Equal(["fits"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_dlx_without_a_dlx_just_nacks()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "reject-publish-dlx"));
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "fits");

        await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "overflows").AsTask());

        Assert.Equal(["fits"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Drop_head_dead_letters_the_dropped_messages_with_reason_maxlen()
    {
        var (dlx, dlq) = await DeadLetterTargetAsync();
        var args = MaxLength(1);
        args["x-dead-letter-exchange"] = dlx;
        var queue = await DeclareQueueAsync(arguments: args);

        await SendManyAsync(queue, "1", "2", "3");

        var consumer = await Channel.ConsumeAsync(dlq, autoAck: true);
        var dead = await consumer.NextAsync(2);
        Assert.Equal(["1", "2"], dead.Select(d => d.Text));
        Assert.All(dead, d => Assert.Equal("maxlen", Assert.Single(d.Properties.XDeaths()).Reason));
    }

    [Fact]
    public async Task Unacked_messages_do_not_count_towards_the_limit()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(2));
        var holder = await NewChannelAsync();
        await holder.BasicQosAsync(0, 2, global: false);
        var consumer = await holder.ConsumeAsync(queue);
        await SendManyAsync(queue, "a", "b");
        Assert.Equal(["a", "b"], (await consumer.NextAsync(2)).Select(d => d.Text));

        await SendManyAsync(queue, "c", "d", "e");

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
        Assert.Equal(["d", "e"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Reject_publish_accepts_while_the_only_other_message_is_unacked()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "reject-publish"));
        var channel = await Connection.CreateChannelAsync(Tracked);
        await channel.PublishAsync("", queue, "a");
        await Channel.GetRequiredAsync(queue, autoAck: false);

        await channel.PublishAsync("", queue, "b");

        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Requeue_into_a_full_queue_drops_from_the_head_which_is_the_requeued_message()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(2));
        await SendManyAsync(queue, "a", "b");
        var a = await Channel.GetRequiredAsync(queue, autoAck: false);
        await SendAsync("", queue, "c");

        await Channel.BasicRejectAsync(a.DeliveryTag, requeue: true);

        Assert.Equal(["b", "c"], await GetAllAsync(queue));
    }

    [Fact]
    public async Task Max_length_zero_drops_every_message_when_nobody_consumes()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(0));

        await SendManyAsync(queue, "1", "2");

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Max_length_zero_drop_head_still_delivers_to_a_waiting_consumer()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(0));
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        await SendManyAsync(queue, "1", "2");

        Assert.Equal(["1", "2"], (await consumer.NextAsync(2)).Select(d => d.Text));
    }

    [Fact]
    public async Task Max_length_zero_reject_publish_nacks_even_with_a_waiting_consumer()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(0, "reject-publish"));
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var channel = await Connection.CreateChannelAsync(Tracked);

        await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "m").AsTask());

        Assert.Equal(0, consumer.Pending);
    }

    [Theory]
    [InlineData("foo", "invalid_overflow")]
    [InlineData(1, "{unacceptable_type,signedint}")]
    public async Task Declare_with_invalid_overflow_is_precondition_failed(object overflow, string reason)
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-overflow' for queue '{queue}' in vhost '/': {reason}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-overflow"] = overflow }));
    }

    [Fact]
    public async Task Declare_with_negative_max_length_bytes_is_precondition_failed()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-max-length-bytes' for queue '{queue}' in vhost '/': {{value_negative,-1}}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, MaxBytes(-1)));
    }

    [Fact]
    public async Task Redeclare_with_a_different_overflow_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync(arguments: MaxLength(1, "reject-publish"));

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'x-overflow' for queue '{queue}' in vhost '/': received 'drop-head' but current is 'reject-publish'",
            () => Channel.QueueDeclareAsync(queue, false, false, false, MaxLength(1, "drop-head")));
    }
}
