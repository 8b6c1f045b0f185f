using Broker.DataModel.Encoding;
using Broker.Engine.Errors;

namespace Broker.Engine.Exchanges.ConsistentHash;

/// <summary>What a consistent-hash exchange hashes: the routing key, a header, or a property.</summary>
internal enum HashSource : byte
{
    RoutingKey,
    Header,
    CorrelationId,
    MessageId,
    Timestamp,
}

/// <summary>
/// The consistent-hash exchange's declaration arguments and binding keys, checked as
/// rabbit_exchange_type_consistent_hash (RabbitMQ 3.10 to 3.13) checks them.
/// </summary>
internal static class ConsistentHashArguments
{
    public const string HashHeader = "hash-header";
    public const string HashProperty = "hash-property";

    /// <summary>Most buckets one binding may own. RabbitMQ has no limit but allocates a bucket per unit of weight.</summary>
    public const long MaxWeight = int.MaxValue;

    /// <summary>Checks a new exchange's arguments (validate/1; a redeclaration is not checked again).</summary>
    public static EngineError Validate(FieldTable arguments)
    {
        var hasHeader = arguments.TryGetValue(HashHeader, out var header);
        var hasProperty = arguments.TryGetValue(HashProperty, out var property);

        // RabbitMQ reads both as longstr before anything else; another type crashes the channel
        // process there, which the client sees as connection.close 541 "INTERNAL_ERROR", no explanation.
        if ((hasHeader && FieldValues.AsString(header) is null) || (hasProperty && FieldValues.AsString(property) is null))
        {
            return new EngineError(ErrorKind.InternalError, string.Empty);
        }

        if (hasHeader && hasProperty)
        {
            return EngineError.PreconditionFailed("hash-header and hash-property are mutually exclusive");
        }

        if (hasProperty && PropertySource(FieldValues.AsString(property)!) is null)
        {
            return EngineError.PreconditionFailed($"Unsupported property: {FieldValues.AsString(property)}");
        }

        return EngineError.None;
    }

    /// <summary>What a (validated) exchange hashes, and the header's name when it is a header.</summary>
    public static HashSource SourceOf(FieldTable arguments, out byte[] headerName)
    {
        headerName = [];
        if (FieldValues.AsString(arguments.TryGetValue(HashHeader, out var header) ? header : null) is { } name)
        {
            headerName = System.Text.Encoding.UTF8.GetBytes(name);
            return HashSource.Header;
        }

        return FieldValues.AsString(arguments.TryGetValue(HashProperty, out var property) ? property : null) is { } text
            ? PropertySource(text) ?? HashSource.RoutingKey
            : HashSource.RoutingKey;
    }

    /// <summary>
    /// A binding key is the binding's weight: an integer as Erlang's list_to_integer reads it (an
    /// optional sign, then ASCII digits), at least 1.
    /// </summary>
    public static EngineError ValidateWeight(string routingKey)
    {
        if (!TryParseInteger(routingKey, out var isPositive, out var digits))
        {
            return EngineError.PreconditionFailed($"The binding key must be an integer: {ErlangBinary(routingKey)}");
        }

        if (!isPositive || digits.TrimStart('0').IsEmpty)
        {
            return EngineError.PreconditionFailed("The binding key must be greater than 0");
        }

        return TryGetWeight(routingKey, out _)
            ? EngineError.None
            : EngineError.PreconditionFailed($"The binding key must be at most {MaxWeight}");
    }

    /// <summary>The weight of a binding key that passed <see cref="ValidateWeight"/>.</summary>
    public static bool TryGetWeight(string routingKey, out long weight)
    {
        weight = 0;
        if (!TryParseInteger(routingKey, out var isPositive, out var digits) || !isPositive)
        {
            return false;
        }

        digits = digits.TrimStart('0');
        if (digits.IsEmpty || digits.Length > 10)
        {
            return false;
        }

        foreach (var c in digits)
        {
            weight = (weight * 10) + (c - '0');
        }

        return weight <= MaxWeight;
    }

    private static bool TryParseInteger(string text, out bool isPositive, out ReadOnlySpan<char> digits)
    {
        var span = text.AsSpan();
        isPositive = span.IsEmpty || span[0] != '-';
        if (!span.IsEmpty && span[0] is '+' or '-')
        {
            span = span[1..];
        }

        digits = span;
        return !span.IsEmpty && !span.ContainsAnyExceptInRange('0', '9');
    }

    private static HashSource? PropertySource(string name) => name switch
    {
        "correlation_id" => HashSource.CorrelationId,
        "message_id" => HashSource.MessageId,
        "timestamp" => HashSource.Timestamp,
        _ => null,
    };

    /// <summary>
    /// A binary as Erlang's ~p prints it in RabbitMQ 3.10's texts: &lt;&lt;"text"&gt;&gt; with escapes
    /// when every byte is printable Latin-1 (so UTF-8 of most accented letters passes), else the bytes
    /// as numbers, &lt;&lt;120,1&gt;&gt;.
    /// </summary>
    private static string ErlangBinary(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        if (bytes.Length == 0)
        {
            return "<<>>";
        }

        foreach (var b in bytes)
        {
            if (b is < 32 and not (>= 8 and <= 13) and not 27 || b is >= 127 and < 160)
            {
                return "<<" + string.Join(',', bytes) + ">>";
            }
        }

        var printed = new System.Text.StringBuilder("<<\"");
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var escape = bytes[i] switch
            {
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                (byte)'\n' => "\\n",
                (byte)'\r' => "\\r",
                (byte)'\t' => "\\t",
                (byte)'\v' => "\\v",
                (byte)'\b' => "\\b",
                (byte)'\f' => "\\f",
                27 => "\\e",
                _ => null,
            };
            if (escape is not null)
            {
                printed.Append(System.Text.Encoding.UTF8.GetString(bytes, start, i - start)).Append(escape);
                start = i + 1;
            }
        }

        return printed.Append(System.Text.Encoding.UTF8.GetString(bytes, start, bytes.Length - start)).Append("\">>").ToString();
    }
}
