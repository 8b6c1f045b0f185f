using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Queues;

namespace Broker.Engine.Arguments;

/// <summary>
/// Queue declaration arguments as RabbitMQ 3.10 checks them (rabbit_amqqueue:check_declare_arguments
/// and the queue types' capabilities), in its order and with its texts: first the values of the
/// arguments the queue type supports, then arguments known to RabbitMQ that the type does not support.
/// Unknown arguments are kept and ignored, as RabbitMQ does.
/// </summary>
public static class QueueArguments
{
    /// <summary>Ten years: RabbitMQ's largest x-message-ttl and x-expires.</summary>
    public const long MaxExpiry = 315_360_000_000;

    /// <summary>The arguments compared when a queue is redeclared, in RabbitMQ's declare_args order.</summary>
    public static readonly string[] Known =
    [
        "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy",
        "x-max-length", "x-max-length-bytes", "x-max-in-memory-length", "x-max-in-memory-bytes", "x-max-priority",
        "x-overflow", "x-queue-mode", "x-queue-version", "x-single-active-consumer", "x-queue-type",
        "x-quorum-initial-group-size", "x-max-age", "x-stream-max-segment-size-bytes", "x-initial-cluster-size",
        "x-queue-leader-locator", "x-delivery-limit",
    ];

    // Every argument some RabbitMQ queue type knows (classic, quorum, stream): one a type does not
    // support is refused for it rather than ignored.
    private static readonly HashSet<string> TypedArguments =
    [
        "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-length",
        "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode", "x-single-active-consumer",
        "x-queue-type", "x-queue-master-locator", "x-queue-version", "x-dead-letter-strategy", "x-max-in-memory-length",
        "x-max-in-memory-bytes", "x-quorum-initial-group-size", "x-delivery-limit", "x-queue-leader-locator",
        "x-max-age", "x-stream-max-segment-size-bytes", "x-initial-cluster-size",
    ];

    /// <summary>The queue type the arguments ask for: classic (also when absent), quorum or stream.</summary>
    public static string QueueType(FieldTable arguments) => arguments.GetString("x-queue-type") ?? "classic";

    /// <summary>
    /// The type x-queue-type names (classic when absent), from the types this engine offers; a value of
    /// the wrong type, or a type it does not offer, is RabbitMQ's 406.
    /// </summary>
    public static EngineError ResolveType(FieldTable arguments, string resource, QueueTypeRegistry types, out QueueType type)
    {
        if (!arguments.TryGetValue("x-queue-type", out var value))
        {
            type = types.Default;
            return EngineError.None;
        }

        if (FieldValues.AsString(value) is not { } name)
        {
            type = types.Default;
            return Invalid("x-queue-type", resource, UnacceptableType(value));
        }

        if (!types.TryGet(name, out type))
        {
            type = types.Default;
            return Invalid("x-queue-type", resource, $"\"unsupported queue type '{name}'\"");
        }

        return EngineError.None;
    }

    /// <summary>Checks the arguments of a queue of <paramref name="type"/> about to be created.</summary>
    public static EngineError Validate(FieldTable arguments, string resource, QueueType type) =>
        Validate(arguments, resource, type.SupportedArguments, type.ModuleName);

    /// <summary>Quorum and stream queues are durable, shared and not auto-delete (rabbit_quorum_queue:declare's order).</summary>
    public static EngineError CheckReplicatedProperties(in QueueDeclaration declaration, string resource)
    {
        var property = declaration.AutoDelete ? "auto-delete" : declaration.Exclusive ? "exclusive-owner" : !declaration.Durable ? "non-durable" : null;
        return property is null ? EngineError.None : EngineError.PreconditionFailed($"invalid property '{property}' for {resource}");
    }

    private static EngineError Validate(FieldTable arguments, string resource, IReadOnlyList<string> supported, string module)
    {
        foreach (var key in Known)
        {
            if (!Contains(supported, key) || !arguments.TryGetValue(key, out var value))
            {
                continue;
            }

            if (CheckValue(key, value, arguments) is { } problem)
            {
                return Invalid(key, resource, problem);
            }
        }

        foreach (var (key, _) in arguments)
        {
            if (TypedArguments.Contains(key) && !Contains(supported, key))
            {
                return EngineError.PreconditionFailed($"invalid arg '{key}' for {resource} of queue type {module}");
            }
        }

        return EngineError.None;
    }

    private static bool Contains(IReadOnlyList<string> list, string key)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == key)
            {
                return true;
            }
        }

        return false;
    }

    private static EngineError Invalid(string key, string resource, string problem) =>
        EngineError.PreconditionFailed($"invalid arg '{key}' for {resource}: {problem}");

    /// <summary>The error term RabbitMQ prints for a bad value, or null when the value is fine.</summary>
    private static string? CheckValue(string key, object? value, FieldTable arguments) => key switch
    {
        "x-expires" => Expiry(value, zeroAllowed: false),
        "x-message-ttl" => Expiry(value, zeroAllowed: true),
        "x-dead-letter-exchange" => LongString(value),
        "x-dead-letter-routing-key" => LongString(value) ?? (arguments.ContainsKey("x-dead-letter-exchange") ? null : "routing_key_but_no_dlx_defined"),
        "x-max-length" or "x-max-length-bytes" or "x-max-in-memory-length" or "x-max-in-memory-bytes"
            or "x-stream-max-segment-size-bytes" => NonNegativeInteger(value),
        "x-max-priority" => NonNegativeInteger(value) ?? (FieldValues.AsInteger(value) > 255 ? $"{{max_value_exceeded,{FieldValues.AsInteger(value)}}}" : null),
        "x-overflow" => FieldValues.AsString(value) is { } overflow
            ? (overflow is "drop-head" or "reject-publish" or "reject-publish-dlx" ? null : "invalid_overflow")
            : UnacceptableType(value),
        "x-queue-mode" => FieldValues.AsString(value) is { } mode
            ? (mode is "default" or "lazy" ? null : $"\"unsupported queue mode '{mode}'\"")
            : UnacceptableType(value),
        "x-queue-version" => IntegerType(value) ?? (FieldValues.AsInteger(value) is 1 or 2 ? null : $"\"unsupported queue version '{FieldValues.AsInteger(value)}'\""),
        "x-single-active-consumer" => value is bool ? null : UnacceptableType(value),
        "x-dead-letter-strategy" => FieldValues.AsString(value) is { } strategy
            ? (strategy is "at-most-once" or "at-least-once" ? null : "invalid_dlx_strategy")
            : UnacceptableType(value),
        "x-quorum-initial-group-size" or "x-initial-cluster-size" => NonNegativeInteger(value) ?? (FieldValues.AsInteger(value) == 0 ? "{value_zero,0}" : null),
        "x-max-age" => MaxAge.TryParse(FieldValues.AsString(value), out _) ? null : "invalid_max_age",
        "x-queue-leader-locator" => FieldValues.AsString(value) is "client-local" or "balanced" or "random" or "least-leaders" ? null : "invalid_queue_leader_locator",
        _ => null,
    };

    private static string? IntegerType(object? value) =>
        FieldValues.AsInteger(value) is null ? $"\"expected integer, got {FieldValues.TypeName(value)}\"" : null;

    private static string? NonNegativeInteger(object? value) => IntegerType(value) ?? (FieldValues.AsInteger(value) < 0 ? $"{{value_negative,{FieldValues.AsInteger(value)}}}" : null);

    private static string? Expiry(object? value, bool zeroAllowed)
    {
        if (IntegerType(value) is { } wrongType)
        {
            return wrongType;
        }

        var number = FieldValues.AsInteger(value)!.Value;
        return number switch
        {
            0 when !zeroAllowed => "{value_zero,0}",
            < 0 => $"{{value_negative,{number}}}",
            > MaxExpiry => $"{{value_too_large,{number}}}",
            _ => null,
        };
    }

    private static string? LongString(object? value) => value is byte[] or string ? null : UnacceptableType(value);

    private static string UnacceptableType(object? value) => $"{{unacceptable_type,{FieldValues.TypeName(value)}}}";
}
