using Broker.Engine;
using Broker.Engine.VirtualHosts;

namespace Broker.Storage.Definitions;

/// <summary>
/// Declares a plan's exchanges, queues and bindings in a scratch engine first, so a file the engine
/// would refuse halfway changes nothing: the engine's own checks (types, arguments, binding arguments,
/// references) run, and none of them is copied here. Existing exchanges and queues a binding or a
/// declaration meets are copied into the scratch engine as they are, since the import leaves them be.
/// </summary>
internal static class ImportDryRun
{
    public static void Check(BrokerEngine engine, ImportPlan plan)
    {
        if (plan.Exchanges.Count == 0 && plan.Queues.Count == 0 && plan.Bindings.Count == 0)
        {
            return;
        }

        var scratch = new BrokerEngine(engine.Options);
        foreach (var type in engine.QueueTypes.Types)
        {
            scratch.QueueTypes.Add(type);
        }

        try
        {
            // Policies first, as the import sets them: declarations happen under them.
            foreach (var (policy, operatorPolicy) in plan.Policies)
            {
                if (scratch.AddVirtualHost(policy.VirtualHost).SetPolicy(policy, operatorPolicy) is { } error)
                {
                    throw ImportPlan.Invalid($"{(operatorPolicy ? "operator policy" : "policy")} '{policy.Name}' in vhost '{policy.VirtualHost}': {error.Trim()}");
                }
            }

            foreach (var (vhostName, name, type, durable, autoDelete, @internal, arguments) in plan.Exchanges)
            {
                var what = $"exchange '{name}' in vhost '{vhostName}'";
                if (!CopyExisting(engine, scratch, vhostName, name, toQueue: false, what))
                {
                    ImportPlan.Check(scratch.AddVirtualHost(vhostName).DeclareExchange(name, type, passive: false, durable, autoDelete, @internal, arguments).Error, what);
                }
            }

            foreach (var (vhostName, name, durable, autoDelete, arguments) in plan.Queues)
            {
                var what = $"queue '{name}' in vhost '{vhostName}'";
                if (!CopyExisting(engine, scratch, vhostName, name, toQueue: true, what))
                {
                    ImportPlan.Check(scratch.AddVirtualHost(vhostName).DeclareQueue(name, passive: false, durable, exclusive: false, autoDelete, arguments, connection: null).Error, what);
                }
            }

            foreach (var binding in plan.Bindings)
            {
                var what = ImportPlan.Describe(binding);
                CopyExisting(engine, scratch, binding.VirtualHost, binding.Source, toQueue: false, what);
                CopyExisting(engine, scratch, binding.VirtualHost, binding.Destination, binding.ToQueue, what);
                ImportPlan.Check(ImportPlan.Bind(scratch.AddVirtualHost(binding.VirtualHost), binding), what);
            }
        }
        finally
        {
            // Nothing of the scratch engine may outlive the check: stop its timers and delayed exchanges.
            scratch.Stop();
            foreach (var vhost in scratch.VirtualHosts)
            {
                foreach (var queue in vhost.Queues.ToList())
                {
                    vhost.DeleteQueue(queue);
                }
            }
        }
    }

    /// <summary>
    /// Copies the engine's exchange or queue of that name into the scratch engine (once); false when the
    /// engine has none. An exclusive queue refuses the import's bindings, as it would refuse any other
    /// connection's.
    /// </summary>
    private static bool CopyExisting(BrokerEngine engine, BrokerEngine scratch, string vhostName, string name, bool toQueue, string what)
    {
        if (!engine.TryGetVirtualHost(vhostName, out var vhost))
        {
            return false;
        }

        var copy = scratch.AddVirtualHost(vhostName);
        if (toQueue)
        {
            if (!vhost.TryGetQueue(name, out var queue))
            {
                return false;
            }

            if (!queue.IsAccessibleBy(null))
            {
                ImportPlan.Check(VirtualHost.ExclusiveLockedError(queue), what);
            }

            if (!copy.TryGetQueue(name, out _))
            {
                copy.RestoreQueue(name, queue.AutoDelete, queue.Arguments);
            }

            return true;
        }

        if (!vhost.TryGetExchange(name, out var exchange))
        {
            return false;
        }

        if (!copy.TryGetExchange(name, out _))
        {
            ImportPlan.Check(copy.DeclareExchange(name, exchange.Type, passive: false, exchange.Durable, exchange.AutoDelete, exchange.Internal, exchange.Arguments).Error, what);
        }

        return true;
    }
}
