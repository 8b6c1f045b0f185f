using System.Collections.Concurrent;
using Broker.Engine.Messages;
using Broker.Engine.Security;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine;

/// <summary>
/// The root of one broker's state: virtual hosts, users, the message pool. Nothing here is static,
/// so several brokers can live in one process.
/// </summary>
public sealed class BrokerEngine
{
    private readonly ConcurrentDictionary<string, VirtualHost> _virtualHosts = new();

    public BrokerEngine(EngineOptions options)
    {
        Options = options;
        Users = new UserStore();
        Messages = new MessagePool();
        var defaultHost = AddVirtualHost(options.DefaultVirtualHost);
        Users.AddOrUpdate(options.DefaultUser, options.DefaultPassword, ["administrator"]);
        Users.SetPermissions(options.DefaultUser, defaultHost.Name, Permissions.All);
    }

    public EngineOptions Options { get; }

    public UserStore Users { get; }

    public MessagePool Messages { get; }

    public ICollection<VirtualHost> VirtualHosts => _virtualHosts.Values;

    public VirtualHost AddVirtualHost(string name) => _virtualHosts.GetOrAdd(name, n => new VirtualHost(this, n));

    public bool TryGetVirtualHost(string name, out VirtualHost virtualHost) => _virtualHosts.TryGetValue(name, out virtualHost!);
}
