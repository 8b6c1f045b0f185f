using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Publishing;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Tests.Support;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Tests.Exchanges;

/// <summary>
/// x-delayed-message with a clock the test moves. The plugin (rabbitmq-delayed-message-exchange) is not
/// packaged in Debian, so the reference RabbitMQ cannot check these: they follow the plugin's v3.13.0
/// source, rabbit_exchange_type_delayed_message.erl (validate/1, route/3: delayed when
/// 0 &lt; x-delay =&lt; 2^32-1, else routed at once), rabbit_delayed_message.erl (held by due time,
/// routed when due) and rabbit_delayed_message_utils.erl (get_delay/1, swap_delay_header/1).
/// </summary>
public class DelayedMessageExchangeTests
{
    private readonly ManualClock _clock = new();
    private readonly Host _host;
    private readonly RouteTargets _targets = new();

    public DelayedMessageExchangeTests()
    {
        _host = new Host(new EngineOptions { Time = _clock });
    }

    private static FieldTable DelayedType(string type) => Host.Args(("x-delayed-type", Host.Str(type)));

    private Exchange Delayed(string name, string type = ExchangeTypes.Direct, FieldTable? arguments = null)
    {
        arguments ??= DelayedType(type);
        return _host.Exchange(name, ExchangeTypes.DelayedMessage, arguments: arguments);
    }

    private PublishOutcome Publish(string exchange, string routingKey, object? delay, string body = "m", FieldTable? headers = null)
    {
        headers ??= new FieldTable();
        if (delay is not null)
        {
            headers.Add("x-delay", delay);
        }

        Assert.True(_host.VHost.TryGetExchange(exchange, out var source));
        var properties = new BasicProperties { Headers = headers }.Encode();
        var bytes = TextEncoding.UTF8.GetBytes(body);
        var message = _host.Engine.Messages.Rent(TextEncoding.UTF8.GetBytes(exchange), TextEncoding.UTF8.GetBytes(routingKey), properties, bytes.Length, persistent: false, priority: 0);
        Assert.True(message.AppendBody(bytes));
        try
        {
            return _host.VHost.Publish(source, ref message, MessageProperties.Parse(message.Properties).HeadersBody, _targets, new FlushBatch());
        }
        finally
        {
            message.Release();
        }
    }

    private static List<string> Bodies(MessageQueue queue) => [.. Take(queue).Select(m => m.Body)];

    private static List<(string Body, FieldTable? Headers)> Take(MessageQueue queue)
    {
        var taken = new List<(string, FieldTable?)>();
        while (queue.TryGet(noAck: true, out var entry, out _))
        {
            taken.Add((TextEncoding.UTF8.GetString(entry.Message.Body), BasicProperties.Read(entry.Message.Properties).Headers));
            entry.Message.Release();
        }

        return taken;
    }

    private void Advance(long milliseconds) => _clock.Advance(TimeSpan.FromMilliseconds(milliseconds));

    [Fact]
    public void Declaring_without_x_delayed_type_is_refused_with_the_plugins_406()
    {
        var missing = _host.VHost.DeclareExchange("d", ExchangeTypes.DelayedMessage, passive: false, durable: false, autoDelete: false, @internal: false, new FieldTable());
        Host.AssertError(missing.Error, ErrorKind.PreconditionFailed, "Invalid argument, 'x-delayed-type' must be an existing exchange type");

        var notAString = _host.VHost.DeclareExchange("d", ExchangeTypes.DelayedMessage, passive: false, durable: false, autoDelete: false, @internal: false, Host.Args(("x-delayed-type", 1)));
        Host.AssertError(notAString.Error, ErrorKind.PreconditionFailed, "Invalid argument, 'x-delayed-type' must be an existing exchange type");

        var itself = _host.VHost.DeclareExchange("d", ExchangeTypes.DelayedMessage, passive: false, durable: false, autoDelete: false, @internal: false, DelayedType("x-delayed-message"));
        Host.AssertError(itself.Error, ErrorKind.PreconditionFailed, "Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'");

        var unknown = _host.VHost.DeclareExchange("d", ExchangeTypes.DelayedMessage, passive: false, durable: false, autoDelete: false, @internal: false, DelayedType("nope"));
        Host.AssertError(unknown.Error, ErrorKind.CommandInvalid, "unknown exchange type 'nope'");
        Assert.False(_host.VHost.TryGetExchange("d", out _));
    }

    [Fact]
    public void Redeclaring_compares_only_the_alternate_exchange_as_the_underlying_type_does()
    {
        Delayed("d", ExchangeTypes.Direct);

        var again = _host.VHost.DeclareExchange("d", ExchangeTypes.DelayedMessage, passive: false, durable: false, autoDelete: false, @internal: false, DelayedType(ExchangeTypes.Topic));

        Assert.False(again.IsError);
        Assert.Equal(ExchangeTypes.Direct, Assert.IsType<DelayedMessageExchange>(again.Value).DelayedType);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(-5000)]
    [InlineData(4294967296L)]
    [InlineData((sbyte)100)]
    [InlineData(true)]
    public void Without_a_positive_delay_a_message_is_routed_at_once_with_its_headers_unchanged(object? delay)
    {
        Delayed("d");
        var queue = _host.Queue("q");
        _host.Bind("q", "d", "k");

        var outcome = Publish("d", "k", delay);

        Assert.Equal(1, outcome.Queues);
        var (body, headers) = Assert.Single(Take(queue));
        Assert.Equal("m", body);
        Assert.Equal(delay, headers?["x-delay"]);
    }

    [Fact]
    public void A_delayed_message_reaches_no_queue_until_its_delay_has_passed_then_carries_x_delay_negated()
    {
        var exchange = Assert.IsType<DelayedMessageExchange>(Delayed("d"));
        var queue = _host.Queue("q");
        _host.Bind("q", "d", "k");

        var outcome = Publish("d", "k", 1000);

        // No queue now: a mandatory publish gets basic.return, as the plugin's route returns [].
        Assert.Equal(new PublishOutcome(0, Rejected: false, PersistPending: false), outcome);
        Assert.Equal(1, exchange.PendingCount);
        Advance(999);
        Assert.Equal(0, queue.MessageCount);

        Advance(1);

        var (body, headers) = Assert.Single(Take(queue));
        Assert.Equal("m", body);
        Assert.Equal(-1000L, headers!["x-delay"]);
        Assert.Equal(0, exchange.PendingCount);
    }

    [Fact]
    public void Messages_are_routed_in_delay_order_and_equal_delays_in_publish_order()
    {
        Delayed("d", ExchangeTypes.Fanout);
        var queue = _host.Queue("q");
        _host.Bind("q", "d");

        Publish("d", "", 3000, "third");
        Publish("d", "", 1000, "first-a");
        Publish("d", "", 2000, "second");
        Publish("d", "", 1000, "first-b");
        Publish("d", "", null, "now");

        Assert.Equal(["now"], Bodies(queue));
        Advance(1500);
        Assert.Equal(["first-a", "first-b"], Bodies(queue));
        Advance(5000);
        Assert.Equal(["second", "third"], Bodies(queue));
    }

    [Fact]
    public void An_earlier_delay_published_later_rearms_the_timer()
    {
        Delayed("d", ExchangeTypes.Fanout);
        var queue = _host.Queue("q");
        _host.Bind("q", "d");

        Publish("d", "", 60_000, "late");
        Advance(10);
        Publish("d", "", 100, "early");
        Advance(100);

        Assert.Equal(["early"], Bodies(queue));
        Advance(60_000);
        Assert.Equal(["late"], Bodies(queue));
    }

    [Theory]
    [InlineData("topic", "a.b.c", "a.#", null)]
    [InlineData("headers", "", "", "any")]
    public void The_underlying_types_matching_applies_when_due(string type, string routingKey, string bindingKey, string? match)
    {
        Delayed("d", type);
        var queue = _host.Queue("q");
        var other = _host.Queue("other");
        _host.Bind("q", "d", bindingKey, match is null ? null : Host.Args(("x-match", Host.Str(match)), ("kind", Host.Str("yes"))));
        _host.Bind("other", "d", type == "topic" ? "x.#" : "", match is null ? null : Host.Args(("x-match", Host.Str(match)), ("kind", Host.Str("no"))));

        Publish("d", routingKey, 50, headers: Host.Args(("kind", Host.Str("yes"))));
        Advance(50);

        Assert.Equal(["m"], Bodies(queue));
        Assert.Equal(0, other.MessageCount);
    }

    [Theory]
    [InlineData("1500", 1500L)]
    [InlineData("+1500", 1500L)]
    [InlineData(1500.9, 1500L)]
    [InlineData(1500.9f, 1500L)]
    [InlineData((short)1500, 1500L)]
    [InlineData((ushort)1500, 1500L)]
    [InlineData((uint)1500, 1500L)]
    [InlineData((byte)150, 150L)]
    public void Strings_and_floats_are_read_as_integers_as_the_plugins_get_delay_does(object delay, long expected)
    {
        Delayed("d", ExchangeTypes.Fanout);
        var queue = _host.Queue("q");
        _host.Bind("q", "d");

        Publish("d", "", delay is string text ? Host.Str(text) : delay);
        Advance(expected - 1);
        Assert.Equal(0, queue.MessageCount);
        Advance(1);

        var (_, headers) = Assert.Single(Take(queue));
        Assert.Equal(-expected, headers!["x-delay"]);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("")]
    [InlineData("15 00")]
    public void A_string_delay_that_is_not_an_integer_is_an_invalid_delay_and_nothing_is_enqueued(string delay)
    {
        Delayed("d", ExchangeTypes.Fanout);
        var queue = _host.Queue("q");
        _host.Bind("q", "d");

        var outcome = Publish("d", "", Host.Str(delay));

        Assert.True(outcome.InvalidDelay);
        Assert.Equal(0, queue.MessageCount);
    }

    [Fact]
    public void The_longest_erlang_timer_is_the_longest_delay()
    {
        var exchange = Assert.IsType<DelayedMessageExchange>(Delayed("d", ExchangeTypes.Fanout));
        var queue = _host.Queue("q");
        _host.Bind("q", "d");

        Publish("d", "", DelayHeader.MaxDelay, "held");
        Publish("d", "", DelayHeader.MaxDelay + 1, "now");

        Assert.Equal(["now"], Bodies(queue));
        Assert.Equal(1, exchange.PendingCount);
        Advance(DelayHeader.MaxDelay);
        Assert.Equal(["held"], Bodies(queue));
    }

    [Fact]
    public void Deleting_the_exchange_drops_what_it_holds()
    {
        Delayed("d", ExchangeTypes.Fanout);
        var queue = _host.Queue("q");
        _host.Bind("q", "d");
        Publish("d", "", 1000);

        Assert.False(_host.VHost.DeleteExchange("d", ifUnused: false).IsError);
        var again = Assert.IsType<DelayedMessageExchange>(Delayed("d", ExchangeTypes.Fanout));
        _host.Bind("q", "d");
        Advance(5000);

        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, again.PendingCount);
    }

    [Fact]
    public void The_alternate_exchange_gets_a_delayed_message_at_once_as_the_plugins_empty_route_makes_it()
    {
        _host.Exchange("ae", ExchangeTypes.Fanout);
        var unrouted = _host.Queue("unrouted");
        _host.Bind("unrouted", "ae");
        var arguments = DelayedType(ExchangeTypes.Direct);
        arguments.Add("alternate-exchange", Host.Str("ae"));
        Delayed("d", arguments: arguments);
        var queue = _host.Queue("q");
        _host.Bind("q", "d", "k");

        var outcome = Publish("d", "k", 100);

        Assert.Equal(1, outcome.Queues);
        Assert.Equal(["m"], Bodies(unrouted));
        Advance(100);
        Assert.Equal(["m"], Bodies(queue));
        Assert.Equal(0, unrouted.MessageCount);
    }

    [Fact]
    public void Reached_through_an_exchange_binding_it_holds_the_message_and_a_second_delayed_exchange_does_not_hold_it_again()
    {
        _host.Exchange("source", ExchangeTypes.Fanout);
        Delayed("d1", ExchangeTypes.Fanout);
        Delayed("d2", ExchangeTypes.Fanout);
        _host.BindExchange("d1", "source");
        _host.BindExchange("d2", "d1");
        var queue = _host.Queue("q");
        _host.Bind("q", "d2");

        Assert.Equal(0, Publish("source", "", 200).Queues);
        Advance(200);

        var (_, headers) = Assert.Single(Take(queue));
        Assert.Equal(-200L, headers!["x-delay"]);
    }

    [Fact]
    public void Dead_lettered_into_a_delayed_exchange_a_message_is_held_there()
    {
        Delayed("dlx", ExchangeTypes.Fanout);
        var target = _host.Queue("target");
        _host.Bind("target", "dlx");
        var source = _host.Queue("source", arguments: Host.Args(("x-dead-letter-exchange", Host.Str("dlx"))));
        Assert.Equal(1, Publish("", "source", 300).Queues);

        Assert.True(source.TryGet(noAck: false, out var entry, out _));
        source.Settle(entry, SettleAction.Discard, new FlushBatch());
        Assert.Equal(0, target.MessageCount);
        Advance(300);

        Assert.Equal(["m"], Bodies(target));
    }

    [Fact]
    public void A_per_message_ttl_counts_from_the_due_time()
    {
        Delayed("d", ExchangeTypes.Fanout);
        var queue = _host.Queue("q");
        _host.Bind("q", "d");
        var properties = new BasicProperties { Headers = Host.Args(("x-delay", 100)), Expiration = "60000" }.Encode();
        var message = _host.Engine.Messages.Rent("d"u8, ""u8, properties, 0, persistent: false, priority: 0);
        message.TimeToLive = 60000;
        Assert.True(_host.VHost.TryGetExchange("d", out var exchange));
        _host.VHost.Publish(exchange, ref message, MessageProperties.Parse(message.Properties).HeadersBody, _targets, new FlushBatch());
        message.Release();

        Advance(100);

        Assert.True(queue.TryGet(noAck: true, out var entry, out _));
        Assert.Equal(60000, entry.Message.TimeToLive);
        entry.Message.Release();
    }
}
