using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.VirtualHosts;

public class BindingTests
{
    [Fact]
    public void Binding_to_a_missing_exchange_or_queue_is_not_found()
    {
        var host = new Host();
        host.Queue("q");
        host.Exchange("x");

        Host.AssertError(host.VHost.BindQueue("q", "nope", "k", new(), host.Connection), ErrorKind.NotFound, "no exchange 'nope' in vhost '/'");
        Host.AssertError(host.VHost.BindQueue("nope", "x", "k", new(), host.Connection), ErrorKind.NotFound, "no queue 'nope' in vhost '/'");
        Host.AssertError(host.VHost.BindExchange("nope", "x", "k", new()), ErrorKind.NotFound, "no exchange 'nope' in vhost '/'");
        Host.AssertError(host.VHost.BindExchange("x", "nope", "k", new()), ErrorKind.NotFound, "no exchange 'nope' in vhost '/'");
    }

    [Fact]
    public void Unbinding_from_or_to_something_missing_succeeds()
    {
        var host = new Host();
        host.Queue("q");
        host.Exchange("x");

        Assert.False(host.VHost.UnbindQueue("q", "nope", "k", new(), host.Connection).IsError);
        Assert.False(host.VHost.UnbindQueue("nope", "x", "k", new(), host.Connection).IsError);
        Assert.False(host.VHost.UnbindExchange("nope", "x", "k", new()).IsError);
        Assert.False(host.VHost.UnbindExchange("x", "nope", "k", new()).IsError);
    }

    [Fact]
    public void Unbinding_a_binding_that_does_not_exist_succeeds_and_changes_nothing()
    {
        var host = new Host();
        var exchange = host.Exchange("x");
        host.Queue("q");
        host.Bind("q", "x", "k");

        Assert.False(host.VHost.UnbindQueue("q", "x", "other", new(), host.Connection).IsError);
        Assert.False(host.VHost.UnbindQueue("q", "x", "k", Host.Args(("a", 1)), host.Connection).IsError);

        Assert.Equal(1, exchange.BindingCount);
        Assert.Equal(["q"], host.Route("x", "k"));
    }

    [Fact]
    public void A_binding_is_identified_by_destination_key_and_arguments()
    {
        var host = new Host();
        var exchange = host.Exchange("x", ExchangeTypes.Fanout);
        host.Queue("q");

        host.Bind("q", "x", "k");
        host.Bind("q", "x", "k");
        host.Bind("q", "x", "k", Host.Args(("a", 1)));
        host.Bind("q", "x", "k", Host.Args(("a", 1)));
        host.Bind("q", "x", "k2");

        Assert.Equal(3, exchange.BindingCount);
        var bindings = exchange.GetBindings();
        Assert.All(bindings, b => Assert.Same(exchange, b.Source));
        Assert.Equal(["k", "k", "k2"], bindings.Select(b => b.RoutingKey).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Binding_arguments_compare_by_content_and_ignore_order()
    {
        var host = new Host();
        var exchange = host.Exchange("x");
        host.Queue("q");
        host.Bind("q", "x", "k", Host.Args(("a", 1), ("b", Host.Str("s"))));

        host.Bind("q", "x", "k", Host.Args(("b", Host.Str("s")), ("a", 1)));
        Assert.Equal(1, exchange.BindingCount);

        host.Unbind("q", "x", "k", Host.Args(("b", "s"), ("a", 1)));
        Assert.Equal(0, exchange.BindingCount);
    }

    [Fact]
    public void Exchange_bindings_are_counted_on_the_source()
    {
        var host = new Host();
        var source = host.Exchange("src", ExchangeTypes.Topic);
        var destination = host.Exchange("dst");

        host.BindExchange("dst", "src", "a.#");
        host.BindExchange("dst", "src", "a.#");

        Assert.Equal(1, source.BindingCount);
        Assert.Equal(0, destination.BindingCount);
        Assert.Same(destination, Assert.Single(source.GetBindings()).Destination);
    }
}
