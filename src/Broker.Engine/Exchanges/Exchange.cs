using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Policies;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>
/// An exchange and its bindings. Subclasses index bindings for their type's matching rule; routing
/// and binding changes take the exchange's lock (short: no I/O, no other locks inside).
/// </summary>
public abstract class Exchange : IBindingDestination
{
    private readonly List<Binding> _bindings = [];
    private string? _alternateExchange;
    private Policy? _policy;

    protected Exchange(VirtualHost virtualHost, string name, string type, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
    {
        VirtualHost = virtualHost;
        Name = name;
        Type = type;
        Durable = durable;
        AutoDelete = autoDelete;
        Internal = @internal;
        Arguments = arguments;
        _alternateExchange = arguments.GetString("alternate-exchange");
    }

    public VirtualHost VirtualHost { get; }

    public string Name { get; }

    public string Type { get; }

    public bool Durable { get; }

    public bool AutoDelete { get; }

    public bool Internal { get; }

    public FieldTable Arguments { get; }

    /// <summary>
    /// Where messages go that this exchange's own bindings do not route: the alternate-exchange
    /// argument, else its policy's alternate-exchange (which may change on the live exchange).
    /// </summary>
    public string? AlternateExchange
    {
        get => Volatile.Read(ref _alternateExchange);
        set => Volatile.Write(ref _alternateExchange, value);
    }

    public bool IsDeleted { get; internal set; }

    /// <summary>The policy in force on the exchange, or null.</summary>
    public Policy? Policy => Volatile.Read(ref _policy);

    /// <summary>
    /// Puts a policy in force (or none): as rabbit_policy:get_arg, the exchange's own alternate-exchange
    /// argument wins over the policy's. The default exchange routes by queue name alone and never uses one.
    /// </summary>
    internal void ApplyPolicy(Policy? policy)
    {
        Volatile.Write(ref _policy, policy);
        if (Name.Length > 0)
        {
            AlternateExchange = Arguments.ContainsKey("alternate-exchange")
                ? Arguments.GetString("alternate-exchange")
                : FieldValues.AsString(policy?.Definition["alternate-exchange"]);
        }
    }

    /// <summary>Guards bindings and the type's index.</summary>
    protected Lock SyncRoot { get; } = new();

    public string DisplayName => Names.Exchange(Name, VirtualHost.Name);

    public int BindingCount
    {
        get
        {
            lock (SyncRoot)
            {
                return _bindings.Count;
            }
        }
    }

    public List<Binding> GetBindings()
    {
        lock (SyncRoot)
        {
            return [.. _bindings];
        }
    }

    /// <summary>Adds a binding; false if an identical one exists.</summary>
    internal bool AddBinding(Binding binding)
    {
        lock (SyncRoot)
        {
            foreach (var existing in _bindings)
            {
                if (existing.Matches(binding.Destination, binding.RoutingKey, binding.Arguments))
                {
                    return false;
                }
            }

            _bindings.Add(binding);
            OnBindingAdded(binding);
            return true;
        }
    }

    /// <summary>Removes a binding; returns it, or null if there was none.</summary>
    internal Binding? RemoveBinding(IBindingDestination destination, string routingKey, FieldTable arguments)
    {
        lock (SyncRoot)
        {
            for (var i = 0; i < _bindings.Count; i++)
            {
                var binding = _bindings[i];
                if (binding.Matches(destination, routingKey, arguments))
                {
                    _bindings.RemoveAt(i);
                    OnBindingRemoved(binding);
                    return binding;
                }
            }

            return null;
        }
    }

    /// <summary>Removes every binding to <paramref name="destination"/> (it was deleted); returns how many remain.</summary>
    internal int RemoveBindingsTo(IBindingDestination destination, List<Binding> removed)
    {
        lock (SyncRoot)
        {
            for (var i = _bindings.Count - 1; i >= 0; i--)
            {
                var binding = _bindings[i];
                if (ReferenceEquals(binding.Destination, destination))
                {
                    _bindings.RemoveAt(i);
                    OnBindingRemoved(binding);
                    removed.Add(binding);
                }
            }

            return _bindings.Count;
        }
    }

    /// <summary>Adds this exchange's matching destinations (queues and exchanges) to <paramref name="matches"/>.</summary>
    public void Match(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches)
    {
        lock (SyncRoot)
        {
            MatchLocked(routingKey, message, matches);
        }
    }

    /// <summary>
    /// Adds, binding by binding, whether this exchange's own matching routes the message there and why
    /// (the management API's explain). Cold: routing never calls it, so matching pays nothing for it.
    /// </summary>
    public void Explain(RoutingKey routingKey, RoutedMessage message, List<BindingVerdict> verdicts)
    {
        lock (SyncRoot)
        {
            ExplainLocked(routingKey, message, _bindings, verdicts);
        }
    }

    /// <summary>How this exchange routes, in a sentence, with what applies to this message as a whole.</summary>
    public abstract string DescribeRouting(RoutingKey routingKey, RoutedMessage message);

    /// <summary>
    /// Checks a binding before it is added (the headers exchange validates x-match, the
    /// consistent-hash exchange its weight).
    /// </summary>
    public virtual EngineError ValidateBinding(string routingKey, FieldTable arguments) => EngineError.None;

    protected abstract void OnBindingAdded(Binding binding);

    protected abstract void OnBindingRemoved(Binding binding);

    protected abstract void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches);

    /// <summary>The verdict of each of <paramref name="bindings"/>, reached by the type's own matching (under the lock).</summary>
    protected abstract void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts);
}
