using System.Text;
using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;

namespace Broker.Engine.Policies;

/// <summary>
/// A policy definition checked as RabbitMQ 3.10's policy validators check it, with their texts: the
/// keys of each validator module go to it together, modules in the order RabbitMQ's registry hands
/// them out (queue-master-locator, then rabbit_policies' keys in key order, then the ha-* keys), the
/// first error wins, and keys no module knows are "not recognised policy settings". Operator policies
/// accept only the limits an operator may cap.
/// </summary>
internal static class PolicyDefinitionValidation
{
    /// <summary>rabbit_policies' keys (policy_validator).</summary>
    private static readonly HashSet<string> CoreKeys =
    [
        "alternate-exchange", "dead-letter-exchange", "dead-letter-routing-key", "dead-letter-strategy", "message-ttl", "expires",
        "max-length", "max-length-bytes", "max-in-memory-length", "max-in-memory-bytes", "queue-mode", "queue-version", "overflow",
        "delivery-limit", "max-age", "stream-max-segment-size-bytes", "queue-leader-locator", "initial-cluster-size",
    ];

    /// <summary>rabbit_policies' keys for operator policies (operator_policy_validator).</summary>
    internal static readonly HashSet<string> OperatorKeys =
    [
        "expires", "message-ttl", "max-length", "max-length-bytes", "max-in-memory-length", "max-in-memory-bytes", "delivery-limit",
    ];

    /// <summary>rabbit_mirror_queue_misc's keys: mirroring, accepted and without effect on one node.</summary>
    private static readonly HashSet<string> MirroringKeys =
    [
        "ha-mode", "ha-params", "ha-sync-mode", "ha-sync-batch-size", "ha-promote-on-shutdown", "ha-promote-on-failure",
    ];

    private static readonly object None = ErlangTerm.Atom("none");

    /// <summary>
    /// The error text for <paramref name="definition"/>, or null when RabbitMQ would accept it; with
    /// <paramref name="compat"/> 4, as 4.3 checks it (see <see cref="CheckAs4"/>).
    /// </summary>
    public static string? Check(object? definition, bool operatorPolicy, CompatibilityProfile? compat = null)
    {
        if (definition is not FieldTable table)
        {
            return ErlangTerm.Format("definition must be a dictionary: ~p", definition);
        }

        if (table.Count == 0)
        {
            return "no policy provided";
        }

        // Keys in the order RabbitMQ's sorted proplist holds them.
        var terms = table.OrderBy(entry => Encoding.UTF8.GetBytes(entry.Key), BytewiseOrder.Instance).ToList();
        var left = new List<KeyValuePair<string, object?>>(terms);
        if (compat is { KnowsMirroringPolicyKeys: false })
        {
            return CheckAs4(left, operatorPolicy);
        }

        if (!operatorPolicy)
        {
            if (Take(left, key => key == "queue-master-locator") is [var locator])
            {
                if (FieldValues.AsString(locator.Value) is not ("min-masters" or "client-local" or "random"))
                {
                    return ErlangTerm.Format("~p invalid queue-master-locator value", locator.Value);
                }
            }
        }

        var core = Take(left, key => (operatorPolicy ? OperatorKeys : CoreKeys).Contains(key));
        foreach (var (key, value) in core)
        {
            if (CheckCore(key, value) is { } error)
            {
                return error;
            }
        }

        if (!operatorPolicy && Take(left, MirroringKeys.Contains) is { Count: > 0 } mirroring && CheckMirroring(mirroring) is { } mirroringError)
        {
            return mirroringError;
        }

        if (left.Count > 0)
        {
            return ErlangTerm.Format("~p are not recognised policy settings", left.Select(t => (object?)ErlangTerm.Tuple(t.Key, t.Value)).ToList());
        }

        return null;
    }

    /// <summary>
    /// RabbitMQ 4.3's validators: queue-master-locator (now for operator policies too) refused while the
    /// deprecated feature queue_master_locator is denied (rabbit_classic_queue:validate_policy), any integer
    /// a delivery limit (rabbit_policies, a negative one being none), and no ha-* keys.
    /// </summary>
    private static string? CheckAs4(List<KeyValuePair<string, object?>> left, bool operatorPolicy)
    {
        if (Take(left, key => key == "queue-master-locator").Count > 0)
        {
            return "use of deprecated queue-master-locator argument is not permitted";
        }

        var core = Take(left, key => (operatorPolicy ? OperatorKeys : CoreKeys).Contains(key));
        foreach (var (key, value) in core)
        {
            var error = key == "delivery-limit"
                ? FieldValues.AsInteger(value) is null ? ErlangTerm.Format("~p is not a valid delivery limit", value) : null
                : CheckCore(key, value);
            if (error is not null)
            {
                return error;
            }
        }

        return left.Count > 0
            ? ErlangTerm.Format("~p are not recognised policy settings", left.Select(t => (object?)ErlangTerm.Tuple(t.Key, t.Value)).ToList())
            : null;
    }

    private static List<KeyValuePair<string, object?>> Take(List<KeyValuePair<string, object?>> terms, Func<string, bool> belongs)
    {
        var taken = terms.Where(t => belongs(t.Key)).ToList();
        terms.RemoveAll(t => belongs(t.Key));
        return taken;
    }

    private static bool IsBinary(object? value) => value is byte[] or string;

    private static bool IsIntegerAtLeast(object? value, long minimum) => FieldValues.AsInteger(value) is { } integer && integer >= minimum;

    /// <summary>rabbit_policies:validate_policy0.</summary>
    private static string? CheckCore(string key, object? value)
    {
        var (valid, what) = key switch
        {
            "alternate-exchange" => (IsBinary(value), "is not a valid alternate exchange name"),
            "dead-letter-exchange" => (IsBinary(value), "is not a valid dead letter exchange name"),
            "dead-letter-routing-key" => (IsBinary(value), "is not a valid dead letter routing key"),
            "dead-letter-strategy" => (FieldValues.AsString(value) is "at-most-once" or "at-least-once", "is not a valid dead letter strategy"),
            "message-ttl" => (IsIntegerAtLeast(value, 0), "is not a valid message TTL"),
            "expires" => (IsIntegerAtLeast(value, 1), "is not a valid queue expiry"),
            "max-length" => (IsIntegerAtLeast(value, 0), "is not a valid maximum length"),
            "max-length-bytes" => (IsIntegerAtLeast(value, 0), "is not a valid maximum length in bytes"),
            "max-in-memory-length" or "max-in-memory-bytes" => (IsIntegerAtLeast(value, 0), "is not a valid maximum memory in bytes"),
            "queue-mode" => (FieldValues.AsString(value) is "default" or "lazy", "is not a valid queue-mode value"),
            "queue-version" => (FieldValues.AsInteger(value) is 1 or 2, "is not a valid queue-version value"),
            "overflow" => (FieldValues.AsString(value) is "drop-head" or "reject-publish" or "reject-publish-dlx", "is not a valid overflow value"),
            "delivery-limit" => (IsIntegerAtLeast(value, 0), "is not a valid delivery limit"),

            // rabbit_amqqueue:check_max_age: a positive number and one unit (RabbitMQ crashes on a non-string: refused here).
            "max-age" => (IsBinary(value) && MaxAge.TryParse(FieldValues.AsString(value), out var age) && age > 0, "is not a valid max age"),
            "stream-max-segment-size-bytes" => (FieldValues.AsInteger(value) is >= 0 and <= 3_000_000_000, "is not a valid segment size"),
            "queue-leader-locator" => (FieldValues.AsString(value) is "client-local" or "balanced" or "random" or "least-leaders", "is not a valid queue leader locator value"),
            "initial-cluster-size" => (IsIntegerAtLeast(value, 0), "is not a valid cluster size"),
            _ => (true, string.Empty),
        };
        return valid ? null : ErlangTerm.Format("~p " + what, value);
    }

    /// <summary>rabbit_mirror_queue_misc:validate_policy, in its order.</summary>
    private static string? CheckMirroring(List<KeyValuePair<string, object?>> keys)
    {
        object? Get(string key) => keys.FirstOrDefault(t => t.Key == key) is { Key: not null } found ? found.Value : None;
        var mode = Get("ha-mode");
        var parameters = Get("ha-params");
        var syncMode = Get("ha-sync-mode");
        var batchSize = Get("ha-sync-batch-size");
        var promoteOnShutdown = Get("ha-promote-on-shutdown");
        var promoteOnFailure = Get("ha-promote-on-failure");
        if (mode == None)
        {
            return "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown";
        }

        return FieldValues.AsString(mode) switch
        {
            "all" => parameters == None ? null : "ha-mode=\"all\" does not take parameters",
            "exactly" => IsIntegerAtLeast(parameters, 1) ? null : ErlangTerm.Format("ha-mode=\"exactly\" takes an integer, ~p given", parameters),
            "nodes" => parameters switch
            {
                List<object?> { Count: 0 } => "ha-mode=\"nodes\" list must be non-empty",
                List<object?> nodes when nodes.Where(n => !IsBinary(n)).ToList() is { Count: > 0 } invalid =>
                    ErlangTerm.Format("ha-mode=\"nodes\" takes a list of strings, ~p was not a string", invalid),
                List<object?> => null,
                _ => ErlangTerm.Format("ha-mode=\"nodes\" takes a list, ~p given", parameters),
            },
            _ => ErlangTerm.Format("~p is not a valid ha-mode value", mode),
        }
            ?? (syncMode == None || FieldValues.AsString(syncMode) is "automatic" or "manual"
                ? null
                : ErlangTerm.Format("ha-sync-mode must be \"manual\" or \"automatic\", got ~p", syncMode))
            ?? (batchSize == None || IsIntegerAtLeast(batchSize, 1)
                ? null
                : ErlangTerm.Format("ha-sync-batch-size takes an integer greater than 0, ~p given", batchSize))
            ?? (promoteOnShutdown == None || FieldValues.AsString(promoteOnShutdown) is "always" or "when-synced"
                ? null
                : ErlangTerm.Format("ha-promote-on-shutdown must be \"always\" or \"when-synced\", got ~p", promoteOnShutdown))
            ?? (promoteOnFailure == None || FieldValues.AsString(promoteOnFailure) is "always" or "when-synced"
                ? null
                : ErlangTerm.Format("ha-promote-on-failure must be \"always\" or \"when-synced\", got ~p", promoteOnFailure));
    }
}

/// <summary>Erlang's order of binaries: bytewise.</summary>
internal sealed class BytewiseOrder : IComparer<byte[]>
{
    public static readonly BytewiseOrder Instance = new();

    public int Compare(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceCompareTo(y);
}
