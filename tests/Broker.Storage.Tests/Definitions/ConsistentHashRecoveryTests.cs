using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Routing;
using Broker.Engine.VirtualHosts;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Definitions;

/// <summary>
/// A durable x-consistent-hash exchange across restarts: its arguments and weighted bindings come back
/// in the order they were made, so every key reaches the same destination as before.
/// </summary>
public sealed class ConsistentHashRecoveryTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestConnection _connection = new();
    private readonly RouteTargets _targets = new();
    private StorageUnderTest? _storage;

    private VirtualHost VHost
    {
        get
        {
            Assert.True(_storage!.Engine.TryGetVirtualHost("/", out var vhost));
            return vhost;
        }
    }

    public void Dispose()
    {
        _storage?.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void A_durable_exchange_and_its_bindings_route_every_key_as_before_a_restart()
    {
        Restart();
        var vhost = VHost;
        Assert.False(vhost.DeclareExchange("byuser", "x-consistent-hash", passive: false, durable: true, autoDelete: false, @internal: false, Args(("hash-header", "user"u8.ToArray()))).IsError);
        Assert.False(vhost.DeclareExchange("bykey", "x-consistent-hash", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Assert.False(vhost.DeclareExchange("fan", "fanout", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        foreach (var queue in (string[])["q3", "q1", "q2", "fq"])
        {
            Assert.False(vhost.DeclareQueue(queue, passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        }

        // Bound out of name order, with a second binding to q3 that adds nothing, as in RabbitMQ.
        foreach (var exchange in (string[])["byuser", "bykey"])
        {
            Bind("q3", exchange, "3");
            Bind("q1", exchange, "1");
            Bind("q3", exchange, "10");
            Bind("q2", exchange, "2");
        }

        Bind("fq", "fan", "");
        Assert.False(vhost.BindExchange("fan", "bykey", "4", new FieldTable()).IsError);
        var before = (Owners("byuser", header: true), Owners("bykey", header: false));
        Assert.Equal(4, before.Item2.Distinct().Count());

        Restart();
        Restart();

        Assert.True(VHost.TryGetExchange("byuser", out var byUser));
        Assert.Equal(("x-consistent-hash", true), (byUser.Type, byUser.Durable));
        Assert.Equal("user", byUser.Arguments.GetString("hash-header"));
        Assert.Equal(4, byUser.BindingCount);
        Assert.Equal(before.Item1, Owners("byuser", header: true));
        Assert.Equal(before.Item2, Owners("bykey", header: false));
    }

    private void Bind(string queue, string exchange, string weight) =>
        Assert.False(VHost.BindQueue(queue, exchange, weight, new FieldTable(), _connection).IsError);

    /// <summary>Where each of 2,000 keys goes (a queue name, or the fanout's queue).</summary>
    private List<string> Owners(string exchangeName, bool header)
    {
        Assert.True(VHost.TryGetExchange(exchangeName, out var exchange));
        Span<char> buffer = stackalloc char[RoutingKey.MaxChars];
        var owners = new List<string>();
        for (var i = 0; i < 2000; i++)
        {
            var key = $"user-{i}";
            var headers = header ? FieldTableCodec.Encode(Args(("user", System.Text.Encoding.UTF8.GetBytes(key))))[4..] : [];
            _targets.Clear();
            VHost.Route(exchange, RoutingKey.Decode(System.Text.Encoding.UTF8.GetBytes(header ? "same" : key), buffer), headers, _targets);
            owners.Add(Assert.Single(_targets.Queues).Name);
        }

        return owners;
    }

    private static FieldTable Args(params (string Key, object? Value)[] entries) => DefinitionsModelTests.Args(entries);

    private void Restart(EngineOptions? options = null)
    {
        _storage?.Dispose();
        _storage = null;
        _storage = StorageUnderTest.Open(_directory.Path, options ?? new EngineOptions());
    }
}
