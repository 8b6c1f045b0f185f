using Broker.Engine.Exchanges;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.VirtualHosts;

/// <summary>Auto-delete exchanges go when their last binding goes (rabbit_exchange:maybe_auto_delete).</summary>
public class AutoDeleteTests
{
    [Fact]
    public void An_auto_delete_exchange_without_bindings_stays_until_it_had_one()
    {
        var host = new Host();
        host.Exchange("ad", autoDelete: true);

        Assert.True(host.VHost.TryGetExchange("ad", out _));
    }

    [Fact]
    public void An_auto_delete_exchange_goes_when_its_last_binding_is_unbound()
    {
        var host = new Host();
        var exchange = host.Exchange("ad", autoDelete: true);
        host.Queue("q1");
        host.Queue("q2");
        host.Bind("q1", "ad", "k");
        host.Bind("q2", "ad", "k");

        host.Unbind("q1", "ad", "k");
        Assert.True(host.VHost.TryGetExchange("ad", out _));

        host.Unbind("q2", "ad", "k");
        Assert.False(host.VHost.TryGetExchange("ad", out _));
        Assert.True(exchange.IsDeleted);
    }

    [Fact]
    public void Unbinding_a_binding_that_does_not_exist_does_not_delete_an_unbound_auto_delete_exchange()
    {
        var host = new Host();
        host.Exchange("ad", autoDelete: true);
        host.Queue("q");

        host.Unbind("q", "ad", "never-bound");

        Assert.True(host.VHost.TryGetExchange("ad", out _));
    }

    [Fact]
    public void An_auto_delete_exchange_goes_when_its_only_bound_queue_is_deleted()
    {
        var host = new Host();
        var exchange = host.Exchange("ad", ExchangeTypes.Topic, autoDelete: true);
        host.Queue("q");
        host.Bind("q", "ad", "a.*");
        host.Bind("q", "ad", "#");

        Assert.False(host.VHost.DeleteQueue("q", false, false, host.Connection).IsError);

        Assert.False(host.VHost.TryGetExchange("ad", out _));
        Assert.True(exchange.IsDeleted);
    }

    [Fact]
    public void An_auto_delete_exchange_stays_while_another_queue_is_bound()
    {
        var host = new Host();
        var exchange = host.Exchange("ad", autoDelete: true);
        host.Queue("q1");
        host.Queue("q2");
        host.Bind("q1", "ad", "k");
        host.Bind("q2", "ad", "k");

        Assert.False(host.VHost.DeleteQueue("q1", false, false, host.Connection).IsError);

        Assert.True(host.VHost.TryGetExchange("ad", out _));
        Assert.Equal(1, exchange.BindingCount);
        Assert.Equal(["q2"], host.Route("ad", "k"));
    }

    [Fact]
    public void An_auto_delete_exchange_goes_when_its_only_destination_exchange_is_deleted()
    {
        var host = new Host();
        host.Exchange("ad", ExchangeTypes.Fanout, autoDelete: true);
        host.Exchange("dst", ExchangeTypes.Fanout);
        host.BindExchange("dst", "ad");

        Assert.False(host.VHost.DeleteExchange("dst", false).IsError);

        Assert.False(host.VHost.TryGetExchange("ad", out _));
    }

    [Fact]
    public void Auto_deletion_cascades_through_a_chain_of_auto_delete_exchanges()
    {
        var host = new Host();
        host.Exchange("top", ExchangeTypes.Fanout, autoDelete: true);
        host.Exchange("middle", ExchangeTypes.Fanout, autoDelete: true);
        host.Exchange("keeper", ExchangeTypes.Fanout);
        host.Queue("q");
        host.BindExchange("middle", "top");
        host.Bind("q", "middle");
        host.BindExchange("middle", "keeper");

        Assert.False(host.VHost.DeleteQueue("q", false, false, host.Connection).IsError);

        Assert.False(host.VHost.TryGetExchange("middle", out _));
        Assert.False(host.VHost.TryGetExchange("top", out _));
        Assert.True(host.VHost.TryGetExchange("keeper", out var keeper));
        Assert.Equal(0, keeper.BindingCount);
    }

    [Fact]
    public void A_non_auto_delete_exchange_stays_when_its_last_binding_goes()
    {
        var host = new Host();
        host.Exchange("x");
        host.Queue("q");
        host.Bind("q", "x", "k");

        host.Unbind("q", "x", "k");
        Assert.False(host.VHost.DeleteQueue("q", false, false, host.Connection).IsError);

        Assert.True(host.VHost.TryGetExchange("x", out _));
    }
}
