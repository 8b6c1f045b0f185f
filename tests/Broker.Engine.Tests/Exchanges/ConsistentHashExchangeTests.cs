using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Routing;
using Broker.Engine.Tests.Support;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Tests.Exchanges;

/// <summary>
/// x-consistent-hash as rabbit_exchange_type_consistent_hash (RabbitMQ 3.10 to 3.13) behaves; the
/// texts were checked against RabbitMQ 3.10.8 with the plugin enabled.
/// </summary>
public class ConsistentHashExchangeTests
{
    private const string Type = ExchangeTypes.ConsistentHash;
    private readonly Host _host = new();
    private readonly RouteTargets _targets = new();

    private EngineError Declare(string name, FieldTable arguments) =>
        _host.VHost.DeclareExchange(name, Type, passive: false, durable: false, autoDelete: false, @internal: false, arguments).Error;

    private EngineError TryBind(string queue, string exchange, string key) =>
        _host.VHost.BindQueue(queue, exchange, key, new FieldTable(), _host.Connection);

    /// <summary>Routes a whole message (properties and all) as basic.publish does; returns the queues reached.</summary>
    private List<string> Publish(string exchange, string routingKey, BasicProperties? properties = null)
    {
        Assert.True(_host.VHost.TryGetExchange(exchange, out var source));
        var encoded = (properties ?? new BasicProperties()).Encode();
        var message = _host.Engine.Messages.Rent(""u8, TextEncoding.UTF8.GetBytes(routingKey), encoded, 0, persistent: false, priority: 0);
        try
        {
            _host.VHost.Route(source, ref message, MessageProperties.Parse(message.Properties).HeadersBody, _targets);
            return [.. _targets.Queues.Select(q => q.Name)];
        }
        finally
        {
            message.Release();
        }
    }

    private Dictionary<string, int> Spread(int count, Func<int, List<string>> route)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var reached = route(i);
            Assert.Single(reached);
            counts[reached[0]] = counts.GetValueOrDefault(reached[0]) + 1;
        }

        return counts;
    }

    private void Queues(string exchange, params (string Queue, string Weight)[] bindings)
    {
        foreach (var (queue, weight) in bindings)
        {
            if (!_host.VHost.TryGetQueue(queue, out _))
            {
                _host.Queue(queue);
            }

            _host.Bind(queue, exchange, weight);
        }
    }

    [Fact]
    public void Declaring_with_both_hash_header_and_hash_property_is_refused()
    {
        Host.AssertError(
            Declare("x", Host.Args(("hash-header", Host.Str("h")), ("hash-property", Host.Str("message_id")))),
            ErrorKind.PreconditionFailed,
            "hash-header and hash-property are mutually exclusive");
        Assert.False(_host.VHost.TryGetExchange("x", out _));
    }

    [Theory]
    [InlineData("app_id")]
    [InlineData("")]
    [InlineData("messageId")]
    public void Only_correlation_id_message_id_and_timestamp_can_be_hashed(string property)
    {
        Host.AssertError(Declare("x", Host.Args(("hash-property", Host.Str(property)))), ErrorKind.PreconditionFailed, $"Unsupported property: {property}");
        foreach (var supported in (string[])["correlation_id", "message_id", "timestamp"])
        {
            Assert.False(Declare(supported, Host.Args(("hash-property", Host.Str(supported)))).IsError);
        }
    }

    [Fact]
    public void A_hash_argument_that_is_not_a_string_fails_as_RabbitMQs_crash_does()
    {
        // RabbitMQ 3.10.8 answers these with connection.close 541 INTERNAL_ERROR.
        Assert.Equal(ErrorKind.InternalError, Declare("x", Host.Args(("hash-header", 5))).Kind);
        Assert.Equal(ErrorKind.InternalError, Declare("x", Host.Args(("hash-property", 5L))).Kind);
        Assert.Equal(ErrorKind.InternalError, Declare("x", Host.Args(("hash-header", 5), ("hash-property", Host.Str("message_id")))).Kind);
        Assert.False(Declare("x", Host.Args(("hash-header", Host.Str("")))).IsError);
    }

    [Fact]
    public void A_redeclaration_is_not_validated_again_and_ignores_the_hash_arguments()
    {
        Assert.False(Declare("x", new FieldTable()).IsError);

        Assert.False(Declare("x", Host.Args(("hash-header", Host.Str("h")))).IsError);
        Assert.False(Declare("x", Host.Args(("hash-property", Host.Str("nope")))).IsError);
        Host.AssertError(
            Declare("x", Host.Args(("alternate-exchange", Host.Str("ae")))),
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received the value 'ae' of type 'longstr' but current is none");
    }

    [Fact]
    public void A_type_mismatch_prints_the_type_as_an_Erlang_atom()
    {
        _host.Exchange("chx", Type);
        _host.Exchange("dx");

        Host.AssertError(
            _host.VHost.DeclareExchange("chx", "direct", false, false, false, false, new FieldTable()).Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'type' for exchange 'chx' in vhost '/': received 'direct' but current is ''x-consistent-hash''");
        Host.AssertError(
            Declare("dx", new FieldTable()),
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'type' for exchange 'dx' in vhost '/': received ''x-consistent-hash'' but current is 'direct'");
    }

    [Theory]
    [InlineData("abc", "The binding key must be an integer: <<\"abc\">>")]
    [InlineData("", "The binding key must be an integer: <<>>")]
    [InlineData(" 3", "The binding key must be an integer: <<\" 3\">>")]
    [InlineData("1.5", "The binding key must be an integer: <<\"1.5\">>")]
    [InlineData("+", "The binding key must be an integer: <<\"+\">>")]
    [InlineData("a\"b", "The binding key must be an integer: <<\"a\\\"b\">>")]
    [InlineData("a\\b", "The binding key must be an integer: <<\"a\\\\b\">>")]
    [InlineData("a\nb", "The binding key must be an integer: <<\"a\\nb\">>")]
    [InlineData("\u001b", "The binding key must be an integer: <<\"\\e\">>")]
    [InlineData("é", "The binding key must be an integer: <<\"é\">>")]
    [InlineData("ā", "The binding key must be an integer: <<196,129>>")]
    [InlineData("€", "The binding key must be an integer: <<226,130,172>>")]
    [InlineData("x\u0001", "The binding key must be an integer: <<120,1>>")]
    [InlineData("0", "The binding key must be greater than 0")]
    [InlineData("-0", "The binding key must be greater than 0")]
    [InlineData("000", "The binding key must be greater than 0")]
    [InlineData("-3", "The binding key must be greater than 0")]
    [InlineData("2147483648", "The binding key must be at most 2147483647")]
    [InlineData("99999999999999999999999", "The binding key must be at most 2147483647")]
    public void A_binding_key_must_be_a_positive_integer(string key, string text)
    {
        _host.Exchange("chx", Type);
        _host.Queue("q");

        Host.AssertError(TryBind("q", "chx", key), ErrorKind.PreconditionFailed, text);
        Assert.Equal(0, _host.VHost.TryGetExchange("chx", out var exchange) ? exchange.BindingCount : -1);
    }

    [Theory]
    [InlineData("+3")]
    [InlineData("007")]
    [InlineData("2147483647")]
    public void Binding_keys_are_read_as_Erlang_reads_integers(string key)
    {
        _host.Exchange("chx", Type);
        _host.Queue("q");

        Assert.False(TryBind("q", "chx", key).IsError);
        Assert.Equal(["q"], _host.Route("chx", "any"));
    }

    [Fact]
    public void Unbinding_with_a_key_that_is_not_a_weight_is_fine()
    {
        _host.Exchange("chx", Type);
        _host.Queue("q");

        _host.Unbind("q", "chx", "abc");
    }

    [Fact]
    public void Without_bindings_nothing_is_routed()
    {
        _host.Exchange("chx", Type);

        Assert.Empty(Publish("chx", "k"));
    }

    [Fact]
    public void Each_message_reaches_one_queue_and_the_same_key_always_the_same_one()
    {
        _host.Exchange("chx", Type);
        Queues("chx", ("q1", "1"), ("q2", "1"), ("q3", "1"));

        for (var i = 0; i < 200; i++)
        {
            var first = Publish("chx", $"key-{i}");
            Assert.Single(first);
            Assert.Equal(first, Publish("chx", $"key-{i}"));
            Assert.Equal(first, _host.Route("chx", $"key-{i}"));
        }
    }

    [Fact]
    public void Queues_get_keys_in_proportion_to_their_weights()
    {
        _host.Exchange("chx", Type);
        Queues("chx", ("light", "1"), ("middle", "3"), ("heavy", "6"));

        var counts = Spread(10_000, i => Publish("chx", $"user-{i}"));

        Assert.InRange(counts["light"], 800, 1200);
        Assert.InRange(counts["middle"], 2700, 3300);
        Assert.InRange(counts["heavy"], 5600, 6400);
    }

    [Fact]
    public void A_new_binding_takes_keys_only_for_itself()
    {
        _host.Exchange("chx", Type);
        Queues("chx", ("q1", "1"), ("q2", "1"), ("q3", "1"));
        var before = Enumerable.Range(0, 3000).Select(i => Publish("chx", $"k{i}")[0]).ToList();

        Queues("chx", ("q4", "1"));
        var after = Enumerable.Range(0, 3000).Select(i => Publish("chx", $"k{i}")[0]).ToList();

        var moved = Enumerable.Range(0, 3000).Where(i => before[i] != after[i]).ToList();
        Assert.All(moved, i => Assert.Equal("q4", after[i]));
        Assert.InRange(moved.Count, 600, 900);
    }

    [Fact]
    public void An_unbound_queue_gets_nothing_more_and_its_keys_go_to_the_others()
    {
        _host.Exchange("chx", Type);
        Queues("chx", ("q1", "1"), ("q2", "1"), ("q3", "1"));
        _host.Unbind("q3", "chx", "1");

        var counts = Spread(1000, i => Publish("chx", $"k{i}"));

        Assert.Equal(["q1", "q2"], counts.Keys.Order());
    }

    [Fact]
    public void A_second_binding_to_the_same_queue_adds_no_weight_and_removing_either_takes_the_queue_off_the_ring()
    {
        // RabbitMQ keeps one place per destination: the first binding's weight. Unbinding any of its
        // bindings removes that place, even while another binding to the queue remains.
        _host.Exchange("chx", Type);
        Queues("chx", ("q1", "1"), ("q2", "1"));
        _host.Bind("q1", "chx", "5");
        Assert.Equal(3, _host.VHost.TryGetExchange("chx", out var exchange) ? exchange.BindingCount : 0);

        var counts = Spread(2000, i => Publish("chx", $"k{i}"));
        Assert.InRange(counts["q1"], 850, 1150);

        _host.Unbind("q1", "chx", "5");
        Assert.Equal(2, exchange.BindingCount);
        Assert.Equal(["q2"], Spread(200, i => Publish("chx", $"k{i}")).Keys);

        _host.Unbind("q1", "chx", "1");
        _host.Bind("q1", "chx", "1");
        Assert.Equal(["q1", "q2"], Spread(200, i => Publish("chx", $"k{i}")).Keys.Order());
    }

    [Fact]
    public void A_deleted_queue_leaves_the_ring()
    {
        _host.Exchange("chx", Type);
        Queues("chx", ("q1", "1"), ("q2", "1"));
        Assert.False(_host.VHost.DeleteQueue("q1", ifUnused: false, ifEmpty: false, _host.Connection).IsError);

        Assert.Equal(["q2"], Spread(200, i => Publish("chx", $"k{i}")).Keys);
    }

    [Fact]
    public void The_hash_header_picks_the_queue_and_the_routing_key_does_not()
    {
        _host.Exchange("chx", Type, arguments: Host.Args(("hash-header", Host.Str("user"))));
        Queues("chx", ("q1", "1"), ("q2", "1"), ("q3", "1"));

        var counts = Spread(3000, i => Publish("chx", "same", new BasicProperties { Headers = Host.Args(("user", Host.Str($"u{i}"))) }));
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));

        var byHeader = Publish("chx", "a", new BasicProperties { Headers = Host.Args(("user", Host.Str("alice"))) });
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(byHeader, Publish("chx", $"other-{i}", new BasicProperties { Headers = Host.Args(("user", Host.Str("alice")), ("n", i)) }));
        }

        // Integers hash too; a number and its text are different values.
        Assert.Equal(3, Spread(300, i => Publish("chx", "k", new BasicProperties { Headers = Host.Args(("user", i)) })).Count);
    }

    [Fact]
    public void Messages_without_the_hashed_header_or_property_all_go_to_one_queue()
    {
        // RabbitMQ hashes the missing value (undefined) like any other: one queue gets them all.
        _host.Exchange("byheader", Type, arguments: Host.Args(("hash-header", Host.Str("user"))));
        _host.Exchange("byid", Type, arguments: Host.Args(("hash-property", Host.Str("message_id"))));
        Queues("byheader", ("q1", "1"), ("q2", "1"), ("q3", "1"));
        Queues("byid", ("q1", "1"), ("q2", "1"), ("q3", "1"));

        Assert.Single(Spread(100, i => Publish("byheader", $"k{i}", new BasicProperties { Headers = Host.Args(("other", i)) })));
        Assert.Single(Spread(100, i => Publish("byheader", $"k{i}")));
        Assert.Single(Spread(100, i => Publish("byid", $"k{i}")));
    }

    [Theory]
    [InlineData("message_id")]
    [InlineData("correlation_id")]
    [InlineData("timestamp")]
    public void The_hash_property_picks_the_queue(string property)
    {
        _host.Exchange("chx", Type, arguments: Host.Args(("hash-property", Host.Str(property))));
        Queues("chx", ("q1", "1"), ("q2", "1"), ("q3", "1"));
        BasicProperties With(int i) => property switch
        {
            "message_id" => new BasicProperties { MessageId = $"m{i}" },
            "correlation_id" => new BasicProperties { CorrelationId = $"c{i}" },
            _ => new BasicProperties { Timestamp = new AmqpTimestamp(1_700_000_000UL + (ulong)i) },
        };

        var counts = Spread(3000, i => Publish("chx", "same", With(i)));

        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(Publish("chx", "a", With(i)), Publish("chx", "b", With(i)));
        }
    }

    [Fact]
    public void CC_keys_do_not_reach_more_queues_only_the_published_key_is_hashed()
    {
        _host.Exchange("chx", Type);
        Queues("chx", ("q1", "1"), ("q2", "1"), ("q3", "1"), ("q4", "1"));

        for (var i = 0; i < 100; i++)
        {
            var cc = new BasicProperties { Headers = Host.Args(("CC", new List<object?> { Host.Str($"c{i}"), Host.Str($"d{i}") })) };
            Assert.Equal(Publish("chx", $"k{i}"), Publish("chx", $"k{i}", cc));
        }
    }

    [Fact]
    public void Exchanges_bind_to_and_from_it()
    {
        _host.Exchange("chx", Type);
        _host.Exchange("fan", ExchangeTypes.Fanout);
        _host.Exchange("src");
        _host.Queue("fq1");
        _host.Queue("fq2");
        _host.Bind("fq1", "fan");
        _host.Bind("fq2", "fan");
        Queues("chx", ("q1", "1"));
        _host.BindExchange("fan", "chx", "3");
        _host.BindExchange("chx", "src", "orders");
        Host.AssertError(_host.VHost.BindExchange("fan", "chx", "abc", new FieldTable()), ErrorKind.PreconditionFailed, "The binding key must be an integer: <<\"abc\">>");

        // The exchange is one destination with weight 3: its share is 3 in 4, and reaching it reaches both its queues.
        var fanned = 0;
        for (var i = 0; i < 2000; i++)
        {
            var reached = _host.RouteSet("chx", $"k{i}");
            Assert.True(reached.SequenceEqual(["q1"]) || reached.SequenceEqual(["fq1", "fq2"]), string.Join(",", reached));
            fanned += reached.Count == 2 ? 1 : 0;
        }

        Assert.InRange(fanned, 1350, 1650);
        Assert.Single(_host.Route("src", "orders"));
        Assert.Empty(_host.Route("src", "other"));
    }

    [Fact]
    public void Unroutable_messages_go_to_the_alternate_exchange()
    {
        _host.Exchange("ae", ExchangeTypes.Fanout);
        _host.Queue("unrouted");
        _host.Bind("unrouted", "ae");
        _host.Exchange("chx", Type, arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));

        Assert.Equal(["unrouted"], Publish("chx", "k"));
        Queues("chx", ("q1", "1"));
        Assert.Equal(["q1"], Publish("chx", "k"));
    }
}
