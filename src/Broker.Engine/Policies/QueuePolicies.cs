using Broker.DataModel.Encoding;
using Broker.Engine.Queues;

namespace Broker.Engine.Policies;

/// <summary>
/// The policy and operator policy in force on one queue, and what they come to together: the
/// effective definition (the management API's effective_policy_definition) and the arguments the
/// queue then behaves as if declared with.
/// </summary>
public sealed class QueuePolicies
{
    public static readonly QueuePolicies None = new(null, null);

    internal QueuePolicies(Policy? policy, Policy? operatorPolicy)
    {
        Policy = policy;
        OperatorPolicy = operatorPolicy;
        EffectiveDefinition = Merge(policy, operatorPolicy);
    }

    public Policy? Policy { get; }

    public Policy? OperatorPolicy { get; }

    /// <summary>
    /// rabbit_policy:effective_definition: the policy's keys and the operator policy's, sorted; where both
    /// set a key the smaller limit wins (all an operator policy may set are limits). Empty without policies.
    /// </summary>
    public FieldTable EffectiveDefinition { get; }

    internal bool Same(Policy? policy, Policy? operatorPolicy) =>
        ReferenceEquals(Policy, policy) && ReferenceEquals(OperatorPolicy, operatorPolicy);

    /// <summary>
    /// The arguments a queue of <paramref name="type"/> declared with <paramref name="arguments"/> behaves
    /// as if it had: each setting of the effective definition combined with the x-argument of the same
    /// name by the type's rule (<see cref="QueueType.ResolvePolicyKey"/>).
    /// </summary>
    public FieldTable EffectiveArguments(QueueType type, FieldTable arguments)
    {
        if (EffectiveDefinition.Count == 0)
        {
            return arguments;
        }

        var effective = new FieldTable(arguments);
        foreach (var (key, value) in EffectiveDefinition)
        {
            var argument = "x-" + key;
            var declared = arguments.TryGetValue(argument, out var declaredValue);
            switch (type.ResolvePolicyKey(key))
            {
                case PolicyPrecedence.PolicyWins:
                case PolicyPrecedence.ArgumentWins when !declared:
                    effective[argument] = value;
                    break;
                case PolicyPrecedence.Minimum:
                    effective[argument] = declared && FieldValues.AsInteger(declaredValue) is { } mine && FieldValues.AsInteger(value) is { } theirs
                        ? Math.Min(mine, theirs)
                        : value;
                    break;
            }
        }

        return effective;
    }

    private static FieldTable Merge(Policy? policy, Policy? operatorPolicy)
    {
        if (policy is null || operatorPolicy is null)
        {
            return (policy ?? operatorPolicy)?.Definition ?? new FieldTable();
        }

        var keys = policy.Definition.Select(e => e.Key).Union(operatorPolicy.Definition.Select(e => e.Key))
            .OrderBy(k => System.Text.Encoding.UTF8.GetBytes(k), BytewiseOrder.Instance);
        var merged = new FieldTable();
        foreach (var key in keys)
        {
            var mine = policy.Definition.TryGetValue(key, out var value);
            var theirs = operatorPolicy.Definition.TryGetValue(key, out var operatorValue);
            merged[key] = (mine, theirs) switch
            {
                (true, true) => MergeValue(value, operatorValue),
                (true, false) => value,
                _ => operatorValue,
            };
        }

        return merged;
    }

    /// <summary>rabbit_policies:merge_policy_value: the smaller of two limits; else the operator's.</summary>
    private static object? MergeValue(object? value, object? operatorValue) =>
        FieldValues.AsInteger(value) is { } mine && FieldValues.AsInteger(operatorValue) is { } theirs ? Math.Min(mine, theirs) : operatorValue;
}
