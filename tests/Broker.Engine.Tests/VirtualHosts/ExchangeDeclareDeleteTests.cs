using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.VirtualHosts;

public class ExchangeDeclareDeleteTests
{
    private static Result<Exchange> Declare(Host host, string name, string type = "direct", bool passive = false, bool durable = false, bool autoDelete = false, bool @internal = false, FieldTable? arguments = null) =>
        host.VHost.DeclareExchange(name, type, passive, durable, autoDelete, @internal, arguments ?? new FieldTable());

    [Fact]
    public void Declaring_creates_an_exchange_with_its_properties_and_redeclaring_returns_it()
    {
        var host = new Host();
        var arguments = Host.Args(("alternate-exchange", Host.Str("ae")), ("custom", 1));

        var created = Declare(host, "x", "topic", durable: true, autoDelete: true, @internal: true, arguments: arguments).Value!;
        var again = Declare(host, "x", "topic", durable: true, autoDelete: true, @internal: true, arguments: arguments).Value!;

        Assert.Same(created, again);
        Assert.Equal(("x", "topic", true, true, true), (created.Name, created.Type, created.Durable, created.AutoDelete, created.Internal));
        Assert.IsType<TopicExchange>(created);
        Assert.Equal("exchange 'x' in vhost '/'", created.DisplayName);
        Assert.Same(created, Declare(host, "x", "ignored-when-passive", passive: true).Value);
    }

    [Theory]
    [InlineData("direct", typeof(DirectExchange))]
    [InlineData("fanout", typeof(FanoutExchange))]
    [InlineData("topic", typeof(TopicExchange))]
    [InlineData("headers", typeof(HeadersExchange))]
    [InlineData("x-consistent-hash", typeof(ConsistentHashExchange))]
    public void Each_known_type_makes_its_exchange_class(string type, Type expected) =>
        Assert.IsType(expected, Declare(new Host(), "x", type).Value);

    [Theory]
    [InlineData("x-random")]
    [InlineData("Direct")]
    [InlineData("")]
    public void Unknown_types_are_a_command_invalid(string type)
    {
        var host = new Host();

        Host.AssertError(Declare(host, "x", type).Error, ErrorKind.CommandInvalid, $"unknown exchange type '{type}'");
        Assert.False(host.VHost.TryGetExchange("x", out _));
    }

    [Fact]
    public void Passive_declare_of_a_missing_exchange_is_not_found()
    {
        Host.AssertError(Declare(new Host(), "nope", passive: true).Error, ErrorKind.NotFound, "no exchange 'nope' in vhost '/'");
    }

    public static TheoryData<string, string, bool, bool, bool, string> Inequivalent() => new()
    {
        { "type", "fanout", false, false, false, "inequivalent arg 'type' for exchange 'x' in vhost '/': received 'fanout' but current is 'direct'" },
        { "durable", "direct", true, false, false, "inequivalent arg 'durable' for exchange 'x' in vhost '/': received 'true' but current is 'false'" },
        { "auto_delete", "direct", false, true, false, "inequivalent arg 'auto_delete' for exchange 'x' in vhost '/': received 'true' but current is 'false'" },
        { "internal", "direct", false, false, true, "inequivalent arg 'internal' for exchange 'x' in vhost '/': received 'true' but current is 'false'" },
    };

    [Theory]
    [MemberData(nameof(Inequivalent))]
    public void Redeclaring_with_different_properties_is_a_precondition_failure(string field, string type, bool durable, bool autoDelete, bool @internal, string text)
    {
        _ = field;
        var host = new Host();
        var original = Declare(host, "x").Value;

        Host.AssertError(Declare(host, "x", type, durable: durable, autoDelete: autoDelete, @internal: @internal).Error, ErrorKind.PreconditionFailed, text);
        Assert.True(host.VHost.TryGetExchange("x", out var still));
        Assert.Same(original, still);
    }

    [Fact]
    public void Redeclaring_with_a_different_alternate_exchange_is_a_precondition_failure()
    {
        var host = new Host();
        Declare(host, "x", arguments: Host.Args(("alternate-exchange", Host.Str("a"))));

        Host.AssertError(
            Declare(host, "x", arguments: Host.Args(("alternate-exchange", Host.Str("b")))).Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received 'b' but current is 'a'");
        Host.AssertError(
            Declare(host, "x").Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received none but current is the value 'a' of type 'longstr'");
        Assert.False(Declare(host, "x", arguments: Host.Args(("alternate-exchange", "a"))).IsError);
    }

    [Fact]
    public void Other_exchange_arguments_are_not_compared_on_redeclare()
    {
        var host = new Host();
        Declare(host, "x", arguments: Host.Args(("custom", 1)));

        Assert.False(Declare(host, "x", arguments: Host.Args(("custom", 2))).IsError);
        Assert.False(Declare(host, "x").IsError);
    }

    [Fact]
    public void An_alternate_exchange_that_is_not_a_string_is_refused()
    {
        var host = new Host();

        Host.AssertError(
            Declare(host, "x", arguments: Host.Args(("alternate-exchange", 5))).Error,
            ErrorKind.PreconditionFailed,
            "invalid type 'signedint' for arg 'alternate-exchange' in exchange 'x' in vhost '/'");
        Assert.False(host.VHost.TryGetExchange("x", out _));
    }

    [Theory]
    [InlineData("amq.custom")]
    [InlineData("amq.")]
    public void Names_starting_with_amq_are_reserved(string name)
    {
        var host = new Host();

        Host.AssertError(Declare(host, name).Error, ErrorKind.AccessRefused, $"exchange name '{name}' contains reserved prefix 'amq.*'");
        Assert.False(host.VHost.TryGetExchange(name, out _));
    }

    [Fact]
    public void Built_in_exchanges_can_be_redeclared_equivalently_but_not_changed_or_deleted()
    {
        var host = new Host();
        Assert.True(host.VHost.TryGetExchange("amq.direct", out var builtIn));

        Assert.Same(builtIn, Declare(host, "amq.direct", "direct", durable: true).Value);
        Assert.Same(builtIn, Declare(host, "amq.direct", passive: true).Value);
        Host.AssertError(
            Declare(host, "amq.direct", "fanout", durable: true).Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'type' for exchange 'amq.direct' in vhost '/': received 'fanout' but current is 'direct'");
        Host.AssertError(host.VHost.DeleteExchange("amq.direct", false), ErrorKind.AccessRefused, "deletion of system exchange 'amq.direct' in vhost '/' not allowed");
        Assert.True(host.VHost.TryGetExchange("amq.direct", out _));
    }

    [Fact]
    public void Names_like_amq_without_the_dot_are_ordinary()
    {
        var host = new Host();

        Assert.False(Declare(host, "amqp").IsError);
        Assert.False(Declare(host, "AMQ.x").IsError);
        Assert.False(host.VHost.DeleteExchange("amqp", false).IsError);
    }

    [Fact]
    public void Deleting_a_missing_exchange_succeeds()
    {
        Assert.False(new Host().VHost.DeleteExchange("nope", ifUnused: true).IsError);
    }

    [Fact]
    public void If_unused_refuses_an_exchange_with_bindings_from_it()
    {
        var host = new Host();
        host.Exchange("x");
        host.Queue("q");
        host.Bind("q", "x", "k");

        Host.AssertError(host.VHost.DeleteExchange("x", ifUnused: true), ErrorKind.PreconditionFailed, "exchange 'x' in vhost '/' in use");
        Assert.True(host.VHost.TryGetExchange("x", out _));

        host.Unbind("q", "x", "k");
        Assert.False(host.VHost.DeleteExchange("x", ifUnused: true).IsError);
        Assert.False(host.VHost.TryGetExchange("x", out _));
    }

    [Fact]
    public void If_unused_ignores_bindings_to_the_exchange()
    {
        var host = new Host();
        host.Exchange("src", ExchangeTypes.Fanout);
        host.Exchange("x");
        host.BindExchange("x", "src");

        Assert.False(host.VHost.DeleteExchange("x", ifUnused: true).IsError);
        Assert.False(host.VHost.TryGetExchange("x", out _));
    }

    [Fact]
    public void Deleting_an_exchange_removes_its_bindings_and_marks_it_deleted()
    {
        var host = new Host();
        var exchange = host.Exchange("x", ExchangeTypes.Fanout);
        var queue = host.Queue("q");
        host.Bind("q", "x");

        Assert.False(host.VHost.DeleteExchange("x", ifUnused: false).IsError);

        Assert.True(exchange.IsDeleted);
        Assert.Equal(0, exchange.BindingCount);
        Assert.False(queue.IsDeleted);
        Assert.Empty(host.Route(exchange, "k"));

        host.Exchange("x", ExchangeTypes.Fanout);
        Assert.Empty(host.Route("x", "k"));
    }
}
