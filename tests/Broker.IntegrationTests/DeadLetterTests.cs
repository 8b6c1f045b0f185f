using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// Dead-lettering as RabbitMQ 3.10's classic queues do it, configured with declare arguments
/// (x-dead-letter-exchange, x-dead-letter-routing-key): the reasons, the routing, the x-death header and
/// the x-first-death-* headers, and the detection of fully automatic cycles.
/// </summary>
public sealed class DeadLetterTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static Dictionary<string, object?> DeadLetterTo(string exchange, string? routingKey = null)
    {
        var args = new Dictionary<string, object?> { ["x-dead-letter-exchange"] = exchange };
        if (routingKey is not null)
        {
            args["x-dead-letter-routing-key"] = routingKey;
        }

        return args;
    }

    private static Dictionary<string, object?> With(Dictionary<string, object?> args, string key, object? value)
    {
        args[key] = value;
        return args;
    }

    /// <summary>A fanout dead-letter exchange with one queue bound to it.</summary>
    private async Task<(string Exchange, string Queue)> FanoutTargetAsync()
    {
        var exchange = await DeclareExchangeAsync("fanout");
        var queue = await DeclareQueueAsync(prefix: "dlq");
        await Channel.QueueBindAsync(queue, exchange, "");
        return (exchange, queue);
    }

    /// <summary>A queue bound to the exchange with the key.</summary>
    private async Task<string> BoundQueueAsync(string exchange, string key, string prefix = "bound")
    {
        var queue = await DeclareQueueAsync(prefix: prefix);
        await Channel.QueueBindAsync(queue, exchange, key);
        return queue;
    }

    /// <summary>Takes the message at the head of the queue with basic.get (ack) and rejects it without requeue.</summary>
    private async Task RejectHeadAsync(string queue)
    {
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.BasicRejectAsync(got.DeliveryTag, requeue: false);
    }

    private async Task<Delivery> NextDeadLetterAsync(string queue)
    {
        var channel = await NewChannelAsync();
        var consumer = await channel.ConsumeAsync(queue, autoAck: true);
        var delivery = await consumer.NextAsync();
        await channel.CloseAsync();
        return delivery;
    }

    [Fact]
    public async Task Basic_reject_without_requeue_dead_letters_with_reason_rejected()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m");

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(dlq);
        Assert.Equal(("m", dlx, queue, false), (dead.Text, dead.Exchange, dead.RoutingKey, dead.Redelivered));
        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal((1L, "rejected", queue, ""), (death.Count, death.Reason, death.Queue, death.Exchange));
        Assert.Equal([queue], death.RoutingKeys);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Basic_nack_without_requeue_dead_letters_every_message_in_order()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendManyAsync(queue, "1", "2", "3");
        await Channel.BasicQosAsync(0, 3, global: false);
        var consumer = await Channel.ConsumeAsync(queue);
        var deliveries = await consumer.NextAsync(3);

        await Channel.BasicNackAsync(deliveries[^1].DeliveryTag, multiple: true, requeue: false);

        var reader = await (await NewChannelAsync()).ConsumeAsync(dlq, autoAck: true);
        var dead = await reader.NextAsync(3);
        Assert.Equal(["1", "2", "3"], dead.Select(d => d.Text));
        Assert.All(dead, d => Assert.Equal("rejected", Assert.Single(d.Properties.XDeaths()).Reason));
    }

    [Fact]
    public async Task Nack_of_a_basic_get_message_dead_letters_it()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicNackAsync(got.DeliveryTag, multiple: false, requeue: false);

        Assert.Equal("rejected", Assert.Single((await NextDeadLetterAsync(dlq)).Properties.XDeaths()).Reason);
    }

    [Fact]
    public async Task Reject_with_requeue_does_not_dead_letter()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m");
        var got = await Channel.GetRequiredAsync(queue, autoAck: false);

        await Channel.BasicRejectAsync(got.DeliveryTag, requeue: true);

        // basic.get rather than a passive declare: RabbitMQ answers queue.declare with priority, so it may
        // overtake the reject, while basic.get on the same channel is handled after it.
        Assert.True((await Channel.GetRequiredAsync(queue, autoAck: true)).Redelivered);
        Assert.Empty(await DrainAsync(dlq));
    }

    [Fact]
    public async Task Dead_lettered_message_is_delivered_as_new_even_if_it_was_redelivered_before()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m");
        var first = await Channel.GetRequiredAsync(queue, autoAck: false);
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: true);
        var second = await Channel.GetRequiredAsync(queue, autoAck: false);
        Assert.True(second.Redelivered);

        await Channel.BasicRejectAsync(second.DeliveryTag, requeue: false);

        Assert.False((await NextDeadLetterAsync(dlq)).Redelivered);
    }

    [Fact]
    public async Task Queue_ttl_expiry_dead_letters_with_reason_expired_and_no_original_expiration()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: With(DeadLetterTo(dlx), "x-message-ttl", 100));

        await SendAsync("", queue, "m");

        var dead = await NextDeadLetterAsync(dlq);
        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal((1L, "expired", queue, (string?)null), (death.Count, death.Reason, death.Queue, death.OriginalExpiration));
        Assert.DoesNotContain("original-expiration", death.Keys);
        Assert.False(dead.Properties.IsExpirationPresent());
    }

    [Fact]
    public async Task Per_message_expiry_dead_letters_with_original_expiration_and_removes_the_property()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));

        await SendAsync("", queue, "m", new BasicProperties { Expiration = "100" });

        var dead = await NextDeadLetterAsync(dlq);
        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal(("expired", "100"), (death.Reason, death.OriginalExpiration));
        Assert.False(dead.Properties.IsExpirationPresent());
    }

    [Fact]
    public async Task Rejected_message_with_an_expiration_also_gets_original_expiration()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m", new BasicProperties { Expiration = "600000" });

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(dlq);
        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal(("rejected", "600000"), (death.Reason, death.OriginalExpiration));
        Assert.False(dead.Properties.IsExpirationPresent());
    }

    [Fact]
    public async Task X_death_has_exactly_the_documented_fields_and_the_first_death_headers()
    {
        var source = await DeclareExchangeAsync("direct");
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await Channel.QueueBindAsync(queue, source, "k1");
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await SendAsync(source, "k1", "m");

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(dlq);
        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal(["count", "exchange", "queue", "reason", "routing-keys", "time"], death.Keys.Order());
        Assert.Equal((1L, "rejected", queue, source), (death.Count, death.Reason, death.Queue, death.Exchange));
        Assert.Equal(["k1"], death.RoutingKeys);
        Assert.InRange(death.Time.UnixTime, before - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        Assert.Equal("rejected", dead.Properties.HeaderText("x-first-death-reason"));
        Assert.Equal(queue, dead.Properties.HeaderText("x-first-death-queue"));
        Assert.Equal(source, dead.Properties.HeaderText("x-first-death-exchange"));
        Assert.Null(dead.Properties.HeaderText("x-last-death-reason"));
    }

    [Fact]
    public async Task Dead_lettered_message_is_routed_with_its_original_routing_key()
    {
        var source = await DeclareExchangeAsync("direct");
        var dlx = await DeclareExchangeAsync("direct");
        var matching = await BoundQueueAsync(dlx, "k1");
        var other = await BoundQueueAsync(dlx, "other");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await Channel.QueueBindAsync(queue, source, "k1");
        await SendAsync(source, "k1", "m");

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(matching);
        Assert.Equal(("m", dlx, "k1"), (dead.Text, dead.Exchange, dead.RoutingKey));
        Assert.Empty(await DrainAsync(other));
    }

    [Fact]
    public async Task Dead_letter_routing_key_replaces_the_routing_key_but_x_death_keeps_the_original()
    {
        var source = await DeclareExchangeAsync("direct");
        var dlx = await DeclareExchangeAsync("direct");
        var byNewKey = await BoundQueueAsync(dlx, "dead");
        var byOldKey = await BoundQueueAsync(dlx, "k1");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx, "dead"));
        await Channel.QueueBindAsync(queue, source, "k1");
        await SendAsync(source, "k1", "m");

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(byNewKey);
        Assert.Equal(("m", dlx, "dead"), (dead.Text, dead.Exchange, dead.RoutingKey));
        Assert.Equal(["k1"], Assert.Single(dead.Properties.XDeaths()).RoutingKeys);
        Assert.Empty(await DrainAsync(byOldKey));
    }

    [Fact]
    public async Task Dead_lettering_through_the_default_exchange_to_a_named_queue()
    {
        var target = await DeclareQueueAsync(prefix: "dlq");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo("", target));
        await SendAsync("", queue, "m");

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(target);
        Assert.Equal(("m", "", target), (dead.Text, dead.Exchange, dead.RoutingKey));
        Assert.Equal([queue], Assert.Single(dead.Properties.XDeaths()).RoutingKeys);
    }

    [Fact]
    public async Task Cc_keys_are_recorded_in_x_death_and_route_the_dead_lettered_message()
    {
        var source = await DeclareExchangeAsync("direct");
        var dlx = await DeclareExchangeAsync("direct");
        var byKey = await BoundQueueAsync(dlx, "k1");
        var byCc = await BoundQueueAsync(dlx, "k2");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await Channel.QueueBindAsync(queue, source, "k1");
        await SendAsync(source, "k1", "m", new BasicProperties { Headers = new Dictionary<string, object?> { ["CC"] = new List<object?> { "k2" } } });

        await RejectHeadAsync(queue);

        var viaKey = await NextDeadLetterAsync(byKey);
        var viaCc = await NextDeadLetterAsync(byCc);
        Assert.Equal(["k1", "k2"], Assert.Single(viaKey.Properties.XDeaths()).RoutingKeys);
        Assert.Equal(["k2"], viaKey.Properties.HeaderTexts("CC"));
        Assert.Equal(("m", "k1"), (viaCc.Text, viaCc.RoutingKey));
    }

    [Fact]
    public async Task Cc_header_is_removed_when_a_dead_letter_routing_key_is_set()
    {
        var source = await DeclareExchangeAsync("direct");
        var dlx = await DeclareExchangeAsync("direct");
        var byNewKey = await BoundQueueAsync(dlx, "dead");
        var byCc = await BoundQueueAsync(dlx, "k2");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx, "dead"));
        await Channel.QueueBindAsync(queue, source, "k1");
        await SendAsync(source, "k1", "m", new BasicProperties { Headers = new Dictionary<string, object?> { ["CC"] = new List<object?> { "k2" } } });

        await RejectHeadAsync(queue);

        var dead = await NextDeadLetterAsync(byNewKey);
        Assert.Null(dead.Properties.HeaderTexts("CC"));
        Assert.Equal(["k1", "k2"], Assert.Single(dead.Properties.XDeaths()).RoutingKeys);
        Assert.Empty(await DrainAsync(byCc));
    }

    [Fact]
    public async Task Bcc_keys_are_not_recorded_in_x_death_but_still_route_the_dead_lettered_message()
    {
        var source = await DeclareExchangeAsync("direct");
        var dlx = await DeclareExchangeAsync("direct");
        var byKey = await BoundQueueAsync(dlx, "k1");
        var byBcc = await BoundQueueAsync(dlx, "k3");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await Channel.QueueBindAsync(queue, source, "k1");
        await SendAsync(source, "k1", "m", new BasicProperties { Headers = new Dictionary<string, object?> { ["BCC"] = new List<object?> { "k3" } } });

        await RejectHeadAsync(queue);

        var viaKey = await NextDeadLetterAsync(byKey);
        Assert.Equal(["k1"], Assert.Single(viaKey.Properties.XDeaths()).RoutingKeys);
        Assert.Null(viaKey.Properties.HeaderTexts("BCC"));
        Assert.Equal("m", (await NextDeadLetterAsync(byBcc)).Text);
    }

    [Fact]
    public async Task Rejecting_in_a_loop_through_the_same_queue_increments_the_count()
    {
        // The queue dead-letters into itself; cycles that include a rejection are not dropped.
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, false, false, false, DeadLetterTo("", queue));
        await SendAsync("", queue, "m");
        var consumer = await Channel.ConsumeAsync(queue);

        var counts = new List<long?>();
        for (var i = 0; i < 4; i++)
        {
            var delivery = await consumer.NextAsync();
            counts.Add(HasXDeath(delivery.Properties) ? Assert.Single(delivery.Properties.XDeaths()).Count : null);
            if (i < 3)
            {
                await Channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false);
            }
            else
            {
                await Channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            }
        }

        Assert.Equal([null, 1L, 2L, 3L], counts);
    }

    [Fact]
    public async Task Retry_loop_through_a_ttl_queue_keeps_one_entry_per_queue_and_reason_most_recent_first()
    {
        var work = QueueName("work");
        var retry = QueueName("retry");
        await Channel.QueueDeclareAsync(work, false, false, false, DeadLetterTo("", retry));
        await Channel.QueueDeclareAsync(retry, false, false, false, With(DeadLetterTo("", work), "x-message-ttl", 50));
        await SendAsync("", work, "job");
        var consumer = await Channel.ConsumeAsync(work);

        var first = await consumer.NextAsync();
        await Channel.BasicRejectAsync(first.DeliveryTag, requeue: false);
        var second = await consumer.NextAsync();
        await Channel.BasicRejectAsync(second.DeliveryTag, requeue: false);
        var third = await consumer.NextAsync();
        await Channel.BasicAckAsync(third.DeliveryTag, multiple: false);

        Assert.False(HasXDeath(first.Properties));
        Assert.Equal([$"{retry} expired 1 [{retry}]", $"{work} rejected 1 [{work}]"], second.Properties.XDeaths().Select(Describe));
        Assert.Equal([$"{retry} expired 2 [{retry}]", $"{work} rejected 2 [{work}]"], third.Properties.XDeaths().Select(Describe));
        Assert.Equal(("rejected", work, ""), (third.Properties.HeaderText("x-first-death-reason"), third.Properties.HeaderText("x-first-death-queue"), third.Properties.HeaderText("x-first-death-exchange")));
    }

    [Fact]
    public async Task Ttl_queue_dead_lettering_to_itself_drops_the_message()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, false, false, false, With(DeadLetterTo("", queue), "x-message-ttl", 100));

        await SendAsync("", queue, "m");
        await Task.Delay(1000);

        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Automatic_cycle_drops_only_the_route_back_into_the_cycle()
    {
        var dlx = await DeclareExchangeAsync("fanout");
        var observer = await BoundQueueAsync(dlx, "", "observer");
        var queue = await DeclareQueueAsync(arguments: With(DeadLetterTo(dlx), "x-message-ttl", 100));
        await Channel.QueueBindAsync(queue, dlx, "");

        await SendAsync("", queue, "m");
        var dead = await NextDeadLetterAsync(observer);
        await Task.Delay(1000);

        var death = Assert.Single(dead.Properties.XDeaths());
        Assert.Equal((queue, "expired", 1L), (death.Queue, death.Reason, death.Count));
        Assert.Empty(await DrainAsync(observer));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Automatic_cycle_through_two_ttl_queues_is_dropped_when_it_comes_back()
    {
        var dlx = await DeclareExchangeAsync("fanout");
        var observer = await BoundQueueAsync(dlx, "", "observer");
        var second = await DeclareQueueAsync(arguments: With(DeadLetterTo(dlx), "x-message-ttl", 100), prefix: "second");
        var first = await DeclareQueueAsync(arguments: With(DeadLetterTo("", second), "x-message-ttl", 100), prefix: "first");
        await Channel.QueueBindAsync(first, dlx, "");

        await SendAsync("", first, "m");
        var dead = await NextDeadLetterAsync(observer);
        await Task.Delay(1000);

        Assert.Equal([(second, "expired"), (first, "expired")], dead.Properties.XDeaths().Select(d => (d.Queue, d.Reason)));
        Assert.Empty(await DrainAsync(observer));
        Assert.Equal((0u, 0u), (await Channel.ReadyCountAsync(first), await Channel.ReadyCountAsync(second)));
    }

    [Fact]
    public async Task Cycle_with_a_rejection_routes_back_into_the_queue()
    {
        var dlx = await DeclareExchangeAsync("fanout");
        var observer = await BoundQueueAsync(dlx, "", "observer");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await Channel.QueueBindAsync(queue, dlx, "");
        await SendAsync("", queue, "m");

        await RejectHeadAsync(queue);

        Assert.Equal("m", (await NextDeadLetterAsync(observer)).Text);
        var again = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal(("m", "rejected"), (Amqp.Text(again.Body), Assert.Single(again.BasicProperties.XDeaths()).Reason));
    }

    [Fact]
    public async Task Dead_lettering_to_a_missing_exchange_drops_the_message()
    {
        var missing = ExchangeName("missing");
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(missing));
        await SendAsync("", queue, "m");

        await RejectHeadAsync(queue);

        Assert.Null(await Channel.BasicGetAsync(queue, autoAck: true));
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        Assert.False(await ExchangeExistsAsync(missing));
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Expired_messages_with_a_missing_dead_letter_exchange_are_dropped()
    {
        var queue = await DeclareQueueAsync(arguments: With(DeadLetterTo(ExchangeName("missing")), "x-message-ttl", 100));

        await SendManyAsync(queue, "1", "2");

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 0, "expired messages dropped");
    }

    [Fact]
    public async Task Dead_lettered_message_keeps_persistence_and_other_properties()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m", new BasicProperties
        {
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = "id-1",
            CorrelationId = "corr-1",
            ContentType = "text/plain",
            Priority = 3,
            Headers = new Dictionary<string, object?> { ["custom"] = "value" },
        });

        await RejectHeadAsync(queue);

        var p = (await NextDeadLetterAsync(dlq)).Properties;
        Assert.Equal(DeliveryModes.Persistent, p.DeliveryMode);
        Assert.Equal(("id-1", "corr-1", "text/plain", (byte)3), (p.MessageId, p.CorrelationId, p.ContentType, p.Priority));
        Assert.Equal("value", p.HeaderText("custom"));
    }

    [Fact]
    public async Task Purge_and_delete_do_not_dead_letter()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var purged = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        var deleted = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendManyAsync(purged, "1", "2");
        await SendManyAsync(deleted, "3", "4");

        Assert.Equal(2u, await Channel.QueuePurgeAsync(purged));
        Assert.Equal(2u, await Channel.QueueDeleteAsync(deleted));

        Assert.Empty(await DrainAsync(dlq));
    }

    [Fact]
    public async Task Unacked_messages_requeued_by_a_channel_close_are_not_dead_lettered()
    {
        var (dlx, dlq) = await FanoutTargetAsync();
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo(dlx));
        await SendAsync("", queue, "m");
        var holder = await NewChannelAsync();
        await holder.GetRequiredAsync(queue, autoAck: false);

        await holder.CloseAsync();

        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == 1, "the message is requeued");
        Assert.Empty(await DrainAsync(dlq));
    }

    [Fact]
    public async Task Dead_letter_routing_key_without_an_exchange_is_precondition_failed()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue '{queue}' in vhost '/': routing_key_but_no_dlx_defined",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-dead-letter-routing-key"] = "k" }));
    }

    [Fact]
    public async Task Dead_letter_exchange_of_the_wrong_type_is_precondition_failed()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue '{queue}' in vhost '/'",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-dead-letter-exchange"] = 5 }));
    }

    [Fact]
    public async Task Redeclare_with_another_dead_letter_exchange_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync(arguments: DeadLetterTo("a"));

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-exchange' for queue '{queue}' in vhost '/': received 'b' but current is 'a'",
            () => Channel.QueueDeclareAsync(queue, false, false, false, DeadLetterTo("b")));
    }

    // RabbitMQ.Client adds its own x-dotnet-pub-seq-no header on confirm-tracking channels, so "no headers" is not the test.
    private static bool HasXDeath(IReadOnlyBasicProperties properties) => properties.Headers?.ContainsKey("x-death") == true;

    private static string Describe(XDeath death) => $"{death.Queue} {death.Reason} {death.Count} [{string.Join(",", death.RoutingKeys)}]";
}
