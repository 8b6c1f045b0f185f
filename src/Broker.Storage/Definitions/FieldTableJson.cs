using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;

namespace Broker.Storage.Definitions;

/// <summary>
/// Field tables as JSON, the way RabbitMQ's definitions hold arguments: strings, numbers, booleans,
/// objects and arrays. Integers come back as longs and strings as longstrs (RabbitMQ's equivalence
/// checks treat all integer types as one).
/// </summary>
public static class FieldTableJson
{
    public static JsonObject ToJson(FieldTable table)
    {
        var json = new JsonObject();
        foreach (var (key, value) in table)
        {
            json[key] = ToNode(value);
        }

        return json;
    }

    public static FieldTable FromJson(JsonNode? node)
    {
        var table = new FieldTable();
        if (node is JsonObject json)
        {
            foreach (var (key, value) in json)
            {
                table[key] = FromNode(value);
            }
        }

        return table;
    }

    /// <summary>One JSON value as a field value (a string as bytes, a number as a long or double, an object as a table).</summary>
    public static object? ValueFromJson(JsonNode? node) => FromNode(node);

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        bool flag => JsonValue.Create(flag),
        byte[] bytes => JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes)),
        string text => JsonValue.Create(text),
        AmqpBinary binary => JsonValue.Create(Convert.ToBase64String(binary.Bytes)),
        float f => JsonValue.Create((double)f),
        double d => JsonValue.Create(d),
        AmqpDecimal dec => JsonValue.Create(dec.ToDecimal()),
        AmqpTimestamp timestamp => JsonValue.Create(timestamp.UnixSeconds),
        FieldTable nested => ToJson(nested),
        List<object?> list => new JsonArray([.. list.Select(ToNode)]),
        _ when FieldValues.AsInteger(value) is { } integer => JsonValue.Create(integer),
        _ => JsonValue.Create(value.ToString()),
    };

    /// <summary>A number as a long when it is whole and fits, else a double, whatever backs the JSON value.</summary>
    private static object Number(JsonValue value)
    {
        if (value.TryGetValue<long>(out var integer))
        {
            return integer;
        }

        if (value.TryGetValue<JsonElement>(out var element))
        {
            return element.TryGetInt64(out var parsed) ? parsed : (object)element.GetDouble();
        }

        if (value.TryGetValue<ulong>(out var unsigned))
        {
            return unsigned <= long.MaxValue ? (long)unsigned : (object)(double)unsigned;
        }

        if (value.TryGetValue<decimal>(out var dec))
        {
            return decimal.Truncate(dec) == dec && dec >= long.MinValue && dec <= long.MaxValue ? (long)dec : (object)(double)dec;
        }

        return value.GetValue<double>();
    }

    private static object? FromNode(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject json:
                return FromJson(json);
            case JsonArray array:
                return array.Select(FromNode).ToList();
            case JsonValue value:
                // Works for values parsed from text and for ones built in memory alike.
                return value.GetValueKind() switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String => System.Text.Encoding.UTF8.GetBytes(value.GetValue<string>()),
                    JsonValueKind.Number => Number(value),
                    _ => null,
                };
            default:
                return null;
        }
    }
}
