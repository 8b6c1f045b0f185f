using Broker.DataModel.Encoding;
using Broker.Engine.Monitoring;
using Broker.Engine.Security;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Monitoring;

/// <summary>
/// What operators do from outside: deleting a vhost closes its connections (320), deletes its queues
/// (consumers told) and forgets permissions on it; deleting a user closes that user's connections; the
/// registry lists open connections and counts opened and closed ones.
/// </summary>
public class AdminCommandTests
{
    private readonly Host _host = new();

    [Fact]
    public void Deleting_a_vhost_closes_its_connections_and_deletes_its_queues()
    {
        var engine = _host.Engine;
        var shop = engine.AddVirtualHost("shop");
        engine.Users.SetPermissions("guest", "shop", Permissions.All);
        var inShop = new ManagedConnection("a", "shop", "guest");
        var elsewhere = new ManagedConnection("b", "/", "guest");
        engine.Clients.Add(inShop);
        engine.Clients.Add(elsewhere);
        var declared = shop.DeclareQueue("orders", passive: false, durable: false, exclusive: false, autoDelete: false, new FieldTable(), connection: null);
        var target = new FakeDeliveryTarget();
        var session = new Session(shop, inShop, target);
        Assert.False(session.Consume(declared.Value.Queue, "c1", noAck: false, exclusive: false, new FieldTable()).IsError);

        Assert.True(engine.DeleteVirtualHost("shop"));

        Assert.False(engine.TryGetVirtualHost("shop", out _));
        Assert.True(declared.Value.Queue.IsDeleted);
        Assert.Equal(["c1"], target.Cancelled.Select(c => c.Tag));
        Assert.Equal(["vhost 'shop' is deleted"], inShop.Closes);
        Assert.Empty(elsewhere.Closes);
        Assert.Null(engine.Users.GetPermissions("guest", "shop"));
        Assert.False(engine.DeleteVirtualHost("shop"));
    }

    [Fact]
    public void Deleting_a_user_closes_its_connections_only()
    {
        var engine = _host.Engine;
        engine.Users.AddOrUpdate("alice", "pw", []);
        var alice = new ManagedConnection("a", "/", "alice");
        var guest = new ManagedConnection("b", "/", "guest");
        engine.Clients.Add(alice);
        engine.Clients.Add(guest);

        Assert.True(engine.DeleteUser("alice"));

        Assert.Equal(["user 'alice' is deleted"], alice.Closes);
        Assert.Empty(guest.Closes);
        Assert.False(engine.Users.TryGet("alice", out _));
        Assert.False(engine.DeleteUser("alice"));
    }

    [Fact]
    public void The_registry_lists_open_connections_and_counts_opened_and_closed()
    {
        var registry = new ClientRegistry();
        var first = new ManagedConnection("a", "/", "guest");
        registry.Add(first);
        registry.Add(first);
        registry.Add(new ManagedConnection("b", "/", "guest"));
        registry.Remove(first);
        registry.Remove(first);

        var open = new List<IManagedConnection>();
        registry.CopyTo(open);
        Assert.Equal(["b"], open.Select(c => c.Name));
        Assert.Equal((2L, 1L, 1), (registry.Opened, registry.Closed, registry.Count));
    }

    private sealed class ManagedConnection(string name, string virtualHost, string user) : IManagedConnection
    {
        public List<string> Closes { get; } = [];

        public string Name => name;

        public string UserName => user;

        public string? VirtualHostName => virtualHost;

        public ConnectionInfo Describe() => throw new NotSupportedException();

        public void CopyChannels(List<ChannelInfo> into)
        {
        }

        public void CloseByOperator(string reason) => Closes.Add(reason);

        public void Abort() => Closes.Add("(aborted)");
    }
}
