using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// The x-consistent-hash exchange type. Against RabbitMQ (BROKER_TEST_URI) these need the
/// rabbitmq_consistent_hash_exchange plugin enabled (`rabbitmq-plugins enable
/// rabbitmq_consistent_hash_exchange`); without it every declaration fails with 503/406
/// "unknown exchange type". Which queue a given key reaches differs between RabbitMQ and us (its hash
/// is Erlang's); the tests check only what both guarantee: one queue per message, stable, in
/// proportion to weight, and a new binding taking keys only for itself.
/// </summary>
public sealed class ConsistentHashExchangeTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private const string Type = "x-consistent-hash";

    private async Task<string> DeclareAsync(IDictionary<string, object?>? arguments = null) =>
        await DeclareExchangeAsync(Type, arguments: arguments);

    private async Task<string[]> BindQueuesAsync(string exchange, params string[] weights)
    {
        var queues = new string[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            queues[i] = await DeclareQueueAsync();
            await Channel.QueueBindAsync(queues[i], exchange, weights[i]);
        }

        return queues;
    }

    private async Task<uint[]> CountsAsync(string[] queues)
    {
        var counts = new uint[queues.Length];
        for (var i = 0; i < queues.Length; i++)
        {
            counts[i] = await Channel.ReadyCountAsync(queues[i]);
        }

        return counts;
    }

    /// <summary>Which queue each body reached (bodies are unique).</summary>
    private async Task<Dictionary<string, string>> WhereAsync(string[] queues)
    {
        var where = new Dictionary<string, string>();
        foreach (var queue in queues)
        {
            foreach (var body in await DrainAsync(queue, publishedOn: Channel))
            {
                where.Add(body, queue);
            }
        }

        return where;
    }

    [Fact]
    public async Task Both_hash_header_and_hash_property_are_refused()
    {
        var name = ExchangeName();

        await Channel.AssertChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - hash-header and hash-property are mutually exclusive",
            () => Channel.ExchangeDeclareAsync(name, Type, durable: false, autoDelete: false, new Dictionary<string, object?> { ["hash-header"] = "h", ["hash-property"] = "message_id" }));
    }

    [Theory]
    [InlineData("app_id")]
    [InlineData("")]
    public async Task An_unsupported_hash_property_is_refused(string property)
    {
        var name = ExchangeName();

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - Unsupported property: {property}",
            () => Channel.ExchangeDeclareAsync(name, Type, durable: false, autoDelete: false, new Dictionary<string, object?> { ["hash-property"] = property }));
    }

    [Fact]
    public async Task A_hash_header_that_is_not_a_string_closes_the_connection_with_541()
    {
        var name = ExchangeName();

        await Connection.AssertConnectionErrorAsync(
            541,
            "INTERNAL_ERROR",
            () => Channel.ExchangeDeclareAsync(name, Type, durable: false, autoDelete: false, new Dictionary<string, object?> { ["hash-header"] = 5 }));
    }

    [Fact]
    public async Task A_redeclaration_with_other_hash_arguments_is_accepted_and_a_type_mismatch_quotes_the_type()
    {
        var name = await DeclareAsync();

        await Channel.ExchangeDeclareAsync(name, Type, durable: false, autoDelete: false, new Dictionary<string, object?> { ["hash-property"] = "nope" });
        await Channel.ExchangeDeclarePassiveAsync(name);

        await Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - inequivalent arg 'type' for exchange '{name}' in vhost '/': received 'direct' but current is ''x-consistent-hash''",
            () => Channel.ExchangeDeclareAsync(name, ExchangeType.Direct, durable: false, autoDelete: false));
    }

    [Theory]
    [InlineData("abc", "The binding key must be an integer: <<\"abc\">>")]
    [InlineData("", "The binding key must be an integer: <<>>")]
    [InlineData("1.5", "The binding key must be an integer: <<\"1.5\">>")]
    [InlineData("a\"b", "The binding key must be an integer: <<\"a\\\"b\">>")]
    [InlineData("é", "The binding key must be an integer: <<\"é\">>")]
    [InlineData("€", "The binding key must be an integer: <<226,130,172>>")]
    [InlineData("0", "The binding key must be greater than 0")]
    [InlineData("-3", "The binding key must be greater than 0")]
    public async Task A_binding_key_that_is_not_a_positive_integer_is_refused(string key, string text)
    {
        var exchange = await DeclareAsync();
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - {text}", () => Channel.QueueBindAsync(queue, exchange, key));
    }

    [Fact]
    public async Task An_exchange_binding_from_it_needs_a_weight_and_one_to_it_does_not()
    {
        var exchange = await DeclareAsync();
        var fanout = await DeclareExchangeAsync(ExchangeType.Fanout);
        var direct = await DeclareExchangeAsync(ExchangeType.Direct);

        await Channel.ExchangeBindAsync(exchange, direct, "orders");
        await Channel.ExchangeBindAsync(fanout, exchange, "+2");
        await Channel.AssertChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - The binding key must be an integer: <<\"abc\">>",
            () => Channel.ExchangeBindAsync(fanout, exchange, "abc"));
    }

    [Fact]
    public async Task Unbinding_with_a_key_that_is_not_a_weight_is_fine()
    {
        var exchange = await DeclareAsync();
        var queue = await DeclareQueueAsync();

        await Channel.QueueUnbindAsync(queue, exchange, "abc");
        Assert.True(Channel.IsOpen);
    }

    [Fact]
    public async Task Each_message_reaches_one_queue_and_a_key_always_the_same_one()
    {
        var exchange = await DeclareAsync();
        var queues = await BindQueuesAsync(exchange, "1", "1", "1");

        for (var i = 0; i < 20; i++)
        {
            await SendAsync(exchange, "customer-42", $"a{i}");
            await SendAsync(exchange, "customer-7", $"b{i}");
        }

        var where = await WhereAsync(queues);
        Assert.Equal(40, where.Count);
        Assert.Single(where.Where(w => w.Key.StartsWith('a')).Select(w => w.Value).Distinct());
        Assert.Single(where.Where(w => w.Key.StartsWith('b')).Select(w => w.Value).Distinct());
    }

    [Fact]
    public async Task Queues_get_keys_in_proportion_to_their_weights()
    {
        var exchange = await DeclareAsync();
        var queues = await BindQueuesAsync(exchange, "1", "3");

        for (var i = 0; i < 1200; i++)
        {
            await SendAsync(exchange, $"key-{i}", "m");
        }

        // Expected 300 and 900; one standard deviation is 15.
        var counts = await CountsAsync(queues);
        Assert.Equal(1200u, counts[0] + counts[1]);
        Assert.InRange(counts[0], 210u, 390u);
    }

    [Fact]
    public async Task A_new_binding_takes_keys_only_for_itself()
    {
        var exchange = await DeclareAsync();
        var queues = await BindQueuesAsync(exchange, "1", "1", "1");
        for (var i = 0; i < 600; i++)
        {
            await SendAsync(exchange, $"key-{i}", $"key-{i}");
        }

        var before = await WhereAsync(queues);
        var added = (await BindQueuesAsync(exchange, "1"))[0];
        for (var i = 0; i < 600; i++)
        {
            await SendAsync(exchange, $"key-{i}", $"key-{i}");
        }

        var after = await WhereAsync([.. queues, added]);
        var moved = before.Keys.Where(key => before[key] != after[key]).ToList();
        Assert.All(moved, key => Assert.Equal(added, after[key]));
        Assert.InRange(moved.Count, 90, 210);
    }

    [Fact]
    public async Task An_unbound_queue_gets_nothing_more()
    {
        var exchange = await DeclareAsync();
        var queues = await BindQueuesAsync(exchange, "1", "1");
        await Channel.QueueUnbindAsync(queues[0], exchange, "1");

        for (var i = 0; i < 50; i++)
        {
            await SendAsync(exchange, $"key-{i}", "m");
        }

        var counts = await CountsAsync(queues);
        Assert.Equal(new uint[] { 0, 50 }, counts);
    }

    [Fact]
    public async Task A_second_binding_to_a_queue_adds_no_weight_and_unbinding_either_takes_the_queue_off()
    {
        // RabbitMQ keeps one ring place per destination (the first binding's weight); unbinding any of
        // its bindings removes the place, though the other binding remains.
        var exchange = await DeclareAsync();
        var queues = await BindQueuesAsync(exchange, "1", "1");
        await Channel.QueueBindAsync(queues[0], exchange, "20");
        for (var i = 0; i < 400; i++)
        {
            await SendAsync(exchange, $"key-{i}", "m");
        }

        var counts = await CountsAsync(queues);
        Assert.InRange(counts[0], 140u, 260u);

        await Channel.QueuePurgeAsync(queues[0]);
        await Channel.QueuePurgeAsync(queues[1]);
        await Channel.QueueUnbindAsync(queues[0], exchange, "20");
        for (var i = 0; i < 100; i++)
        {
            await SendAsync(exchange, $"key-{i}", "m");
        }

        counts = await CountsAsync(queues);
        Assert.Equal(new uint[] { 0, 100 }, counts);
    }

    [Fact]
    public async Task The_hash_header_picks_the_queue_and_messages_without_it_all_go_to_one()
    {
        var exchange = await DeclareAsync(new Dictionary<string, object?> { ["hash-header"] = "tenant" });
        var queues = await BindQueuesAsync(exchange, "1", "1", "1");

        for (var i = 0; i < 30; i++)
        {
            await SendAsync(exchange, $"key-{i}", $"acme-{i}", new BasicProperties { Headers = new Dictionary<string, object?> { ["tenant"] = "acme" } });
            await SendAsync(exchange, $"key-{i}", $"none-{i}");
        }

        for (var i = 0; i < 300; i++)
        {
            await SendAsync(exchange, "same", $"spread-{i}", new BasicProperties { Headers = new Dictionary<string, object?> { ["tenant"] = $"t{i}" } });
        }

        var where = await WhereAsync(queues);
        Assert.Single(where.Where(w => w.Key.StartsWith("acme-", StringComparison.Ordinal)).Select(w => w.Value).Distinct());
        Assert.Single(where.Where(w => w.Key.StartsWith("none-", StringComparison.Ordinal)).Select(w => w.Value).Distinct());
        Assert.Equal(3, where.Where(w => w.Key.StartsWith("spread-", StringComparison.Ordinal)).Select(w => w.Value).Distinct().Count());
    }

    [Fact]
    public async Task The_message_id_property_picks_the_queue()
    {
        var exchange = await DeclareAsync(new Dictionary<string, object?> { ["hash-property"] = "message_id" });
        var queues = await BindQueuesAsync(exchange, "1", "1", "1");

        for (var i = 0; i < 30; i++)
        {
            await SendAsync(exchange, $"key-{i}", $"same-{i}", new BasicProperties { MessageId = "order-1" });
        }

        for (var i = 0; i < 300; i++)
        {
            await SendAsync(exchange, "k", $"spread-{i}", new BasicProperties { MessageId = $"order-{i}" });
        }

        var where = await WhereAsync(queues);
        Assert.Single(where.Where(w => w.Key.StartsWith("same-", StringComparison.Ordinal)).Select(w => w.Value).Distinct());
        Assert.Equal(3, where.Where(w => w.Key.StartsWith("spread-", StringComparison.Ordinal)).Select(w => w.Value).Distinct().Count());
    }

    [Fact]
    public async Task Exchanges_bound_both_ways_route_through_it()
    {
        var exchange = await DeclareAsync();
        var topic = await DeclareExchangeAsync(ExchangeType.Topic);
        var fanout = await DeclareExchangeAsync(ExchangeType.Fanout);
        var fanned = await BindQueuesAsync(fanout, "", "");
        var queue = (await BindQueuesAsync(exchange, "1"))[0];
        await Channel.ExchangeBindAsync(fanout, exchange, "3");
        await Channel.ExchangeBindAsync(exchange, topic, "orders.*");

        for (var i = 0; i < 400; i++)
        {
            await SendAsync(topic, i % 2 == 0 ? $"orders.{i}" : $"other.{i}", "m");
        }

        // 200 reach the hash exchange; the fanout exchange's share is 3 in 4, and each of those reaches both its queues.
        var counts = await CountsAsync([queue, .. fanned]);
        Assert.Equal(counts[1], counts[2]);
        Assert.Equal(200u, counts[0] + counts[1]);
        Assert.InRange(counts[1], 110u, 190u);
    }

    [Fact]
    public async Task A_mandatory_message_with_no_bindings_is_returned()
    {
        var exchange = await DeclareAsync();
        var channel = await Connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        var ex = await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.PublishReturnException>(() => channel.PublishAsync(exchange, "k", "m", mandatory: true).AsTask());

        Assert.Equal((312, "NO_ROUTE", exchange, "k"), (ex.ReplyCode, ex.ReplyText, ex.Exchange, ex.RoutingKey));
    }
}
