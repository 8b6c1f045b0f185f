using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.IntegrationTests;

public sealed class RoutingTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private async Task<(string Exchange, string Queue)> BoundQueueAsync(string type, string bindingKey, IDictionary<string, object?>? bindingArgs = null)
    {
        var exchange = await DeclareExchangeAsync(type);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, bindingKey, bindingArgs);
        return (exchange, queue);
    }

    /// <summary>Collects basic.return on <see cref="BrokerTestBase.Channel"/> in arrival order.</summary>
    private System.Threading.Channels.ChannelReader<BasicReturnEventArgs> CaptureReturns()
    {
        var returns = System.Threading.Channels.Channel.CreateUnbounded<BasicReturnEventArgs>();
        Channel.BasicReturnAsync += (_, e) =>
        {
            // The body is the client's buffer, reused once the handler returns: keep a copy.
            returns.Writer.TryWrite(new BasicReturnEventArgs(e.ReplyCode, e.ReplyText, e.Exchange, e.RoutingKey, e.BasicProperties, e.Body.ToArray()));
            return Task.CompletedTask;
        };
        return returns.Reader;
    }

    private static async Task<BasicReturnEventArgs> NextReturnAsync(System.Threading.Channels.ChannelReader<BasicReturnEventArgs> returns)
    {
        using var cts = new CancellationTokenSource(Wait.Delivery);
        return await returns.ReadAsync(cts.Token);
    }

    /// <summary>
    /// Proves that no earlier message was returned: publishes an unroutable mandatory probe and checks that
    /// the probe's return is the first one (returns come back in publish order).
    /// </summary>
    private async Task AssertNothingReturnedAsync(System.Threading.Channels.ChannelReader<BasicReturnEventArgs> returns)
    {
        var probe = $"probe-{Guid.NewGuid():N}";
        await Channel.PublishAsync("", probe, "probe", mandatory: true);
        Assert.Equal(probe, (await NextReturnAsync(returns)).RoutingKey);
    }

    [Fact]
    public async Task Direct_exchange_routes_on_exact_key()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Direct, "orders");

        await Channel.PublishAsync(exchange, "orders", "exact");
        await Channel.PublishAsync(exchange, "Orders", "case differs");
        await Channel.PublishAsync(exchange, "orders.eu", "longer");
        await Channel.PublishAsync(exchange, "", "empty");

        Assert.Equal(["exact"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Direct_exchange_empty_binding_key_matches_only_empty_routing_key()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Direct, "");

        await Channel.PublishAsync(exchange, "", "empty");
        await Channel.PublishAsync(exchange, "x", "not empty");

        Assert.Equal(["empty"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Direct_exchange_delivers_to_every_queue_bound_with_the_key()
    {
        var (exchange, first) = await BoundQueueAsync(ExchangeType.Direct, "k");
        var second = await DeclareQueueAsync();
        var other = await DeclareQueueAsync();
        await Channel.QueueBindAsync(second, exchange, "k");
        await Channel.QueueBindAsync(other, exchange, "other");

        await Channel.PublishAsync(exchange, "k", "m");

        Assert.Equal(["m"], await DrainAsync(first));
        Assert.Equal(["m"], await DrainAsync(second));
        Assert.Empty(await DrainAsync(other));
    }

    [Fact]
    public async Task Queue_bound_with_two_keys_receives_both_once_each()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Direct, "a");
        await Channel.QueueBindAsync(queue, exchange, "b");

        await Channel.PublishAsync(exchange, "a", "1");
        await Channel.PublishAsync(exchange, "b", "2");
        await Channel.PublishAsync(exchange, "c", "3");

        Assert.Equal(["1", "2"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Fanout_exchange_delivers_to_all_bound_queues_ignoring_the_key()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queues = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var queue = await DeclareQueueAsync();
            await Channel.QueueBindAsync(queue, exchange, $"ignored-{i}");
            queues.Add(queue);
        }

        await Channel.PublishAsync(exchange, "whatever", "to all");

        foreach (var queue in queues)
        {
            Assert.Equal(["to all"], await DrainAsync(queue));
        }
    }

    [Fact]
    public async Task Fanout_queue_bound_twice_receives_once()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Fanout, "one");
        await Channel.QueueBindAsync(queue, exchange, "two");

        await Channel.PublishAsync(exchange, "", "once");

        Assert.Equal(["once"], await DrainAsync(queue));
    }

    [Theory]
    [InlineData("a.b.c", "a.b.c", true)]
    [InlineData("a.b.c", "a.b", false)]
    [InlineData("a.b.c", "a.b.c.d", false)]
    [InlineData("a.*.c", "a.b.c", true)]
    [InlineData("a.*.c", "a.c", false)]
    [InlineData("a.*.c", "a.b.b.c", false)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a.b", false)]
    [InlineData("*", "", false)] // an empty routing key has no words, so '*' (exactly one word) does not match
    [InlineData("*", ".", false)]
    [InlineData("*.*", ".", true)] // "." is two empty words
    [InlineData("*.*", "a", false)]
    [InlineData("a.#", "a", true)]
    [InlineData("a.#", "a.b.c", true)]
    [InlineData("a.#", "b.a", false)]
    [InlineData("#.c", "c", true)]
    [InlineData("#.c", "a.b.c", true)]
    [InlineData("#.c", "c.a", false)]
    [InlineData("a.#.c", "a.c", true)]
    [InlineData("a.#.c", "a.b.d.c", true)]
    [InlineData("a.#.c", "a.b.d", false)]
    [InlineData("#", "", true)]
    [InlineData("#", "any.thing.at.all", true)]
    [InlineData("#.#", "a", true)]
    [InlineData("a.*.#", "a", false)]
    [InlineData("a.*.#", "a.b", true)]
    [InlineData("#.b.#", "b", true)]
    [InlineData("#.b.#", "a.b.c", true)]
    [InlineData("a..b", "a..b", true)]
    [InlineData("a.*.b", "a..b", true)]
    [InlineData("a.b", "a..b", false)]
    [InlineData("*.a", ".a", true)]
    [InlineData("a.*", "a.", true)]
    [InlineData("a", "a.", false)]
    [InlineData("#.a", ".a", true)]
    [InlineData("a.b", "a.B", false)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    public async Task Topic_exchange_matching(string bindingKey, string routingKey, bool matches)
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Topic, bindingKey);

        await Channel.PublishAsync(exchange, routingKey, "m");

        Assert.Equal(matches ? ["m"] : Array.Empty<string>(), await DrainAsync(queue));
    }

    [Fact]
    public async Task Topic_queue_matching_several_bindings_receives_once()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Topic, "a.*");
        await Channel.QueueBindAsync(queue, exchange, "#");
        await Channel.QueueBindAsync(queue, exchange, "a.b");
        await Channel.QueueBindAsync(queue, exchange, "*.b");

        await Channel.PublishAsync(exchange, "a.b", "once");

        Assert.Equal(["once"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Topic_exchange_routes_to_each_matching_queue()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Topic);
        var eu = await DeclareQueueAsync();
        var created = await DeclareQueueAsync();
        var all = await DeclareQueueAsync();
        await Channel.QueueBindAsync(eu, exchange, "*.eu.*");
        await Channel.QueueBindAsync(created, exchange, "#.created");
        await Channel.QueueBindAsync(all, exchange, "#");

        await Channel.PublishAsync(exchange, "order.eu.created", "1");
        await Channel.PublishAsync(exchange, "order.us.created", "2");
        await Channel.PublishAsync(exchange, "order.eu.deleted", "3");

        Assert.Equal(["1", "3"], await DrainAsync(eu));
        Assert.Equal(["1", "2"], await DrainAsync(created));
        Assert.Equal(["1", "2", "3"], await DrainAsync(all));
    }

    /// <summary>Parses "k=s:text;n=i:1;l=l:2;f=b:true;p=v:" into a header table (s string, i int, l long, b bool, v void).</summary>
    private static Dictionary<string, object?> Table(string spec)
    {
        var table = new Dictionary<string, object?>();
        foreach (var entry in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, typed) = (entry[..entry.IndexOf('=')], entry[(entry.IndexOf('=') + 1)..]);
            var (type, value) = (typed[..1], typed[2..]);
            table[key] = type switch
            {
                "s" => value,
                "i" => int.Parse(value),
                "l" => long.Parse(value),
                "b" => bool.Parse(value),
                "v" => null,
                _ => throw new ArgumentException(spec),
            };
        }

        return table;
    }

    [Theory]
    [InlineData("x-match=s:all;a=s:1;b=s:2", "a=s:1;b=s:2", true)]
    [InlineData("x-match=s:all;a=s:1;b=s:2", "a=s:1", false)]
    [InlineData("x-match=s:all;a=s:1;b=s:2", "a=s:1;b=s:2;c=s:3", true)]
    [InlineData("x-match=s:all;a=s:1;b=s:2", "a=s:1;b=s:3", false)]
    [InlineData("x-match=s:any;a=s:1;b=s:2", "a=s:1", true)]
    [InlineData("x-match=s:any;a=s:1;b=s:2", "b=s:2;c=s:3", true)]
    [InlineData("x-match=s:any;a=s:1;b=s:2", "a=s:9;b=s:9", false)]
    [InlineData("x-match=s:any;a=s:1;b=s:2", "c=s:1", false)]
    [InlineData("a=s:1;b=s:2", "a=s:1", false)]
    [InlineData("a=s:1;b=s:2", "a=s:1;b=s:2", true)]
    [InlineData("x-match=s:all;n=i:42", "n=i:42", true)]
    [InlineData("x-match=s:all;n=i:42", "n=l:42", true)]
    [InlineData("x-match=s:all;n=i:42", "n=i:43", false)]
    [InlineData("x-match=s:all;n=i:42", "n=s:42", false)]
    [InlineData("x-match=s:all;f=b:true", "f=b:true", true)]
    [InlineData("x-match=s:all;f=b:true", "f=b:false", false)]
    [InlineData("x-match=s:all;f=b:true", "f=i:1", false)]
    [InlineData("x-match=s:all;p=v:", "p=s:anything", true)]
    [InlineData("x-match=s:all;p=v:", "p=i:7", true)]
    [InlineData("x-match=s:all;p=v:", "q=s:1", false)]
    [InlineData("x-match=s:any;p=v:;a=s:1", "p=b:false", true)]
    [InlineData("x-match=s:all", "", true)]
    [InlineData("x-match=s:all", "a=s:1", true)]
    [InlineData("x-match=s:any", "a=s:1", false)]
    [InlineData("x-match=s:all;a=s:1", "", false)]
    [InlineData("x-match=s:all;x-tag=s:t;a=s:1", "a=s:1", true)]
    [InlineData("x-match=s:any;x-tag=s:t", "x-tag=s:t", false)]
    [InlineData("x-match=s:all-with-x;x-tag=s:t;a=s:1", "a=s:1", false)]
    [InlineData("x-match=s:all-with-x;x-tag=s:t;a=s:1", "a=s:1;x-tag=s:t", true)]
    [InlineData("x-match=s:any-with-x;x-tag=s:t", "x-tag=s:t", true)]
    [InlineData("x-match=s:any-with-x;x-tag=s:t;a=s:1", "x-tag=s:u;a=s:2", false)]
    public async Task Headers_exchange_matching(string bindingArgs, string messageHeaders, bool matches)
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Headers, "", Table(bindingArgs));
        var properties = new BasicProperties();
        if (messageHeaders.Length > 0)
        {
            properties.Headers = Table(messageHeaders);
        }

        await Channel.PublishAsync(exchange, "routing-key-is-ignored", "m", properties);

        Assert.Equal(matches ? ["m"] : Array.Empty<string>(), await DrainAsync(queue));
    }

    [Fact]
    public async Task Headers_binding_with_invalid_x_match_is_precondition_failed()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Headers);
        var queue = await DeclareQueueAsync();

        await Channel.AssertChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - Invalid x-match field value <<\"sometimes\">>; expected all, any, all-with-x, or any-with-x",
            () => Channel.QueueBindAsync(queue, exchange, "", new Dictionary<string, object?> { ["x-match"] = "sometimes" }));
    }

    [Fact]
    public async Task Default_exchange_routes_by_queue_name()
    {
        var queue = await DeclareQueueAsync();
        var other = await DeclareQueueAsync();

        await Channel.PublishAsync("", queue, "mine");
        await Channel.PublishAsync("", queue.ToUpperInvariant(), "wrong case");

        Assert.Equal(["mine"], await DrainAsync(queue));
        Assert.Empty(await DrainAsync(other));
    }

    [Fact]
    public async Task Default_exchange_delivery_reports_empty_exchange_and_queue_name_as_key()
    {
        var queue = await DeclareQueueAsync();
        await Channel.PublishAsync("", queue, "m");

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var delivery = await consumer.NextAsync();

        Assert.Equal(("", queue), (delivery.Exchange, delivery.RoutingKey));
    }

    [Fact]
    public async Task Binding_added_later_receives_only_later_publishes()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Fanout);
        var queue = await DeclareQueueAsync();
        await Channel.PublishAsync(exchange, "", "before");

        await Channel.QueueBindAsync(queue, exchange, "");
        await Channel.PublishAsync(exchange, "", "after");

        Assert.Equal(["after"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Mandatory_unroutable_message_is_returned_with_no_route()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var returns = CaptureReturns();
        var properties = new BasicProperties { MessageId = "id-1", ContentType = "text/plain", Headers = new Dictionary<string, object?> { ["h"] = "v" } };

        await Channel.PublishAsync(exchange, "nobody-home", "bounce", properties, mandatory: true);
        var ret = await NextReturnAsync(returns);

        Assert.Equal((312, "NO_ROUTE"), (ret.ReplyCode, ret.ReplyText));
        Assert.Equal((exchange, "nobody-home"), (ret.Exchange, ret.RoutingKey));
        Assert.Equal("bounce", Amqp.Text(ret.Body));
        Assert.Equal(("id-1", "text/plain"), (ret.BasicProperties.MessageId, ret.BasicProperties.ContentType));
        Assert.Equal("v", Amqp.HeaderString(ret.BasicProperties.Headers!["h"]));
    }

    [Fact]
    public async Task Mandatory_message_to_the_default_exchange_with_unknown_queue_is_returned()
    {
        var returns = CaptureReturns();
        var missing = QueueName();

        await Channel.PublishAsync("", missing, "bounce", mandatory: true);
        var ret = await NextReturnAsync(returns);

        Assert.Equal((312, "NO_ROUTE", "", missing), (ret.ReplyCode, ret.ReplyText, ret.Exchange, ret.RoutingKey));
    }

    [Fact]
    public async Task Only_unroutable_mandatory_messages_are_returned()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Direct, "known");
        var returns = CaptureReturns();

        await Channel.PublishAsync(exchange, "known", "routed mandatory", mandatory: true);
        await Channel.PublishAsync(exchange, "unknown-1", "unroutable, not mandatory", mandatory: false);
        await Channel.PublishAsync(exchange, "unknown-2", "unroutable mandatory", mandatory: true);

        Assert.Equal("unknown-2", (await NextReturnAsync(returns)).RoutingKey);
        Assert.Equal(["routed mandatory"], await DrainAsync(queue));
        await AssertNothingReturnedAsync(returns);
    }

    private static BasicProperties WithHeaders(params (string Key, string[] Values)[] headers) => new()
    {
        Headers = headers.ToDictionary(h => h.Key, h => (object?)h.Values.Cast<object>().ToList()),
    };

    [Fact]
    public async Task CC_header_adds_routing_keys_and_is_kept()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var main = await DeclareQueueAsync();
        var copy = await DeclareQueueAsync();
        var other = await DeclareQueueAsync();
        await Channel.QueueBindAsync(main, exchange, "main");
        await Channel.QueueBindAsync(copy, exchange, "copy");
        await Channel.QueueBindAsync(other, exchange, "other");

        await Channel.PublishAsync(exchange, "main", "m", WithHeaders(("CC", ["copy"])));

        var consumer = await Channel.ConsumeAsync(copy, autoAck: true);
        var delivery = await consumer.NextAsync();
        Assert.Equal("main", delivery.RoutingKey);
        var cc = Assert.IsAssignableFrom<IList<object>>(delivery.Properties.Headers!["CC"]);
        Assert.Equal(["copy"], cc.Select(Amqp.HeaderString));
        Assert.Equal(["m"], await DrainAsync(main));
        Assert.Empty(await DrainAsync(other));
    }

    [Fact]
    public async Task BCC_header_adds_routing_keys_and_is_removed()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var main = await DeclareQueueAsync();
        var hidden = await DeclareQueueAsync();
        await Channel.QueueBindAsync(main, exchange, "main");
        await Channel.QueueBindAsync(hidden, exchange, "hidden");

        await Channel.PublishAsync(exchange, "main", "m", WithHeaders(("BCC", ["hidden"]), ("keep", ["me"])));

        var mainConsumer = await Channel.ConsumeAsync(main, autoAck: true);
        var hiddenConsumer = await Channel.ConsumeAsync(hidden, autoAck: true);
        foreach (var delivery in new[] { await mainConsumer.NextAsync(), await hiddenConsumer.NextAsync() })
        {
            Assert.Equal(("m", "main"), (delivery.Text, delivery.RoutingKey));
            Assert.False(delivery.Properties.Headers!.ContainsKey("BCC"));
            Assert.True(delivery.Properties.Headers.ContainsKey("keep"));
        }
    }

    [Fact]
    public async Task CC_and_BCC_deliver_once_per_queue_even_when_keys_overlap()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, "a");
        await Channel.QueueBindAsync(queue, exchange, "b");

        await Channel.PublishAsync(exchange, "a", "once", WithHeaders(("CC", ["a", "b"]), ("BCC", ["b"])));

        Assert.Equal(["once"], await DrainAsync(queue));
    }

    [Fact]
    public async Task CC_routes_a_message_whose_own_key_matches_nothing()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Direct, "copy");
        var returns = CaptureReturns();

        await Channel.PublishAsync(exchange, "nothing", "via CC only", WithHeaders(("CC", ["copy"])), mandatory: true);

        await AssertNothingReturnedAsync(returns);
        Assert.Equal(["via CC only"], await DrainAsync(queue));
    }

    [Fact]
    public async Task CC_keys_are_matched_as_topics_on_a_topic_exchange()
    {
        var (exchange, queue) = await BoundQueueAsync(ExchangeType.Topic, "audit.#");

        await Channel.PublishAsync(exchange, "orders.created", "m", WithHeaders(("CC", ["audit.orders.created"])));

        Assert.Equal(["m"], await DrainAsync(queue));
    }
}
