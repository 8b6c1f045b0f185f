using Broker.Engine.Exchanges;
using Broker.Engine.Policies;
using Broker.Engine.Queues;
using Broker.Engine.Stores;

namespace Broker.Engine.VirtualHosts;

public sealed partial class VirtualHost
{
    // One policy change at a time, applied to every queue and exchange before the next (outside the
    // vhost's lock, so declarations go on meanwhile). Taken before _lock.
    private readonly Lock _policyLock = new();

    // Sorted as matching reads them: highest priority first, then by name. Replaced whole under _lock;
    // read without a lock (queue and exchange creation, under _lock, sees a consistent pair).
    private volatile Policy[] _policies = [];
    private volatile Policy[] _operatorPolicies = [];

    /// <summary>
    /// Sets (adds or replaces) a policy or operator policy of this vhost and applies it at once to every
    /// queue and exchange whose name it matches, as RabbitMQ's set_policy does. Returns RabbitMQ's reason
    /// text when it is invalid ("Validation failed\n\n..."), null when it is in force. Setting the same
    /// policy again changes nothing. The policy's <see cref="Policy.VirtualHost"/> must be this vhost's name.
    /// Build one from a JSON body with <see cref="PolicyValidation.TryCreate"/> to get RabbitMQ's texts for
    /// wrongly typed fields too.
    /// </summary>
    public string? SetPolicy(Policy policy, bool operatorPolicy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.VirtualHost != Name)
        {
            throw new ArgumentException($"{policy} belongs to another vhost than '{Name}'", nameof(policy));
        }

        if (PolicyValidation.Validate(policy, operatorPolicy, Engine.Options.Compat) is { } error)
        {
            return error;
        }

        lock (_policyLock)
        {
            List<MessageQueue> queues;
            List<Exchange> exchanges;
            lock (_lock)
            {
                var current = operatorPolicy ? _operatorPolicies : _policies;
                if (Find(current, policy.Name) is { } existing && existing.SameAs(policy))
                {
                    return null;
                }

                Replace(operatorPolicy, [.. current.Where(p => p.Name != policy.Name), policy]);
                Engine.Definitions.Persist(operatorPolicy
                    ? new OperatorPolicySet(Name, policy.Name, policy.Pattern, policy.ApplyTo, policy.Priority, policy.Definition)
                    : new PolicySet(Name, policy.Name, policy.Pattern, policy.ApplyTo, policy.Priority, policy.Definition));
                (queues, exchanges) = ([.. _queues.Values], [.. _exchanges.Values]);
            }

            Reapply(queues, exchanges);
        }

        return null;
    }

    /// <summary>Removes a policy or operator policy and takes its effect back everywhere at once; false when there was none of that name.</summary>
    public bool ClearPolicy(string name, bool operatorPolicy)
    {
        lock (_policyLock)
        {
            List<MessageQueue> queues;
            List<Exchange> exchanges;
            lock (_lock)
            {
                var current = operatorPolicy ? _operatorPolicies : _policies;
                if (Find(current, name) is null)
                {
                    return false;
                }

                Replace(operatorPolicy, [.. current.Where(p => p.Name != name)]);
                Engine.Definitions.Persist(operatorPolicy ? new OperatorPolicyCleared(Name, name) : new PolicyCleared(Name, name));
                (queues, exchanges) = ([.. _queues.Values], [.. _exchanges.Values]);
            }

            Reapply(queues, exchanges);
        }

        return true;
    }

    /// <summary>The policies (or operator policies) of this vhost, lowest priority first, as RabbitMQ lists them.</summary>
    public IReadOnlyList<Policy> GetPolicies(bool operatorPolicy)
    {
        var current = operatorPolicy ? _operatorPolicies : _policies;
        return [.. current.OrderBy(p => p.Priority).ThenBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>One policy (or operator policy) by name, or null.</summary>
    public Policy? GetPolicy(string name, bool operatorPolicy) => Find(operatorPolicy ? _operatorPolicies : _policies, name);

    /// <summary>
    /// The policy and operator policy a queue of <paramref name="type"/> named <paramref name="name"/> gets
    /// (rabbit_policy:match): of those whose apply-to takes the queue's type, whose definition the type
    /// supports and whose pattern matches, the highest priority; on equal priorities the name that sorts
    /// first (RabbitMQ 3.10 leaves that to its table's order).
    /// </summary>
    internal QueuePolicies MatchQueue(string name, QueueType type)
    {
        var policy = MatchQueue(_policies, name, type);
        var operatorPolicy = MatchQueue(_operatorPolicies, name, type);
        return policy is null && operatorPolicy is null ? QueuePolicies.None : new QueuePolicies(policy, operatorPolicy);
    }

    /// <summary>The policy an exchange named <paramref name="name"/> gets (apply-to exchanges or all).</summary>
    internal Policy? MatchExchange(string name)
    {
        foreach (var policy in _policies)
        {
            if (policy.Target!.Value.AppliesToExchanges() && policy.Matches(name))
            {
                return policy;
            }
        }

        return null;
    }

    private static Policy? MatchQueue(Policy[] policies, string name, QueueType type)
    {
        foreach (var policy in policies)
        {
            if (policy.Target!.Value.AppliesTo(type) && Applicable(policy, type) && policy.Matches(name))
            {
                return policy;
            }
        }

        return null;
    }

    private static bool Applicable(Policy policy, QueueType type)
    {
        var unsupported = type.UnsupportedPolicyKeys;
        foreach (var (key, _) in policy.Definition)
        {
            if (unsupported.Contains(key))
            {
                return false;
            }
        }

        return true;
    }

    private static Policy? Find(Policy[] policies, string name)
    {
        foreach (var policy in policies)
        {
            if (policy.Name == name)
            {
                return policy;
            }
        }

        return null;
    }

    private void Replace(bool operatorPolicy, Policy[] policies)
    {
        Array.Sort(policies, static (a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : string.CompareOrdinal(a.Name, b.Name));
        if (operatorPolicy)
        {
            _operatorPolicies = policies;
        }
        else
        {
            _policies = policies;
        }
    }

    /// <summary>Puts the policies now in force on each queue and exchange whose match changed. Under the policy lock only.</summary>
    private void Reapply(List<MessageQueue> queues, List<Exchange> exchanges)
    {
        foreach (var queue in queues)
        {
            var match = MatchQueue(queue.Name, queue.Type);
            if (!queue.Policies.Same(match.Policy, match.OperatorPolicy))
            {
                queue.ApplyPolicies(match);
            }
        }

        foreach (var exchange in exchanges)
        {
            var policy = MatchExchange(exchange.Name);
            if (!ReferenceEquals(policy, exchange.Policy))
            {
                exchange.ApplyPolicy(policy);
            }
        }
    }
}
