using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Cli.Arguments;

namespace Broker.Cli.Commands;

/// <summary>Options whose value is a JSON object (--arguments, --definition, --properties), checked
/// before anything is sent.</summary>
internal static class JsonOption
{
    public static JsonObject? Object(CommandLine line, string name)
    {
        var text = line.Option(name);
        if (text is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new UsageException($"--{name} must be a JSON object, like '{{\"x-max-length\": 10}}'");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"--{name} is not JSON: {ex.Message}");
        }
    }
}
