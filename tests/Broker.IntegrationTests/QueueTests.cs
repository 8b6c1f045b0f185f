using System.Text.RegularExpressions;
using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

public sealed partial class QueueTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static string Locked(string queue) =>
        $"RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '{queue}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.";

    [GeneratedRegex("^amq\\.gen-[A-Za-z0-9_-]{22}$")]
    private static partial Regex ServerNamedQueue();

    [Fact]
    public async Task Declare_with_empty_name_gets_a_server_generated_amq_gen_name()
    {
        var first = await Channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        var second = await Channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);

        Assert.Matches(ServerNamedQueue(), first.QueueName);
        Assert.Matches(ServerNamedQueue(), second.QueueName);
        Assert.NotEqual(first.QueueName, second.QueueName);
        Assert.Equal((0u, 0u), (first.MessageCount, first.ConsumerCount));
    }

    [Fact]
    public async Task Declare_ok_reports_ready_messages_and_consumers()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        var other = await Connection.CreateChannelAsync();
        await other.ConsumeAsync(queue, consumerTag: "c1");
        await other.ConsumeAsync(queue, consumerTag: "c2");

        // The consumers take the three messages (unacked), so they are no longer counted as ready.
        await Amqp.EventuallyAsync(async () => (await Channel.QueueDeclarePassiveAsync(queue)).MessageCount == 0, "messages delivered");
        var ok = await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);

        Assert.Equal((queue, 0u, 2u), (ok.QueueName, ok.MessageCount, ok.ConsumerCount));
    }

    [Fact]
    public async Task Declare_ok_counts_ready_messages_without_consumers()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");

        var passive = await Channel.QueueDeclarePassiveAsync(queue);
        var active = await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);

        Assert.Equal((3u, 0u), (passive.MessageCount, passive.ConsumerCount));
        Assert.Equal((3u, 0u), (active.MessageCount, active.ConsumerCount));
    }

    [Fact]
    public async Task Durable_queue_can_be_declared_and_found()
    {
        var queue = QueueName();

        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        var ok = await Channel.QueueDeclarePassiveAsync(queue);

        Assert.Equal(queue, ok.QueueName);
    }

    [Fact]
    public async Task Passive_declare_of_missing_queue_is_not_found()
    {
        var queue = QueueName();

        var reason = await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{queue}' in vhost '/'", () => Channel.QueueDeclarePassiveAsync(queue));

        Assert.Equal((50, 10), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Declare_with_reserved_amq_prefix_is_access_refused()
    {
        var queue = $"amq.test-{Guid.NewGuid():N}";

        await Channel.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - queue name '{queue}' contains reserved prefix 'amq.*'",
            () => Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_with_same_properties_is_ok()
    {
        var args = new Dictionary<string, object?> { ["x-message-ttl"] = 60000 };
        var queue = await DeclareQueueAsync(arguments: args);

        var ok = await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false, arguments: args);

        Assert.Equal(queue, ok.QueueName);
    }

    [Fact]
    public async Task Redeclare_with_different_durable_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'durable' for queue '{queue}' in vhost '/': received 'true' but current is 'false'",
            () => Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_with_different_auto_delete_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '{queue}' in vhost '/': received 'true' but current is 'false'",
            () => Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true));
    }

    [Fact]
    public async Task Redeclare_exclusive_queue_as_non_exclusive_on_the_same_connection_is_resource_locked()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false);

        await Channel.AssertChannelErrorAsync(405, Locked(queue), () => Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_non_exclusive_queue_as_exclusive_is_resource_locked()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(405, Locked(queue), () => Channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_with_different_argument_value_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-message-ttl"] = 1000 });

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '{queue}' in vhost '/': received '2000' but current is '1000'",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-message-ttl"] = 2000 }));
    }

    [Fact]
    public async Task Redeclare_without_an_argument_that_was_set_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-message-ttl"] = 1000 });

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '{queue}' in vhost '/': received none but current is the value '1000' of type 'signedint'",
            () => Channel.QueueDeclareAsync(queue, false, false, false));
    }

    [Fact]
    public async Task Redeclare_with_an_argument_that_was_not_set_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '{queue}' in vhost '/': received the value '10' of type 'signedint' but current is none",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-max-length"] = 10 }));
    }

    [Fact]
    public async Task Redeclare_with_same_argument_value_of_another_integer_type_is_ok()
    {
        // Equivalence compares integer arguments by type class, so int 1000 equals long 1000.
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-message-ttl"] = 1000 });

        await Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-message-ttl"] = 1000L });

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Redeclare_with_a_different_unknown_argument_is_ok()
    {
        // Only the arguments RabbitMQ knows take part in equivalence.
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-custom"] = "a" });

        await Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-custom"] = "b" });

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Declare_with_wrongly_typed_argument_is_precondition_failed()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '{queue}' in vhost '/': \"expected integer, got longstr\"",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-max-length"] = "ten" }));
    }

    [Fact]
    public async Task Declare_with_negative_length_limit_is_precondition_failed()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '{queue}' in vhost '/': {{value_negative,-1}}",
            () => Channel.QueueDeclareAsync(queue, false, false, false, new Dictionary<string, object?> { ["x-max-length"] = -1 }));
    }

    [Fact]
    public async Task Max_length_argument_drops_from_the_head()
    {
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-max-length"] = 2 });

        await SendManyAsync(queue, "1", "2", "3");

        Assert.Equal(2u, await Channel.ReadyCountAsync(queue));
        Assert.Equal("2", Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
        Assert.Equal("3", Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
    }

    [Fact]
    public async Task Exclusive_queue_is_usable_from_another_channel_of_the_same_connection()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false);
        var other = await Connection.CreateChannelAsync();

        await other.PublishAsync("", queue, "hi");
        var consumer = await other.ConsumeAsync(queue, autoAck: true);

        Assert.Equal("hi", (await consumer.NextAsync()).Text);
    }

    public enum ForeignOperation
    {
        Declare,
        DeclarePassive,
        Consume,
        Bind,
        Unbind,
        Purge,
        Delete,
        Get,
    }

    [Theory]
    [InlineData(ForeignOperation.Declare)]
    [InlineData(ForeignOperation.DeclarePassive)]
    [InlineData(ForeignOperation.Consume)]
    [InlineData(ForeignOperation.Bind)]
    [InlineData(ForeignOperation.Unbind)]
    [InlineData(ForeignOperation.Purge)]
    [InlineData(ForeignOperation.Delete)]
    [InlineData(ForeignOperation.Get)]
    public async Task Exclusive_queue_used_from_another_connection_is_resource_locked(ForeignOperation operation)
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false);
        await Channel.QueueBindAsync(queue, "amq.direct", queue);
        var foreign = await (await ConnectAsync()).CreateChannelAsync();

        Func<Task> action = operation switch
        {
            ForeignOperation.Declare => () => foreign.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false),
            ForeignOperation.DeclarePassive => () => foreign.QueueDeclarePassiveAsync(queue),
            ForeignOperation.Consume => () => foreign.BasicConsumeAsync(queue, true, new CollectingConsumer(foreign)),
            ForeignOperation.Bind => () => foreign.QueueBindAsync(queue, "amq.fanout", ""),
            ForeignOperation.Unbind => () => foreign.QueueUnbindAsync(queue, "amq.direct", queue),
            ForeignOperation.Purge => () => foreign.QueuePurgeAsync(queue),
            ForeignOperation.Delete => () => foreign.QueueDeleteAsync(queue),
            ForeignOperation.Get => () => foreign.BasicGetAsync(queue, true),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };

        await foreign.AssertChannelErrorAsync(405, Locked(queue), action);
        Assert.True(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Exclusive_queue_is_deleted_when_its_connection_closes()
    {
        var owner = await ConnectAsync();
        var channel = await owner.CreateChannelAsync();
        var queue = QueueName();
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false);
        Assert.True(await QueueExistsAsync(queue));

        await owner.CloseAsync();

        await Amqp.EventuallyAsync(async () => !await QueueExistsAsync(queue), "exclusive queue deleted with its connection");
    }

    [Fact]
    public async Task Exclusive_queue_survives_closing_the_channel_that_declared_it()
    {
        var channel = await Connection.CreateChannelAsync();
        var queue = QueueName();
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false);

        await channel.CloseAsync();

        Assert.True(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Auto_delete_queue_is_not_deleted_before_it_had_a_consumer()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        await SendAsync("", queue, "m");

        Assert.True(await QueueExistsAsync(queue));
        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Auto_delete_queue_is_deleted_when_its_last_consumer_cancels()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        var consumerChannel = await Connection.CreateChannelAsync();
        await consumerChannel.ConsumeAsync(queue, consumerTag: "first");
        await consumerChannel.ConsumeAsync(queue, consumerTag: "second");

        await consumerChannel.BasicCancelAsync("first");
        Assert.True(await QueueExistsAsync(queue));
        await consumerChannel.BasicCancelAsync("second");

        await Amqp.EventuallyAsync(async () => !await QueueExistsAsync(queue), "auto-delete queue deleted after its last consumer");
    }

    [Fact]
    public async Task Auto_delete_queue_is_deleted_when_the_consumer_channel_closes()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        var consumerChannel = await Connection.CreateChannelAsync();
        await consumerChannel.ConsumeAsync(queue);

        await consumerChannel.CloseAsync();

        await Amqp.EventuallyAsync(async () => !await QueueExistsAsync(queue), "auto-delete queue deleted when its consumer's channel closed");
    }

    [Fact]
    public async Task Bind_to_missing_queue_is_not_found()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{queue}' in vhost '/'", () => Channel.QueueBindAsync(queue, "amq.direct", "k"));
    }

    [Fact]
    public async Task Bind_to_missing_exchange_is_not_found()
    {
        var queue = await DeclareQueueAsync();
        var exchange = ExchangeName();

        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no exchange '{exchange}' in vhost '/'", () => Channel.QueueBindAsync(queue, exchange, "k"));
    }

    [Fact]
    public async Task Bind_with_queue_and_exchange_missing_names_the_exchange()
    {
        var queue = QueueName();
        var exchange = ExchangeName();

        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no exchange '{exchange}' in vhost '/'", () => Channel.QueueBindAsync(queue, exchange, "k"));
    }

    [Fact]
    public async Task Bind_to_the_default_exchange_is_access_refused()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(403, "ACCESS_REFUSED - operation not permitted on the default exchange", () => Channel.QueueBindAsync(queue, "", "k"));
    }

    [Fact]
    public async Task Unbind_from_the_default_exchange_is_access_refused()
    {
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(403, "ACCESS_REFUSED - operation not permitted on the default exchange", () => Channel.QueueUnbindAsync(queue, "", queue));
    }

    [Fact]
    public async Task Bind_is_idempotent()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var queue = await DeclareQueueAsync();

        await Channel.QueueBindAsync(queue, exchange, "k");
        await Channel.QueueBindAsync(queue, exchange, "k");
        await Channel.PublishAsync(exchange, "k", "once");

        Assert.Equal(["once"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Unbind_stops_routing_and_is_idempotent()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, "k");

        await Channel.QueueUnbindAsync(queue, exchange, "k");
        await Channel.QueueUnbindAsync(queue, exchange, "k");
        await Channel.QueueUnbindAsync(queue, exchange, "never-bound");
        await Channel.PublishAsync(exchange, "k", "not routed");

        Assert.Empty(await DrainAsync(queue));
    }

    [Fact]
    public async Task Unbind_with_missing_queue_is_ok()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);

        await Channel.QueueUnbindAsync(QueueName(), exchange, "k");

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Unbind_with_missing_exchange_is_ok()
    {
        var queue = await DeclareQueueAsync();

        await Channel.QueueUnbindAsync(queue, ExchangeName(), "k");

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Purge_returns_the_number_of_ready_messages_and_leaves_unacked_ones()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3", "4");
        var holder = await Connection.CreateChannelAsync();
        var unacked = await holder.GetRequiredAsync(queue, autoAck: false);
        Assert.Equal("1", Amqp.Text(unacked.Body));

        var purged = await Channel.QueuePurgeAsync(queue);

        Assert.Equal(3u, purged);
        Assert.Equal(0u, await Channel.ReadyCountAsync(queue));
        await holder.CloseAsync();
        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Purge_of_empty_queue_returns_zero()
    {
        var queue = await DeclareQueueAsync();

        Assert.Equal(0u, await Channel.QueuePurgeAsync(queue));
    }

    [Fact]
    public async Task Purge_of_missing_queue_is_not_found()
    {
        var queue = QueueName();

        await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no queue '{queue}' in vhost '/'", () => Channel.QueuePurgeAsync(queue));
    }

    [Fact]
    public async Task Delete_returns_the_number_of_ready_messages()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");

        var deleted = await Channel.QueueDeleteAsync(queue);

        Assert.Equal(3u, deleted);
        Assert.False(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Delete_count_excludes_unacked_messages()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2", "3");
        var holder = await Connection.CreateChannelAsync();
        await holder.GetRequiredAsync(queue, autoAck: false);

        var deleted = await Channel.QueueDeleteAsync(queue);

        Assert.Equal(2u, deleted);
    }

    [Fact]
    public async Task Delete_if_unused_with_a_consumer_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();
        var consumerChannel = await Connection.CreateChannelAsync();
        await consumerChannel.ConsumeAsync(queue);

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - queue '{queue}' in vhost '/' in use", () => Channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: false));
        Assert.True(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Delete_if_empty_with_messages_is_precondition_failed()
    {
        var queue = await DeclareQueueAsync();
        await SendAsync("", queue, "m");

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - queue '{queue}' in vhost '/' not empty", () => Channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: true));
        Assert.True(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Delete_if_unused_and_if_empty_on_an_idle_empty_queue_deletes()
    {
        var queue = await DeclareQueueAsync();

        var deleted = await Channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: true);

        Assert.Equal(0u, deleted);
        Assert.False(await QueueExistsAsync(queue));
    }

    [Fact]
    public async Task Delete_of_missing_queue_returns_zero()
    {
        var queue = QueueName();

        Assert.Equal(0u, await Channel.QueueDeleteAsync(queue));
        Assert.Equal(0u, await Channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: true));
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Deleting_a_queue_removes_its_bindings()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, "");
        await Channel.QueueDeleteAsync(queue);
        await Channel.QueueDeclareAsync(queue, false, false, false);

        await Channel.PublishAsync(exchange, "", "after recreate");

        Assert.Empty(await DrainAsync(queue));
    }

    [Fact]
    public async Task Empty_queue_name_in_bind_means_the_last_declared_queue()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var declared = await Channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: false);

        await Channel.QueueBindAsync("", exchange, "k");
        await Channel.PublishAsync(exchange, "k", "to the last declared queue");

        Assert.Equal(["to the last declared queue"], await DrainAsync(declared.QueueName));
    }

    [Fact]
    public async Task Empty_queue_name_in_consume_means_the_last_declared_queue()
    {
        var declared = await Channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: false);
        await Channel.PublishAsync("", declared.QueueName, "hello");

        var consumer = await Channel.ConsumeAsync("", autoAck: true);

        Assert.Equal("hello", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Empty_queue_name_in_purge_means_the_last_declared_queue()
    {
        var queue = await DeclareQueueAsync();
        await SendManyAsync(queue, "1", "2");

        Assert.Equal(2u, await Channel.QueuePurgeAsync(""));
    }

    [Fact]
    public async Task Empty_queue_name_follows_the_most_recent_declare_including_passive()
    {
        var first = await DeclareQueueAsync();
        var second = await DeclareQueueAsync();
        await SendManyAsync(first, "a");
        await Channel.QueueDeclarePassiveAsync(first);

        Assert.Equal(1u, await Channel.QueuePurgeAsync(""));
        Assert.True(await QueueExistsAsync(second));
    }

    [Fact]
    public async Task Empty_queue_name_without_a_previous_declare_is_not_found_in_bind()
    {
        var channel = await Connection.CreateChannelAsync();

        await channel.AssertChannelErrorAsync(404, "NOT_FOUND - no previously declared queue", () => channel.QueueBindAsync("", "amq.direct", "k"));
    }

    [Fact]
    public async Task Empty_queue_name_without_a_previous_declare_is_not_found_in_consume()
    {
        var channel = await Connection.CreateChannelAsync();

        await channel.AssertChannelErrorAsync(404, "NOT_FOUND - no previously declared queue", () => channel.ConsumeAsync(""));
    }

    [Fact]
    public async Task Empty_queue_name_is_per_channel()
    {
        await Channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: false);
        var other = await Connection.CreateChannelAsync();

        await other.AssertChannelErrorAsync(404, "NOT_FOUND - no previously declared queue", () => other.QueuePurgeAsync(""));
    }
}
