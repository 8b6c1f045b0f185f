using Broker.Engine.Errors;
using Broker.Protocol.Encoding;

namespace Broker.Engine.Arguments;

/// <summary>
/// The queue arguments RabbitMQ 3.10 knows (rabbit_amqqueue:declare_args): checked on declare with
/// RabbitMQ's texts, and compared on redeclare. Unknown arguments are kept and ignored, as RabbitMQ does.
/// </summary>
public static class QueueArguments
{
    public static readonly string[] Known =
    [
        "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-length",
        "x-max-length-bytes", "x-max-in-memory-length", "x-max-in-memory-bytes", "x-max-priority", "x-overflow",
        "x-queue-mode", "x-single-active-consumer", "x-queue-type", "x-quorum-initial-group-size", "x-max-age",
        "x-stream-max-segment-size-bytes", "x-initial-cluster-size", "x-queue-leader-locator",
    ];

    public static EngineError Validate(FieldTable arguments, string resource)
    {
        foreach (var (key, value) in arguments)
        {
            var problem = key switch
            {
                "x-expires" => PositiveInteger(value),
                "x-message-ttl" => NonNegativeInteger(value),
                "x-dead-letter-exchange" or "x-dead-letter-routing-key" => LongString(value),
                "x-max-length" or "x-max-length-bytes" or "x-max-in-memory-length" or "x-max-in-memory-bytes"
                    or "x-stream-max-segment-size-bytes" => NonNegativeInteger(value),
                "x-max-priority" => MaxPriority(value),
                "x-overflow" => OneOf(value, "drop-head", "reject-publish", "reject-publish-dlx"),
                "x-queue-mode" => OneOf(value, "default", "lazy"),
                "x-single-active-consumer" => value is bool ? null : $"{{unacceptable_type,{FieldValues.TypeName(value)}}}",
                "x-queue-type" => OneOf(value, "classic", "quorum", "stream"),
                "x-quorum-initial-group-size" or "x-initial-cluster-size" => PositiveInteger(value),
                "x-queue-leader-locator" => OneOf(value, "client-local", "balanced", "random", "least-leaders"),
                _ => null,
            };

            if (problem is not null)
            {
                return EngineError.PreconditionFailed($"invalid arg '{key}' for {resource}: {problem}");
            }
        }

        if (arguments.ContainsKey("x-dead-letter-routing-key") && !arguments.ContainsKey("x-dead-letter-exchange"))
        {
            return EngineError.PreconditionFailed(
                $"invalid arg 'x-dead-letter-routing-key' for {resource}: Key x-dead-letter-routing-key requires x-dead-letter-exchange");
        }

        return EngineError.None;
    }

    private static string? NonNegativeInteger(object? value) => FieldValues.AsInteger(value) switch
    {
        null => $"{{unacceptable_type,{FieldValues.TypeName(value)}}}",
        < 0 and var negative => $"{{value_negative,{negative}}}",
        _ => null,
    };

    private static string? PositiveInteger(object? value) => FieldValues.AsInteger(value) switch
    {
        null => $"{{unacceptable_type,{FieldValues.TypeName(value)}}}",
        0 => "{value_zero,0}",
        < 0 and var negative => $"{{value_negative,{negative}}}",
        _ => null,
    };

    private static string? MaxPriority(object? value) => FieldValues.AsInteger(value) switch
    {
        null => $"{{unacceptable_type,{FieldValues.TypeName(value)}}}",
        < 0 and var negative => $"{{value_negative,{negative}}}",
        > 255 and var big => $"{{value_too_large,{big},255}}",
        _ => null,
    };

    private static string? LongString(object? value) =>
        value is byte[] or string ? null : $"{{unacceptable_type,{FieldValues.TypeName(value)}}}";

    private static string? OneOf(object? value, params string[] allowed)
    {
        if (FieldValues.AsString(value) is not { } text)
        {
            return $"{{unacceptable_type,{FieldValues.TypeName(value)}}}";
        }

        return Array.IndexOf(allowed, text) >= 0 ? null : $"{{invalid_value,<<\"{text}\">>}}";
    }
}
