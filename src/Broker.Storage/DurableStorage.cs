using System.Diagnostics;
using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.Exchanges;
using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Messages;
using Broker.Engine.Stores;
using Broker.Storage.Definitions;
using Broker.Storage.Messages;
using Microsoft.Extensions.Logging;
using Log = Broker.Storage.StorageLog;

namespace Broker.Storage;

/// <summary>
/// A broker's data directory: the message logs of its queues and its definitions, recovered at
/// start-up and kept from then on. It supplies the engine's stores and the recovery step that rebuilds
/// the engine (the composition root builds the engine). Dispose to write out and sync what is pending
/// and release the directory.
/// </summary>
public sealed class DurableStorage : IBrokerStorage
{
    private readonly DataDirectory _directory;
    private readonly DefinitionStore _definitions;
    private readonly ILogger _logger;
    private readonly long _started;
    private int _disposed;

    private DurableStorage(DataDirectory directory, MessageStore messages, DefinitionStore definitions, ILogger logger, long started)
    {
        _directory = directory;
        Messages = messages;
        _definitions = definitions;
        _logger = logger;
        _started = started;
    }

    public MessageStore Messages { get; }

    IMessageStore IBrokerStorage.Messages => Messages;

    public IDefinitionStore Definitions => _definitions;

    /// <summary>What the definitions say now (users, vhosts, durable topology).</summary>
    public DefinitionsModel Model => _definitions.Model;

    /// <summary>
    /// What survives a restart in RabbitMQ's definitions format (the management API's export), whole
    /// or of one vhost; safe while the engine changes it.
    /// </summary>
    public JsonObject ExportDefinitions(string? virtualHost = null) => _definitions.Export(virtualHost);

    /// <summary>
    /// Opens (and locks) the data directory and reads what it holds: definitions, and the message logs of
    /// the durable queues they name. <see cref="Recover"/> then puts it into an engine.
    /// </summary>
    public static DurableStorage Open(string dataDirectory, MessagePool pool, ILoggerFactory loggerFactory, string productVersion)
    {
        var logger = loggerFactory.CreateLogger("Broker.Storage");
        var started = Stopwatch.GetTimestamp();
        var directory = DataDirectory.Open(dataDirectory);
        MessageStore? messages = null;
        DefinitionStore? definitions = null;
        try
        {
            messages = new MessageStore(directory.Path, pool, directory.Incarnation, logger);
            definitions = DefinitionStore.Open(directory.Path, messages, productVersion, text => Log.Recovery(logger, text));
            messages.Recover(definitions.Model.Queues.Keys, DelayedExchanges(definitions.Model));
            return new DurableStorage(directory, messages, definitions, logger, started);
        }
        catch
        {
            // What was recovered so far is written out; the directory is released.
            messages?.Dispose();
            definitions?.Dispose();
            directory.Dispose();
            throw;
        }
    }

    public bool Recover(BrokerEngine engine)
    {
        var model = Model;
        var fresh = model.IsEmpty;
        if (!fresh)
        {
            Restore(engine, model, _logger);
        }

        Log.Recovered(_logger, model.VirtualHosts.Count, model.Users.Count, model.Exchanges.Count, model.Queues.Count, model.Bindings.Count, Messages.RecoveredMessages, Stopwatch.GetElapsedTime(_started).TotalMilliseconds);
        return !fresh;
    }

    /// <summary>
    /// Imports a RabbitMQ definitions file (read with <see cref="DefinitionsImport.Read"/>) into the engine,
    /// as load_definitions does at every start; the changes are recorded like a client's.
    /// </summary>
    public void Import(BrokerEngine engine, string file, JsonObject definitions)
    {
        var imported = DefinitionsImport.Apply(engine, definitions);
        Log.Imported(_logger, file, imported.VirtualHosts, imported.Users, imported.Permissions, imported.Exchanges, imported.Queues, imported.Bindings);
        if (imported.Policies + imported.OperatorPolicies > 0)
        {
            Log.ImportedPolicies(_logger, file, imported.Policies, imported.OperatorPolicies);
        }

        if (imported.TopicPermissions + imported.Limits + imported.Parameters > 0)
        {
            Log.ImportedSettings(_logger, file, imported.TopicPermissions, imported.Limits, imported.Parameters);
        }

        if (imported.KeptUnused.Count > 0)
        {
            Log.ImportKeptUnused(_logger, file, string.Join(", ", imported.KeptUnused));
        }

        if (imported.Skipped.Count > 0)
        {
            Log.ImportSkipped(_logger, file, string.Join(", ", imported.Skipped));
        }

        if (imported.Ignored.Length > 0)
        {
            Log.ImportIgnored(_logger, file, imported.Ignored);
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

    /// <summary>Rebuilds vhosts, users, permissions, policies and durable topology without recording them again.</summary>
    private static void Restore(BrokerEngine engine, DefinitionsModel model, ILogger logger)
    {
        foreach (var name in model.VirtualHosts)
        {
            engine.AddVirtualHost(name);
        }

        foreach (var user in model.Users.Values)
        {
            engine.Users.Restore(user.Name, user.PasswordHash, user.Tags, user.HashingAlgorithm);
        }

        foreach (var permissions in model.Permissions.Values)
        {
            engine.Users.SetPermissions(permissions.User, permissions.VirtualHost, new Engine.Security.Permissions(permissions.Configure, permissions.Write, permissions.Read));
        }

        RestoreSettings(engine, model);

        // Before exchanges and queues, so each comes back with its policies (a stream's segment size too).
        RestorePolicies(engine, model, logger);

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

        // Only now, with bindings in place for dead-lettering: expire what expired while stopped,
        // and route delayed messages that came due.
        foreach (var vhost in engine.VirtualHosts)
        {
            foreach (var queue in vhost.Queues)
            {
                queue.StartRecovered();
            }

            foreach (var exchange in vhost.Exchanges)
            {
                (exchange as DelayedMessageExchange)?.StartRecovered();
            }
        }
    }

    /// <summary>Vhost metadata and limits, user limits, topic permissions, kept parameters.</summary>
    private static void RestoreSettings(BrokerEngine engine, DefinitionsModel model)
    {
        foreach (var (name, metadata) in model.VirtualHostMetadata)
        {
            if (engine.TryGetVirtualHost(name, out var vhost))
            {
                vhost.SetMetadata(metadata.Description, metadata.Tags, metadata.DefaultQueueType);
            }
        }

        foreach (var (name, limits) in model.VirtualHostLimits)
        {
            if (engine.TryGetVirtualHost(name, out var vhost))
            {
                vhost.SetLimits(limits);
            }
        }

        foreach (var (name, limits) in model.UserLimits)
        {
            engine.Users.SetLimits(name, limits);
        }

        foreach (var topic in model.TopicPermissions.Values)
        {
            engine.Users.SetTopicPermissions(topic.User, topic.VirtualHost, topic.Exchange, topic.Write, topic.Read);
        }

        foreach (var parameter in model.Parameters.Values)
        {
            engine.Parameters.Set(parameter.VirtualHost, parameter.Component, parameter.Name, parameter.Value);
        }

        foreach (var global in model.GlobalParameters.Values)
        {
            engine.Parameters.SetGlobal(global.Name, global.Value);
        }
    }

    /// <summary>
    /// Policies and operator policies, set as they were (nothing is recorded during recovery). One that no
    /// longer validates is left out and reported rather than stopping the start.
    /// </summary>
    private static void RestorePolicies(BrokerEngine engine, DefinitionsModel model, ILogger logger)
    {
        void Restore(string virtualHost, string name, string pattern, string applyTo, int priority, Broker.DataModel.Encoding.FieldTable definition, bool operatorPolicy)
        {
            if (!engine.TryGetVirtualHost(virtualHost, out var vhost))
            {
                return;
            }

            var policy = new Engine.Policies.Policy(virtualHost, name, pattern, applyTo, priority, definition);
            if (vhost.SetPolicy(policy, operatorPolicy) is { } error)
            {
                Log.PolicyNotRestored(logger, (operatorPolicy ? "operator policy '" : "policy '") + name + "'", virtualHost, error);
            }
        }

        foreach (var p in model.Policies.Values)
        {
            Restore(p.VirtualHost, p.Name, p.Pattern, p.ApplyTo, p.Priority, p.Definition, operatorPolicy: false);
        }

        foreach (var p in model.OperatorPolicies.Values)
        {
            Restore(p.VirtualHost, p.Name, p.Pattern, p.ApplyTo, p.Priority, p.Definition, operatorPolicy: true);
        }
    }

    private static List<(string VirtualHost, string Exchange)> DelayedExchanges(DefinitionsModel model)
    {
        var delayed = new List<(string, string)>();
        foreach (var exchange in model.Exchanges.Values)
        {
            if (exchange.Type == ExchangeTypes.DelayedMessage)
            {
                delayed.Add((exchange.VirtualHost, exchange.Name));
            }
        }

        return delayed;
    }
}
