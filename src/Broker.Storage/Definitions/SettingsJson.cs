using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Engine.Limits;

namespace Broker.Storage.Definitions;

/// <summary>
/// JSON forms shared by the definitions log, the snapshot and the import: limits objects, tag lists,
/// and runtime parameter values, which the engine keeps as JSON text.
/// </summary>
internal static class SettingsJson
{
    public static JsonObject Limits(ResourceLimits limits)
    {
        var json = new JsonObject();
        foreach (var (name, value) in limits.Values)
        {
            json[name] = value;
        }

        return json;
    }

    /// <summary>
    /// A limits object as RabbitMQ writes it: {"max-connections": 10}, or [] (the empty proplist RabbitMQ
    /// 3.10 exports once every limit was cleared). Null with <paramref name="error"/> set when it is not one.
    /// </summary>
    public static ResourceLimits? ReadLimits(JsonNode? node, out string? error)
    {
        error = null;
        switch (node)
        {
            case null:
                return ResourceLimits.None;
            case JsonArray { Count: 0 }:
                return ResourceLimits.None;
            case JsonObject json:
                var values = new List<KeyValuePair<string, long>>();
                foreach (var (name, value) in json)
                {
                    if (value is not JsonValue number || number.GetValueKind() != JsonValueKind.Number || !number.TryGetValue<long>(out var limit))
                    {
                        // RabbitMQ's rabbit_vhost_limit wording.
                        error = $"{name} should be a number, actually was {value?.ToJsonString() ?? "null"}";
                        return null;
                    }

                    values.Add(new(name, limit));
                }

                return ResourceLimits.Of(values);
            default:
                error = $"limits should be an object, actually was {node.ToJsonString()}";
                return null;
        }
    }

    public static JsonArray Tags(IEnumerable<string> tags) => new([.. tags.Select(t => (JsonNode?)JsonValue.Create(t))]);

    /// <summary>Tags as RabbitMQ writes them: an array (3.9 and later) or one comma-separated string (older, and the CLI).</summary>
    public static List<string> ReadTags(JsonNode? node) => node switch
    {
        JsonArray array => [.. array.Select(t => t is JsonValue value && value.TryGetValue<string>(out var tag) ? tag : string.Empty).Where(t => t.Length > 0)],
        JsonValue value when value.TryGetValue<string>(out var text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        _ => [],
    };

    /// <summary>
    /// A parameter's value back as JSON. Callers hand the engine valid JSON; should text that is not
    /// slip through, it is kept as a JSON string rather than failing the writer or an export.
    /// </summary>
    public static JsonNode? Value(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>A JSON value as the text the engine keeps ("null" for JSON null).</summary>
    public static string ValueText(JsonNode? node) => node?.ToJsonString() ?? "null";
}
