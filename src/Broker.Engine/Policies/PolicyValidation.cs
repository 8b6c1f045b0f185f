using Broker.DataModel.Encoding;

namespace Broker.Engine.Policies;

/// <summary>
/// A policy checked as RabbitMQ checks one (rabbit_policy:validate through rabbit_runtime_parameters),
/// with its reason text: "Validation failed\n\n" and one line per problem, in RabbitMQ's order
/// (definition, apply-to, pattern, priority). The management API answers it as 400
/// {"error":"bad_request","reason":...}; values inside print as Erlang terms (&lt;&lt;"abc"&gt;&gt;).
/// </summary>
public static class PolicyValidation
{
    /// <summary>apply-to values: RabbitMQ 3.12's, which added the queue types (3.10 knows queues, exchanges, all).</summary>
    private const string ApplyToError =
        "apply-to '~s' unrecognised; should be one of: 'queues', 'classic_queues',  'quorum_queues', 'streams', 'exchanges', or 'all'";

    /// <summary>
    /// Why RabbitMQ would refuse <paramref name="policy"/>, or null when it is valid; as the release of
    /// <paramref name="compat"/> checks it (3.13 when null).
    /// </summary>
    public static string? Validate(Policy policy, bool operatorPolicy, CompatibilityProfile? compat = null)
    {
        var errors = new List<string>(1);
        if (PolicyDefinitionValidation.Check(policy.Definition, operatorPolicy, compat) is { } definitionError)
        {
            errors.Add(definitionError);
        }

        if (policy.Target is null)
        {
            errors.Add(ErlangTerm.Format(ApplyToError, policy.ApplyTo));
        }

        if (policy.PatternError is { } patternError)
        {
            errors.Add(ErlangTerm.Format("pattern should be regular expression but is invalid: ~p", patternError));
        }

        return Failed(errors);
    }

    /// <summary>
    /// Makes a policy from loosely typed values, as a JSON body or a definitions file gives them (strings
    /// as byte[] or string, numbers as long or double, objects as <see cref="FieldTable"/>, JSON null as
    /// null), checking their types as RabbitMQ does. Pass 0 for an absent priority and "all" for an absent
    /// apply-to (RabbitMQ's defaults). Returns the reason text when RabbitMQ would refuse it.
    /// </summary>
    /// <remarks>
    /// A fractional priority (RabbitMQ accepts any number) is rounded down: priorities are integers here.
    /// </remarks>
    public static string? TryCreate(
        string virtualHost, string name, object? pattern, object? definition, object? priority, object? applyTo, bool operatorPolicy, out Policy? policy,
        CompatibilityProfile? compat = null)
    {
        policy = null;
        var patternText = FieldValues.AsString(pattern);
        var applyToText = FieldValues.AsString(applyTo);
        int? priorityValue = priority switch
        {
            double or float => (int)Math.Clamp(Math.Floor(Convert.ToDouble(priority, System.Globalization.CultureInfo.InvariantCulture)), int.MinValue, int.MaxValue),
            _ when FieldValues.AsInteger(priority) is { } integer => (int)Math.Clamp(integer, int.MinValue, int.MaxValue),
            _ => null,
        };

        if (patternText is not null && applyToText is not null && priorityValue is { } validPriority && definition is FieldTable table)
        {
            var candidate = new Policy(virtualHost, name, patternText, applyToText, validPriority, table);
            var error = Validate(candidate, operatorPolicy, compat);
            policy = error is null ? candidate : null;
            return error;
        }

        var errors = new List<string>(4);
        if (PolicyDefinitionValidation.Check(definition, operatorPolicy, compat) is { } definitionError)
        {
            errors.Add(definitionError);
        }

        if (applyToText is null || PolicyTargets.Parse(applyToText) is null)
        {
            errors.Add(ErlangTerm.Format(ApplyToError, applyTo));
        }

        if (patternText is null)
        {
            errors.Add(ErlangTerm.Format("pattern should be a binary but was ~p", pattern));
        }
        else if (PolicyPattern.TryCreate(patternText, out var patternError) is null)
        {
            errors.Add(ErlangTerm.Format("pattern should be regular expression but is invalid: ~p", patternError));
        }

        if (priorityValue is null)
        {
            errors.Add(ErlangTerm.Format("priority should be a number, actually was ~p", priority));
        }

        return Failed(errors);
    }

    private static string? Failed(List<string> errors)
    {
        if (errors.Count == 0)
        {
            return null;
        }

        var text = new System.Text.StringBuilder("Validation failed\n\n");
        foreach (var error in errors)
        {
            text.Append(error).Append('\n');
        }

        return text.ToString();
    }
}
