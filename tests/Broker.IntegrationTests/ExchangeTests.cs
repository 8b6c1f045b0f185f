using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.IntegrationTests;

public sealed class ExchangeTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData(ExchangeType.Direct)]
    [InlineData(ExchangeType.Fanout)]
    [InlineData(ExchangeType.Topic)]
    [InlineData(ExchangeType.Headers)]
    public async Task Declare_each_type_then_passive_declare_finds_it(string type)
    {
        var name = ExchangeName(type);

        await Channel.ExchangeDeclareAsync(name, type, durable: false, autoDelete: false);

        await Channel.ExchangeDeclarePassiveAsync(name);
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Durable_exchange_can_be_declared_and_redeclared()
    {
        var name = ExchangeName();

        await Channel.ExchangeDeclareAsync(name, ExchangeType.Topic, durable: true, autoDelete: false);
        await Channel.ExchangeDeclareAsync(name, ExchangeType.Topic, durable: true, autoDelete: false);

        await Channel.ExchangeDeclarePassiveAsync(name);
    }

    [Fact]
    public async Task Passive_declare_of_missing_exchange_is_not_found()
    {
        var name = ExchangeName();

        var reason = await Channel.AssertChannelErrorAsync(404, $"NOT_FOUND - no exchange '{name}' in vhost '/'", () => Channel.ExchangeDeclarePassiveAsync(name));

        Assert.Equal((40, 10), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Redeclare_with_different_type_is_precondition_failed()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct);

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'type' for exchange '{name}' in vhost '/': received 'fanout' but current is 'direct'",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: false, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_with_different_durable_is_precondition_failed()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct);

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '{name}' in vhost '/': received 'true' but current is 'false'",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, durable: true, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_with_different_auto_delete_is_precondition_failed()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct);

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'auto_delete' for exchange '{name}' in vhost '/': received 'true' but current is 'false'",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, durable: false, autoDelete: true));
    }

    [Fact]
    public async Task Redeclare_internal_exchange_as_non_internal_is_precondition_failed()
    {
        var name = await DeclareInternalExchangeAsync(ExchangeType.Direct);

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'internal' for exchange '{name}' in vhost '/': received 'false' but current is 'true'",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, durable: false, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_with_different_alternate_exchange_is_precondition_failed()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = "ae1" });

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '{name}' in vhost '/': received 'ae2' but current is 'ae1'",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, false, false, new Dictionary<string, object?> { ["alternate-exchange"] = "ae2" }));
    }

    [Fact]
    public async Task Redeclare_with_other_unknown_arguments_is_accepted()
    {
        // Only alternate-exchange takes part in the equivalence check for exchanges.
        var name = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["x-custom"] = "one" });

        await Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, false, false, new Dictionary<string, object?> { ["x-custom"] = "two" });
        await Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, false, false);

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Declare_with_reserved_amq_prefix_is_access_refused()
    {
        var name = $"amq.test-{Guid.NewGuid():N}";

        await Channel.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - exchange name '{name}' contains reserved prefix 'amq.*'",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, durable: false, autoDelete: false));
    }

    [Fact]
    public async Task Redeclare_of_existing_builtin_exchange_with_same_properties_is_accepted()
    {
        // The amq.* prefix check only applies when the exchange would be created.
        await Channel.ExchangeDeclareAsync("amq.direct", ExchangeType.Direct, durable: true, autoDelete: false);

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Redeclare_of_builtin_exchange_with_another_type_is_precondition_failed()
    {
        await Channel.AssertChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'amq.topic' in vhost '/': received 'direct' but current is 'topic'",
            () => Channel.ExchangeDeclareAsync("amq.topic", ExchangeType.Direct, durable: true, autoDelete: false));
    }

    [Fact]
    public async Task Declare_of_the_default_exchange_is_access_refused()
    {
        await Channel.AssertChannelErrorAsync(
            403,
            "ACCESS_REFUSED - operation not permitted on the default exchange",
            () => Channel.ExchangeDeclareAsync("", ExchangeType.Direct, durable: true, autoDelete: false));
    }

    [Fact]
    public async Task Declare_with_unknown_type_is_a_connection_error()
    {
        var name = ExchangeName();

        // RabbitMQ 3.10 raises command_invalid (503), a hard error that closes the connection.
        await Connection.AssertConnectionErrorAsync(
            503,
            "COMMAND_INVALID - unknown exchange type 'x-no-such-type'",
            () => Channel.ExchangeDeclareAsync(name, "x-no-such-type", durable: false, autoDelete: false));
    }

    [Fact]
    public async Task Delete_removes_the_exchange()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Fanout);

        await Channel.ExchangeDeleteAsync(name);

        Assert.False(await ExchangeExistsAsync(name));
    }

    [Fact]
    public async Task Delete_of_missing_exchange_is_ok()
    {
        var name = ExchangeName();

        await Channel.ExchangeDeleteAsync(name);
        await Channel.ExchangeDeleteAsync(name, ifUnused: true);

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Delete_if_unused_with_a_queue_binding_is_precondition_failed()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, name, "k");

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - exchange '{name}' in vhost '/' in use",
            () => Channel.ExchangeDeleteAsync(name, ifUnused: true));
        Assert.True(await ExchangeExistsAsync(name));
    }

    [Fact]
    public async Task Delete_if_unused_with_an_exchange_binding_from_it_is_precondition_failed()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Fanout);
        var destination = await DeclareExchangeAsync(ExchangeType.Fanout);
        await Channel.ExchangeBindAsync(destination, source, "");

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - exchange '{source}' in vhost '/' in use",
            () => Channel.ExchangeDeleteAsync(source, ifUnused: true));
    }

    [Fact]
    public async Task Delete_if_unused_without_bindings_deletes()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct);

        await Channel.ExchangeDeleteAsync(name, ifUnused: true);

        Assert.False(await ExchangeExistsAsync(name));
    }

    [Fact]
    public async Task Deleting_an_exchange_removes_its_bindings()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, name, "");
        await Channel.ExchangeDeleteAsync(name);
        await Channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: false, autoDelete: false);

        await Channel.PublishAsync(name, "", "after-recreate");

        Assert.Empty(await DrainAsync(queue));
    }

    [Theory]
    [InlineData("amq.direct")]
    [InlineData("amq.fanout")]
    [InlineData("amq.topic")]
    [InlineData("amq.headers")]
    [InlineData("amq.match")]
    public async Task Deleting_a_builtin_exchange_is_access_refused(string name)
    {
        await Channel.AssertChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - deletion of system exchange '{name}' in vhost '/' not allowed",
            () => Channel.ExchangeDeleteAsync(name));
    }

    [Fact]
    public async Task Deleting_the_default_exchange_is_access_refused()
    {
        await Channel.AssertChannelErrorAsync(
            403,
            "ACCESS_REFUSED - operation not permitted on the default exchange",
            () => Channel.ExchangeDeleteAsync(""));
    }

    [Theory]
    [InlineData("amq.direct")]
    [InlineData("amq.fanout")]
    [InlineData("amq.topic")]
    [InlineData("amq.headers")]
    [InlineData("amq.match")]
    public async Task Builtin_exchange_exists(string name)
    {
        await Channel.ExchangeDeclarePassiveAsync(name);

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Builtin_amq_direct_routes_by_key()
    {
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, "amq.direct", queue);

        await Channel.PublishAsync("amq.direct", queue, "via amq.direct");
        await Channel.PublishAsync("amq.direct", "other-key", "not for us");

        Assert.Equal(["via amq.direct"], await DrainAsync(queue));
        await Channel.QueueUnbindAsync(queue, "amq.direct", queue);
    }

    [Fact]
    public async Task Publishing_to_an_internal_exchange_is_access_refused()
    {
        var name = await DeclareInternalExchangeAsync(ExchangeType.Fanout);

        await Channel.AssertAsyncChannelErrorAsync(
            403,
            $"ACCESS_REFUSED - cannot publish to internal exchange '{name}' in vhost '/'",
            () => Channel.PublishAsync(name, "", "nope").AsTask());
    }

    [Fact]
    public async Task Internal_exchange_routes_messages_arriving_through_an_exchange_binding()
    {
        var front = await DeclareExchangeAsync(ExchangeType.Fanout);
        var inner = await DeclareInternalExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        await Channel.ExchangeBindAsync(inner, front, "");
        await Channel.QueueBindAsync(queue, inner, "");

        await Channel.PublishAsync(front, "", "through the internal exchange");

        Assert.Equal(["through the internal exchange"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Exchange_to_exchange_binding_routes_through()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Direct);
        var destination = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        await Channel.ExchangeBindAsync(destination, source, "key");
        await Channel.QueueBindAsync(queue, destination, "");

        await Channel.PublishAsync(source, "key", "routed");
        await Channel.PublishAsync(source, "other", "filtered by the e2e binding key");

        Assert.Equal(["routed"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Exchange_to_exchange_binding_with_topic_patterns_at_both_levels()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Topic);
        var destination = await DeclareExchangeAsync(ExchangeType.Topic);
        var queue = await DeclareQueueAsync();
        await Channel.ExchangeBindAsync(destination, source, "orders.#");
        await Channel.QueueBindAsync(queue, destination, "*.eu.*");

        await Channel.PublishAsync(source, "orders.eu.created", "1");
        await Channel.PublishAsync(source, "orders.us.created", "2");
        await Channel.PublishAsync(source, "invoices.eu.created", "3");

        Assert.Equal(["1"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Exchange_unbind_stops_routing()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Fanout);
        var destination = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        await Channel.ExchangeBindAsync(destination, source, "");
        await Channel.QueueBindAsync(queue, destination, "");
        await Channel.PublishAsync(source, "", "before unbind");

        await Channel.ExchangeUnbindAsync(destination, source, "");
        await Channel.PublishAsync(source, "", "after unbind");

        Assert.Equal(["before unbind"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Exchange_unbind_of_missing_binding_is_ok()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Fanout);
        var destination = await DeclareExchangeAsync(ExchangeType.Fanout);

        await Channel.ExchangeUnbindAsync(destination, source, "never-bound");

        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Exchange_binding_cycle_delivers_once_per_queue()
    {
        var a = await DeclareExchangeAsync(ExchangeType.Fanout);
        var b = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        var other = await DeclareQueueAsync();
        await Channel.ExchangeBindAsync(b, a, "");
        await Channel.ExchangeBindAsync(a, b, "");
        await Channel.QueueBindAsync(queue, a, "");
        await Channel.QueueBindAsync(queue, b, "");
        await Channel.QueueBindAsync(other, b, "");

        await Channel.PublishAsync(a, "", "once");

        Assert.Equal(["once"], await DrainAsync(queue));
        Assert.Equal(["once"], await DrainAsync(other));
    }

    [Fact]
    public async Task Exchange_bind_with_missing_source_is_not_found()
    {
        var destination = await DeclareExchangeAsync(ExchangeType.Fanout);
        var source = ExchangeName();

        await Channel.AssertChannelErrorAsync(
            404,
            $"NOT_FOUND - no exchange '{source}' in vhost '/'",
            () => Channel.ExchangeBindAsync(destination, source, ""));
    }

    [Fact]
    public async Task Exchange_bind_with_missing_destination_is_not_found()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Fanout);
        var destination = ExchangeName();

        await Channel.AssertChannelErrorAsync(
            404,
            $"NOT_FOUND - no exchange '{destination}' in vhost '/'",
            () => Channel.ExchangeBindAsync(destination, source, ""));
    }

    [Fact]
    public async Task Exchange_bind_with_both_missing_names_the_source()
    {
        var source = ExchangeName();
        var destination = ExchangeName();

        await Channel.AssertChannelErrorAsync(
            404,
            $"NOT_FOUND - no exchange '{source}' in vhost '/'",
            () => Channel.ExchangeBindAsync(destination, source, ""));
    }

    [Fact]
    public async Task Unroutable_message_goes_to_the_alternate_exchange()
    {
        var ae = await DeclareExchangeAsync(ExchangeType.Fanout);
        var main = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = ae });
        var routed = await DeclareQueueAsync();
        var unrouted = await DeclareQueueAsync();
        await Channel.QueueBindAsync(routed, main, "known");
        await Channel.QueueBindAsync(unrouted, ae, "");

        await Channel.PublishAsync(main, "known", "to routed");
        await Channel.PublishAsync(main, "unknown", "to alternate");

        Assert.Equal(["to routed"], await DrainAsync(routed));
        Assert.Equal(["to alternate"], await DrainAsync(unrouted));
    }

    [Fact]
    public async Task Alternate_exchange_keeps_the_original_exchange_and_routing_key()
    {
        var ae = await DeclareExchangeAsync(ExchangeType.Fanout);
        var main = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = ae });
        var unrouted = await DeclareQueueAsync();
        await Channel.QueueBindAsync(unrouted, ae, "");
        await Channel.PublishAsync(main, "the-key", "x");

        var consumer = await Channel.ConsumeAsync(unrouted, autoAck: true);
        var delivery = await consumer.NextAsync();

        Assert.Equal((main, "the-key"), (delivery.Exchange, delivery.RoutingKey));
    }

    [Fact]
    public async Task Mandatory_message_routed_by_the_alternate_exchange_is_not_returned()
    {
        var ae = await DeclareExchangeAsync(ExchangeType.Fanout);
        var main = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = ae });
        var unrouted = await DeclareQueueAsync();
        await Channel.QueueBindAsync(unrouted, ae, "");
        var returns = new List<string>();
        Channel.BasicReturnAsync += (_, e) =>
        {
            lock (returns)
            {
                returns.Add(e.RoutingKey);
            }

            return Task.CompletedTask;
        };

        await Channel.PublishAsync(main, "nowhere", "caught by AE", mandatory: true);

        Assert.Equal(["caught by AE"], await DrainAsync(unrouted));
        Assert.Empty(returns);
    }

    [Fact]
    public async Task Mandatory_message_is_returned_when_the_alternate_exchange_cannot_route_either()
    {
        var ae = await DeclareExchangeAsync(ExchangeType.Direct);
        var main = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = ae });
        var returned = new TaskCompletionSource<BasicReturnEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        Channel.BasicReturnAsync += (_, e) =>
        {
            returned.TrySetResult(e);
            return Task.CompletedTask;
        };

        await Channel.PublishAsync(main, "nowhere", "lost", mandatory: true);
        var ret = await returned.Task.WaitAsync(Wait.Delivery);

        Assert.Equal((312, "NO_ROUTE", main, "nowhere"), (ret.ReplyCode, ret.ReplyText, ret.Exchange, ret.RoutingKey));
    }

    [Fact]
    public async Task Alternate_exchange_that_does_not_exist_leaves_the_message_unroutable()
    {
        var main = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = ExchangeName() });
        var returned = new TaskCompletionSource<BasicReturnEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        Channel.BasicReturnAsync += (_, e) =>
        {
            returned.TrySetResult(e);
            return Task.CompletedTask;
        };

        await Channel.PublishAsync(main, "nowhere", "lost", mandatory: true);
        var ret = await returned.Task.WaitAsync(Wait.Delivery);

        Assert.Equal((312, "NO_ROUTE"), (ret.ReplyCode, ret.ReplyText));
    }

    [Fact]
    public async Task Alternate_exchange_chain_is_followed()
    {
        var last = await DeclareExchangeAsync(ExchangeType.Fanout);
        var middle = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = last });
        var first = await DeclareExchangeAsync(ExchangeType.Direct, arguments: new Dictionary<string, object?> { ["alternate-exchange"] = middle });
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, last, "");

        await Channel.PublishAsync(first, "nowhere", "fell through twice");

        Assert.Equal(["fell through twice"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Auto_delete_exchange_survives_until_it_had_a_binding()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Fanout, autoDelete: true);

        Assert.True(await ExchangeExistsAsync(name));
    }

    [Fact]
    public async Task Auto_delete_exchange_is_deleted_when_its_last_queue_binding_is_removed()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Direct, autoDelete: true);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, name, "a");
        await Channel.QueueBindAsync(queue, name, "b");

        await Channel.QueueUnbindAsync(queue, name, "a");
        Assert.True(await ExchangeExistsAsync(name));
        await Channel.QueueUnbindAsync(queue, name, "b");

        Assert.False(await ExchangeExistsAsync(name));
    }

    [Fact]
    public async Task Auto_delete_exchange_is_deleted_when_its_bound_queue_is_deleted()
    {
        var name = await DeclareExchangeAsync(ExchangeType.Fanout, autoDelete: true);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, name, "");

        await Channel.QueueDeleteAsync(queue);

        Assert.False(await ExchangeExistsAsync(name));
    }

    [Fact]
    public async Task Auto_delete_exchange_is_deleted_when_its_last_exchange_binding_is_removed()
    {
        var source = await DeclareExchangeAsync(ExchangeType.Fanout, autoDelete: true);
        var destination = await DeclareExchangeAsync(ExchangeType.Fanout);
        await Channel.ExchangeBindAsync(destination, source, "");

        await Channel.ExchangeUnbindAsync(destination, source, "");

        Assert.False(await ExchangeExistsAsync(source));
        Assert.True(await ExchangeExistsAsync(destination));
    }
}
