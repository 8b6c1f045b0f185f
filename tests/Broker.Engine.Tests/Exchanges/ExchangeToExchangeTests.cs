using Broker.Engine.Exchanges;
using Broker.Engine.Routing;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Exchanges;

public class ExchangeToExchangeTests
{
    [Fact]
    public void A_chain_of_exchanges_routes_through_each_binding()
    {
        var host = new Host();
        host.Exchange("e1");
        host.Exchange("e2", ExchangeTypes.Topic);
        host.Exchange("e3", ExchangeTypes.Fanout);
        host.Queue("q2");
        host.Queue("q3");
        host.BindExchange("e2", "e1", "a.b");
        host.BindExchange("e3", "e2", "a.*");
        host.Bind("q2", "e2", "#.b");
        host.Bind("q3", "e3");

        Assert.Equal(["q2", "q3"], host.RouteSet("e1", "a.b"));
        Assert.Empty(host.Route("e1", "a.c"));
        Assert.Equal(["q3"], host.Route("e2", "a.c"));
    }

    [Fact]
    public void A_queue_reached_through_several_paths_is_routed_once()
    {
        var host = new Host();
        host.Exchange("top", ExchangeTypes.Fanout);
        host.Exchange("left", ExchangeTypes.Fanout);
        host.Exchange("right", ExchangeTypes.Fanout);
        host.Queue("q");
        host.BindExchange("left", "top");
        host.BindExchange("right", "top");
        host.Bind("q", "left");
        host.Bind("q", "right");
        host.Bind("q", "top");

        Assert.Equal(["q"], host.Route("top", "k"));
    }

    [Fact]
    public void Cycles_terminate_and_route_each_queue_once()
    {
        var host = new Host();
        host.Exchange("a", ExchangeTypes.Fanout);
        host.Exchange("b", ExchangeTypes.Fanout);
        host.Exchange("c", ExchangeTypes.Fanout);
        host.Queue("qa");
        host.Queue("qc");
        host.BindExchange("b", "a");
        host.BindExchange("c", "b");
        host.BindExchange("a", "c");
        host.BindExchange("a", "a");
        host.Bind("qa", "a");
        host.Bind("qc", "c");

        Assert.Equal(["qa", "qc"], host.RouteSet("a", "k"));
        Assert.Equal(["qa", "qc"], host.RouteSet("b", "k"));
        Assert.Equal(["qa", "qc"], host.RouteSet("c", "k"));
    }

    [Fact]
    public void Unbinding_an_exchange_stops_routing_through_it()
    {
        var host = new Host();
        host.Exchange("src", ExchangeTypes.Fanout);
        host.Exchange("dst", ExchangeTypes.Fanout);
        host.Queue("q");
        host.BindExchange("dst", "src");
        host.Bind("q", "dst");

        Assert.False(host.VHost.UnbindExchange("dst", "src", "", new()).IsError);

        Assert.Empty(host.Route("src", "k"));
        Assert.Equal(["q"], host.Route("dst", "k"));
    }

    [Fact]
    public void Deleting_a_destination_exchange_removes_the_bindings_to_it()
    {
        var host = new Host();
        var source = host.Exchange("src", ExchangeTypes.Fanout);
        host.Exchange("dst", ExchangeTypes.Fanout);
        host.Queue("q");
        host.BindExchange("dst", "src");
        host.Bind("q", "dst");

        Assert.False(host.VHost.DeleteExchange("dst", ifUnused: false).IsError);

        Assert.Equal(0, source.BindingCount);
        Assert.Empty(host.Route("src", "k"));
        host.Exchange("dst", ExchangeTypes.Fanout);
        Assert.Empty(host.Route("src", "k"));
    }

    [Fact]
    public void Deleting_a_source_exchange_leaves_its_destinations_alone()
    {
        var host = new Host();
        host.Exchange("src", ExchangeTypes.Fanout);
        host.Exchange("dst", ExchangeTypes.Fanout, autoDelete: true);
        host.Queue("q");
        host.BindExchange("dst", "src");
        host.Bind("q", "dst");

        Assert.False(host.VHost.DeleteExchange("src", ifUnused: false).IsError);

        Assert.False(host.VHost.TryGetExchange("src", out _));
        Assert.True(host.VHost.TryGetExchange("dst", out _));
        Assert.Equal(["q"], host.Route("dst", "k"));
    }

    [Fact]
    public void The_alternate_exchange_takes_what_the_exchange_does_not_route()
    {
        var host = new Host();
        host.Exchange("ae", ExchangeTypes.Fanout);
        host.Exchange("main", arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));
        host.Queue("q");
        host.Queue("unrouted");
        host.Bind("q", "main", "k");
        host.Bind("unrouted", "ae");

        Assert.Equal(["q"], host.Route("main", "k"));
        Assert.Equal(["unrouted"], host.Route("main", "other"));
        Assert.Equal("ae", host.VHost.TryGetExchange("main", out var main) ? main.AlternateExchange : null);
    }

    [Fact]
    public void The_alternate_exchange_is_not_used_when_the_exchange_routes_to_another_exchange_that_routes_nowhere()
    {
        var host = new Host();
        host.Exchange("ae", ExchangeTypes.Fanout);
        host.Exchange("dead-end");
        host.Exchange("main", ExchangeTypes.Fanout, arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));
        host.Queue("unrouted");
        host.Bind("unrouted", "ae");
        host.BindExchange("dead-end", "main");

        Assert.Empty(host.Route("main", "k"));
    }

    [Fact]
    public void An_alternate_exchange_given_as_a_string_works_like_bytes()
    {
        var host = new Host();
        host.Exchange("ae", ExchangeTypes.Fanout);
        host.Exchange("main", arguments: Host.Args(("alternate-exchange", "ae")));
        host.Queue("unrouted");
        host.Bind("unrouted", "ae");

        Assert.Equal(["unrouted"], host.Route("main", "k"));
    }

    [Fact]
    public void The_alternate_exchange_of_the_alternate_exchange_is_followed()
    {
        var host = new Host();
        host.Exchange("ae2", ExchangeTypes.Fanout);
        host.Exchange("ae1", arguments: Host.Args(("alternate-exchange", Host.Str("ae2"))));
        host.Exchange("main", arguments: Host.Args(("alternate-exchange", Host.Str("ae1"))));
        host.Queue("via-ae1");
        host.Queue("via-ae2");
        host.Bind("via-ae1", "ae1", "k1");
        host.Bind("via-ae2", "ae2");

        Assert.Equal(["via-ae1"], host.Route("main", "k1"));
        Assert.Equal(["via-ae2"], host.Route("main", "k2"));
    }

    [Fact]
    public void Alternate_exchanges_in_a_cycle_terminate()
    {
        var host = new Host();
        host.Exchange("x1", arguments: Host.Args(("alternate-exchange", Host.Str("x2"))));
        host.Exchange("x2", arguments: Host.Args(("alternate-exchange", Host.Str("x1"))));
        host.Queue("q");
        host.Bind("q", "x2", "k");

        Assert.Empty(host.Route("x1", "other"));
        Assert.Equal(["q"], host.Route("x1", "k"));
    }

    [Fact]
    public void A_missing_or_deleted_alternate_exchange_routes_nowhere()
    {
        var host = new Host();
        host.Exchange("main", arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));

        Assert.Empty(host.Route("main", "k"));

        host.Exchange("ae", ExchangeTypes.Fanout);
        host.Queue("unrouted");
        host.Bind("unrouted", "ae");
        Assert.Equal(["unrouted"], host.Route("main", "k"));

        Assert.False(host.VHost.DeleteExchange("ae", false).IsError);
        Assert.Empty(host.Route("main", "k"));
    }

    [Fact]
    public void An_exchange_reached_through_bindings_uses_its_own_alternate_exchange()
    {
        var host = new Host();
        host.Exchange("ae", ExchangeTypes.Fanout);
        host.Exchange("inner", arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));
        host.Exchange("outer", ExchangeTypes.Fanout);
        host.Queue("unrouted");
        host.Bind("unrouted", "ae");
        host.BindExchange("inner", "outer");

        Assert.Equal(["unrouted"], host.Route("outer", "k"));
    }

    [Fact]
    public void An_alternate_exchange_that_is_also_bound_is_visited_once()
    {
        var host = new Host();
        host.Exchange("ae", ExchangeTypes.Fanout);
        host.Exchange("main", ExchangeTypes.Topic, arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));
        host.Exchange("side", arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));
        host.Queue("q");
        host.Bind("q", "ae");
        host.BindExchange("side", "main", "#");

        Assert.Equal(["q"], host.Route("main", "x"));
    }

    [Fact]
    public void An_exchange_bound_to_itself_can_be_deleted_and_auto_deleted()
    {
        var host = new Host();
        host.Exchange("self", ExchangeTypes.Fanout);
        host.Exchange("ad-self", ExchangeTypes.Fanout, autoDelete: true);
        host.BindExchange("self", "self");
        host.BindExchange("ad-self", "ad-self");
        host.Queue("q");
        host.Bind("q", "self");

        Assert.Equal(["q"], host.Route("self", "k"));
        Assert.False(host.VHost.DeleteExchange("self", false).IsError);
        Assert.False(host.VHost.TryGetExchange("self", out _));

        Assert.False(host.VHost.UnbindExchange("ad-self", "ad-self", "", new()).IsError);
        Assert.False(host.VHost.TryGetExchange("ad-self", out _));
    }

    [Fact]
    public void Routing_again_without_clearing_adds_to_the_targets()
    {
        var host = new Host();
        host.Exchange("a", ExchangeTypes.Fanout);
        host.Exchange("b", ExchangeTypes.Fanout);
        var names = Enumerable.Range(0, 20).Select(i => $"q{i:D2}").ToList();
        foreach (var name in names)
        {
            host.Queue(name);
            host.Bind(name, names.IndexOf(name) < 12 ? "a" : "b");
        }

        host.Bind("q00", "b");
        Assert.True(host.VHost.TryGetExchange("a", out var a));
        Assert.True(host.VHost.TryGetExchange("b", out var b));
        var targets = new RouteTargets();
        Span<char> buffer = stackalloc char[RoutingKey.MaxChars];

        host.VHost.Route(a, RoutingKey.Decode("k"u8, buffer), [], targets);
        host.VHost.Route(b, RoutingKey.Decode("k"u8, buffer), [], targets);

        Assert.Equal(names, targets.Queues.Select(q => q.Name).Order(StringComparer.Ordinal));

        targets.Clear();
        Assert.Empty(targets.Queues);
        host.VHost.Route(b, RoutingKey.Decode("k"u8, buffer), [], targets);
        Assert.Equal(9, targets.Queues.Count);
    }
}
