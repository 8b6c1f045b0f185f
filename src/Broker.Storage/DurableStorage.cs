using System.Diagnostics;
using Broker.Engine;
using Broker.Storage.Definitions;
using Broker.Storage.Messages;
using Microsoft.Extensions.Logging;
using Log = Broker.Storage.StorageLog;

namespace Broker.Storage;

/// <summary>
/// A broker engine backed by its data directory: definitions and persistent messages recovered at
/// start-up, every later durable change and persistent message kept. Dispose to write out and sync
/// what is pending and release the directory.
/// </summary>
public sealed class DurableStorage : IDisposable
{
    private readonly DataDirectory _directory;
    private readonly DefinitionStore _definitions;
    private int _disposed;

    private DurableStorage(DataDirectory directory, MessageStore messages, DefinitionStore definitions, BrokerEngine engine)
    {
        _directory = directory;
        Messages = messages;
        _definitions = definitions;
        Engine = engine;
    }

    public BrokerEngine Engine { get; }

    public MessageStore Messages { get; }

    public DefinitionsModel Definitions => _definitions.Model;

    /// <summary>
    /// Opens the data directory and recovers what it holds. With <paramref name="definitionsFile"/> the
    /// file is imported after recovery on every start (RabbitMQ's load_definitions), and a fresh data
    /// directory gets what it defines instead of the default user and vhost, as in RabbitMQ.
    /// </summary>
    public static DurableStorage Open(string dataDirectory, EngineOptions options, ILoggerFactory loggerFactory, string productVersion, string? definitionsFile = null)
    {
        var logger = loggerFactory.CreateLogger("Broker.Storage");
        var started = Stopwatch.GetTimestamp();
        var directory = DataDirectory.Open(dataDirectory);
        MessageStore? messages = null;
        DefinitionStore? definitions = null;
        try
        {
            var engineWithoutStore = new MessagePoolHolder();
            var import = definitionsFile is null ? null : DefinitionsImport.Read(definitionsFile);
            messages = new MessageStore(directory.Path, engineWithoutStore.Pool, directory.Incarnation, logger);
            definitions = DefinitionStore.Open(directory.Path, messages, productVersion, text => Log.Recovery(logger, text));
            var model = definitions.Model;
            messages.Recover(model.Queues.Keys);

            var engine = new BrokerEngine(options, messages, createDefaults: false, pool: engineWithoutStore.Pool);
            var fresh = model.IsEmpty;
            if (!fresh)
            {
                Restore(engine, model);
            }

            engine.Definitions = definitions;
            if (fresh && import is null)
            {
                engine.CreateDefaults();
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            Log.Recovered(logger, model.VirtualHosts.Count, model.Users.Count, model.Exchanges.Count, model.Queues.Count, model.Bindings.Count, messages.RecoveredMessages, elapsed.TotalMilliseconds);
            if (import is not null)
            {
                var imported = DefinitionsImport.Apply(engine, import);
                Log.Imported(logger, definitionsFile!, imported.VirtualHosts, imported.Users, imported.Permissions, imported.Exchanges, imported.Queues, imported.Bindings);
                if (imported.Ignored.Length > 0)
                {
                    Log.ImportIgnored(logger, definitionsFile!, imported.Ignored);
                }
            }

            return new DurableStorage(directory, messages, definitions, engine);
        }
        catch
        {
            // What was recovered or imported so far is written out; the directory is released.
            messages?.Dispose();
            definitions?.Dispose();
            directory.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Messages.Dispose();
        _definitions.Dispose();
        _directory.Dispose();
    }

    /// <summary>Rebuilds vhosts, users, permissions and durable topology without recording them again.</summary>
    private static void Restore(BrokerEngine engine, DefinitionsModel model)
    {
        foreach (var name in model.VirtualHosts)
        {
            engine.AddVirtualHost(name);
        }

        foreach (var user in model.Users.Values)
        {
            engine.Users.Restore(user.Name, user.PasswordHash, user.Tags);
        }

        foreach (var permissions in model.Permissions.Values)
        {
            engine.Users.SetPermissions(permissions.User, permissions.VirtualHost, new Engine.Security.Permissions(permissions.Configure, permissions.Write, permissions.Read));
        }

        foreach (var exchange in model.Exchanges.Values)
        {
            if (engine.TryGetVirtualHost(exchange.VirtualHost, out var vhost) && !exchange.Name.StartsWith("amq.", StringComparison.Ordinal))
            {
                vhost.DeclareExchange(exchange.Name, exchange.Type, passive: false, durable: true, exchange.AutoDelete, exchange.Internal, exchange.Arguments);
            }
        }

        foreach (var queue in model.Queues.Values)
        {
            if (engine.TryGetVirtualHost(queue.VirtualHost, out var vhost))
            {
                vhost.RestoreQueue(queue.Name, queue.AutoDelete, queue.Arguments);
            }
        }

        foreach (var binding in model.Bindings)
        {
            if (!engine.TryGetVirtualHost(binding.VirtualHost, out var vhost))
            {
                continue;
            }

            _ = binding.ToQueue
                ? vhost.BindQueue(binding.Destination, binding.Source, binding.RoutingKey, binding.Arguments, connection: null)
                : vhost.BindExchange(binding.Destination, binding.Source, binding.RoutingKey, binding.Arguments);
        }

        // Only now, with bindings in place for dead-lettering: expire what expired while stopped.
        foreach (var vhost in engine.VirtualHosts)
        {
            foreach (var queue in vhost.Queues)
            {
                queue.StartRecovered();
            }
        }
    }

    private sealed class MessagePoolHolder
    {
        public Engine.Messages.MessagePool Pool { get; } = new();
    }
}
