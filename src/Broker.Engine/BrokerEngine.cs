using System.Collections.Concurrent;
using Broker.Engine.Messages;
using Broker.Engine.Parameters;
using Broker.Engine.Queues;
using Broker.Engine.Security;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine;

/// <summary>
/// The root of one broker's state: virtual hosts, users, the message pool. Nothing here is static,
/// so several brokers can live in one process.
/// </summary>
public sealed class BrokerEngine
{
    private readonly ConcurrentDictionary<string, VirtualHost> _virtualHosts = new();

    /// <param name="options">Engine settings.</param>
    /// <param name="store">Where queues keep messages; in memory when null.</param>
    /// <param name="pool">The message pool, when the store was made before the engine and shares it.</param>
    /// <remarks>
    /// A new engine has no vhost and no user: the composition root recovers them from storage or, for a
    /// fresh broker, calls <see cref="CreateDefaults"/>.
    /// </remarks>
    public BrokerEngine(EngineOptions options, IMessageStore? store = null, MessagePool? pool = null)
    {
        Options = options;
        Users = new UserStore(() => Definitions);
        Parameters = new RuntimeParameters(this);
        Messages = pool ?? new MessagePool();
        Store = store ?? new InMemoryMessageStore();
        HeadMemory = new HeadMemory(options.HeadMemoryLimit);
        QueueTypes = new QueueTypeRegistry(options.Compat);
    }

    /// <summary>An engine with the default vhost and user, keeping everything in memory (engine tests, tools).</summary>
    public static BrokerEngine InMemory(EngineOptions? options = null)
    {
        var storage = new InMemoryStorage();
        var engine = new BrokerEngine(options ?? new EngineOptions(), storage.Messages);
        storage.Recover(engine);
        engine.Definitions = storage.Definitions;
        engine.CreateDefaults();
        return engine;
    }

    /// <summary>Keeps definition changes across restarts; changes made before it is set are not recorded.</summary>
    public IDefinitionStore Definitions { get; set; } = new NoDefinitionStore();

    /// <summary>What a fresh broker starts with, as RabbitMQ: the default vhost, and the default user with all permissions there.</summary>
    public void CreateDefaults()
    {
        var defaultHost = AddVirtualHost(Options.DefaultVirtualHost);
        var user = Users.AddOrUpdate(Options.DefaultUser, Options.DefaultPassword, ["administrator"]);
        Users.SetPermissions(user.Name, defaultHost.Name, Permissions.All);
    }

    public EngineOptions Options { get; }

    /// <summary>Users, permissions, topic permissions and user limits; records its changes in <see cref="Definitions"/>.</summary>
    public UserStore Users { get; }

    /// <summary>Runtime parameters of components the broker does not use, and global parameters: kept, exported, not acted on.</summary>
    public RuntimeParameters Parameters { get; }

    public MessagePool Messages { get; }

    /// <summary>Where queues keep persistent messages and what does not fit in memory.</summary>
    public IMessageStore Store { get; }

    /// <summary>Message bytes held in memory by all queues.</summary>
    public HeadMemory HeadMemory { get; }

    /// <summary>The queue types declarations may ask for (x-queue-type); classic and quorum to begin with.</summary>
    public QueueTypeRegistry QueueTypes { get; }

    /// <summary>Memory and disk alarms that block publishers.</summary>
    public ResourceAlarms Alarms { get; } = new();

    /// <summary>Told of exceptions in background work (delivery pumps, refills, timers), which must not end the process.</summary>
    public event Action<Exception, string>? UnexpectedError;

    /// <summary>Background work failed: report it and carry on.</summary>
    public void ReportUnexpected(Exception exception, string context) => UnexpectedError?.Invoke(exception, context);

    public ICollection<VirtualHost> VirtualHosts => _virtualHosts.Values;

    /// <summary>Open client connections, for monitoring and for closing them from outside.</summary>
    public Monitoring.ClientRegistry Clients { get; } = new();

    /// <summary>When the engine was made (the broker's start), for uptime.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Deletes a vhost as RabbitMQ does: its connections are closed with 320, its queues deleted
    /// (consumers told), its exchanges and bindings dropped, permissions, topic permissions and kept
    /// parameters on it cleared (its metadata and limits go with it). False when there is no such vhost.
    /// </summary>
    public bool DeleteVirtualHost(string name)
    {
        if (!_virtualHosts.TryRemove(name, out var virtualHost))
        {
            return false;
        }

        Clients.CloseWhere(name, user: null, $"vhost '{name}' is deleted");
        virtualHost.DeleteEverything();
        Users.ClearPermissionsOn(name);
        Parameters.ForgetVirtualHost(name);
        Definitions.Persist(new VirtualHostDeleted(name));
        return true;
    }

    /// <summary>Deletes a user (recorded by the user store) and its permissions, and closes its connections (320) as RabbitMQ does. False when unknown.</summary>
    public bool DeleteUser(string name)
    {
        if (!Users.Remove(name))
        {
            return false;
        }

        Clients.CloseWhere(virtualHost: null, name, $"user '{name}' is deleted");
        return true;
    }

    public VirtualHost AddVirtualHost(string name)
    {
        if (_virtualHosts.TryGetValue(name, out var existing))
        {
            return existing;
        }

        var added = _virtualHosts.GetOrAdd(name, n => new VirtualHost(this, n));
        Definitions.Persist(new VirtualHostAdded(name));
        return added;
    }

    /// <summary>
    /// The broker is stopping: delayed exchanges stop routing (what they hold stays in their logs), and
    /// traces not yet routed are dropped.
    /// </summary>
    public void Stop()
    {
        foreach (var virtualHost in VirtualHosts)
        {
            virtualHost.StopTracing();
            foreach (var exchange in virtualHost.Exchanges)
            {
                (exchange as Exchanges.Delayed.DelayedMessageExchange)?.Pending.Stop();
            }
        }
    }

    public bool TryGetVirtualHost(string name, out VirtualHost virtualHost) => _virtualHosts.TryGetValue(name, out virtualHost!);
}
