using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Exchanges;

public class DirectFanoutDefaultTests
{
    [Fact]
    public void Direct_routes_by_exact_key()
    {
        var host = new Host();
        host.Exchange("d");
        host.Queue("q1");
        host.Queue("q2");
        host.Queue("q3");
        host.Bind("q1", "d", "red");
        host.Bind("q2", "d", "red");
        host.Bind("q3", "d", "green");
        host.Bind("q3", "d", "");

        Assert.Equal(["q1", "q2"], host.RouteSet("d", "red"));
        Assert.Equal(["q3"], host.Route("d", "green"));
        Assert.Equal(["q3"], host.Route("d", ""));
        Assert.Empty(host.Route("d", "Red"));
        Assert.Empty(host.Route("d", "red.x"));
        Assert.Empty(host.Route("d", "re"));
    }

    [Fact]
    public void Direct_routes_a_queue_bound_with_several_keys_or_arguments_once_and_unbinds_one_at_a_time()
    {
        var host = new Host();
        host.Exchange("d");
        host.Queue("q");
        host.Bind("q", "d", "k");
        host.Bind("q", "d", "k", Host.Args(("x", 1)));
        host.Bind("q", "d", "other");

        Assert.Equal(["q"], host.Route("d", "k"));

        host.Unbind("q", "d", "k");
        Assert.Equal(["q"], host.Route("d", "k"));
        host.Unbind("q", "d", "k", Host.Args(("x", 1)));
        Assert.Empty(host.Route("d", "k"));
        Assert.Equal(["q"], host.Route("d", "other"));
    }

    [Fact]
    public void Direct_keys_are_compared_as_utf8_text()
    {
        var host = new Host();
        host.Exchange("d");
        host.Queue("q");
        host.Bind("q", "d", "clé.€");

        Assert.Equal(["q"], host.Route("d", "clé.€"));
        Assert.Empty(host.Route("d", "cle.€"));
    }

    [Fact]
    public void Fanout_routes_to_every_bound_queue_whatever_the_key()
    {
        var host = new Host();
        host.Exchange("f", ExchangeTypes.Fanout);
        host.Queue("q1");
        host.Queue("q2");
        host.Queue("unbound");
        host.Bind("q1", "f", "ignored");
        host.Bind("q2", "f");

        Assert.Equal(["q1", "q2"], host.RouteSet("f", "anything"));
        Assert.Equal(["q1", "q2"], host.RouteSet("f", ""));

        host.Unbind("q1", "f", "ignored");
        Assert.Equal(["q2"], host.Route("f", "x"));
    }

    [Fact]
    public void Fanout_to_many_queues_bound_twice_routes_each_once()
    {
        var host = new Host();
        host.Exchange("f", ExchangeTypes.Fanout);
        var names = Enumerable.Range(0, 40).Select(i => $"q{i:D2}").ToList();
        foreach (var name in names)
        {
            host.Queue(name);
            host.Bind(name, "f", "a");
            host.Bind(name, "f", "b");
        }

        Assert.Equal(names, host.RouteSet("f", "x"));
    }

    [Fact]
    public void Default_exchange_routes_by_queue_name()
    {
        var host = new Host();
        host.Queue("orders");
        host.Queue("orders.eu");

        Assert.Equal(["orders"], host.Route("", "orders"));
        Assert.Equal(["orders.eu"], host.Route("", "orders.eu"));
        Assert.Empty(host.Route("", "Orders"));
        Assert.Empty(host.Route("", "missing"));
        Assert.Empty(host.Route("", ""));
        Assert.Same(host.VHost.DefaultExchange, host.VHost.TryGetExchange("", out var byName) ? byName : null);
    }

    [Fact]
    public void Default_exchange_stops_routing_to_a_deleted_queue_and_routes_to_a_redeclared_one()
    {
        var host = new Host();
        var first = host.Queue("q");
        Assert.False(host.VHost.DeleteQueue("q", false, false, host.Connection).IsError);

        Assert.Empty(host.Route("", "q"));
        var second = host.Queue("q");
        Assert.NotSame(first, second);
        Assert.Equal(["q"], host.Route("", "q"));
    }

    [Fact]
    public void Default_exchange_cannot_be_declared_bound_unbound_or_deleted()
    {
        var host = new Host();
        host.Queue("q");
        host.Exchange("x");
        const string text = "operation not permitted on the default exchange";

        Host.AssertError(host.VHost.DeclareExchange("", "direct", false, false, false, false, new()).Error, ErrorKind.AccessRefused, text);
        Host.AssertError(host.VHost.DeclareExchange("", "direct", true, false, false, false, new()).Error, ErrorKind.AccessRefused, text);
        Host.AssertError(host.VHost.BindQueue("q", "", "q", new(), host.Connection), ErrorKind.AccessRefused, text);
        Host.AssertError(host.VHost.UnbindQueue("q", "", "q", new(), host.Connection), ErrorKind.AccessRefused, text);
        Host.AssertError(host.VHost.BindExchange("x", "", "k", new()), ErrorKind.AccessRefused, text);
        Host.AssertError(host.VHost.BindExchange("", "x", "k", new()), ErrorKind.AccessRefused, text);
        Host.AssertError(host.VHost.DeleteExchange("", false), ErrorKind.AccessRefused, text);
        Assert.Equal(0, host.VHost.DefaultExchange.BindingCount);
    }

    [Fact]
    public void Built_in_exchanges_exist_with_their_types()
    {
        var host = new Host();

        foreach (var (name, type) in new[] { ("amq.direct", "direct"), ("amq.fanout", "fanout"), ("amq.topic", "topic"), ("amq.headers", "headers"), ("amq.match", "headers"), ("amq.rabbitmq.trace", "topic") })
        {
            Assert.True(host.VHost.TryGetExchange(name, out var exchange), name);
            Assert.Equal(type, exchange.Type);
            Assert.True(exchange.Durable);
            Assert.False(exchange.AutoDelete);
            Assert.Equal(name == "amq.rabbitmq.trace", exchange.Internal);
        }

        Assert.Equal(7, host.VHost.Exchanges.Count);
    }

    [Fact]
    public void Built_in_exchanges_route_like_their_types()
    {
        var host = new Host();
        host.Queue("q");
        host.Bind("q", "amq.direct", "k");
        host.Bind("q", "amq.topic", "a.#");
        host.Bind("q", "amq.fanout");

        Assert.Equal(["q"], host.Route("amq.direct", "k"));
        Assert.Empty(host.Route("amq.direct", "a.b"));
        Assert.Equal(["q"], host.Route("amq.topic", "a.b"));
        Assert.Equal(["q"], host.Route("amq.fanout", "zzz"));
    }
}
