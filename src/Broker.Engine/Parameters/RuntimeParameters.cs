using Broker.Engine.Errors;
using Broker.Engine.Stores;

namespace Broker.Engine.Parameters;

/// <summary>A vhost's runtime parameter of a component the broker does not use (federation-upstream, shovel, ...).</summary>
/// <param name="Value">The value as JSON text, exactly as it was given.</param>
public sealed record RuntimeParameter(string VirtualHost, string Component, string Name, string Value);

/// <summary>A global runtime parameter (cluster_name, internal_cluster_id, ...).</summary>
/// <param name="Value">The value as JSON text, exactly as it was given.</param>
public sealed record GlobalParameter(string Name, string Value);

/// <summary>
/// Runtime parameters RabbitMQ keeps for its plugins and for the cluster, which this broker keeps
/// without acting on them: what a RabbitMQ export carries comes back out in ours, and the management
/// API can list, set and clear them. Values are JSON text: the engine knows no JSON, callers
/// (the management API, the definitions import) hand over valid JSON; it is stored as JSON, so it
/// comes back after a restart as the same value in compact form. Components the broker does use
/// have their own homes: "vhost-limits" is <see cref="VirtualHosts.VirtualHost.SetLimits"/>,
/// "operator_policy" <see cref="VirtualHosts.VirtualHost.SetPolicy"/>.
/// Changes take <c>_lock</c> (a leaf apart from the definitions store's own) and are recorded.
/// </summary>
public sealed class RuntimeParameters(BrokerEngine engine)
{
    /// <summary>The component RabbitMQ keeps vhost limits in, under the name "limits".</summary>
    public const string VirtualHostLimitsComponent = "vhost-limits";

    /// <summary>The component RabbitMQ keeps operator policies in (<see cref="VirtualHosts.VirtualHost.SetPolicy"/> here).</summary>
    public const string OperatorPolicyComponent = "operator_policy";

    private readonly Dictionary<(string VirtualHost, string Component, string Name), RuntimeParameter> _parameters = [];
    private readonly Dictionary<string, GlobalParameter> _global = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Sets a parameter. NotFound for an unknown vhost; a component the broker uses is refused (use its own API).</summary>
    public EngineError Set(string virtualHost, string component, string name, string value)
    {
        if (component is VirtualHostLimitsComponent or OperatorPolicyComponent)
        {
            return EngineError.PreconditionFailed($"component {component} is kept by the vhost: use its limits or policies");
        }

        if (!engine.TryGetVirtualHost(virtualHost, out _))
        {
            return EngineError.NotFound($"no vhost '{virtualHost}'");
        }

        lock (_lock)
        {
            _parameters[(virtualHost, component, name)] = new RuntimeParameter(virtualHost, component, name, value);
            engine.Definitions.Persist(new ParameterSet(virtualHost, component, name, value));
        }

        return EngineError.None;
    }

    public bool Clear(string virtualHost, string component, string name)
    {
        lock (_lock)
        {
            if (!_parameters.Remove((virtualHost, component, name)))
            {
                return false;
            }

            engine.Definitions.Persist(new ParameterCleared(virtualHost, component, name));
            return true;
        }
    }

    public bool TryGet(string virtualHost, string component, string name, out RuntimeParameter parameter)
    {
        lock (_lock)
        {
            return _parameters.TryGetValue((virtualHost, component, name), out parameter!);
        }
    }

    /// <summary>The parameters of one component and/or in one vhost when given, ordered by vhost, component and name.</summary>
    public IReadOnlyList<RuntimeParameter> List(string? component = null, string? virtualHost = null)
    {
        lock (_lock)
        {
            return [.. _parameters.Values
                .Where(p => (component is null || p.Component == component) && (virtualHost is null || p.VirtualHost == virtualHost))
                .OrderBy(p => p.VirtualHost, StringComparer.Ordinal)
                .ThenBy(p => p.Component, StringComparer.Ordinal)
                .ThenBy(p => p.Name, StringComparer.Ordinal)];
        }
    }

    public void SetGlobal(string name, string value)
    {
        lock (_lock)
        {
            _global[name] = new GlobalParameter(name, value);
            engine.Definitions.Persist(new GlobalParameterSet(name, value));
        }
    }

    public bool ClearGlobal(string name)
    {
        lock (_lock)
        {
            if (!_global.Remove(name))
            {
                return false;
            }

            engine.Definitions.Persist(new GlobalParameterCleared(name));
            return true;
        }
    }

    public bool TryGetGlobal(string name, out GlobalParameter parameter)
    {
        lock (_lock)
        {
            return _global.TryGetValue(name, out parameter!);
        }
    }

    /// <summary>Global parameters ordered by name.</summary>
    public IReadOnlyList<GlobalParameter> ListGlobal()
    {
        lock (_lock)
        {
            return [.. _global.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>Forgets the parameters of a deleted vhost. Records nothing: the vhost's deletion removes them from the stored definitions.</summary>
    public void ForgetVirtualHost(string virtualHost)
    {
        lock (_lock)
        {
            foreach (var key in _parameters.Keys.Where(k => k.VirtualHost == virtualHost).ToList())
            {
                _parameters.Remove(key);
            }
        }
    }
}
