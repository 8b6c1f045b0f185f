using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.VirtualHosts;

namespace Broker.Management.Endpoints;

/// <summary>A vhost's own fields (description, tags, default queue type, tracing): read from a PUT body, written into its JSON.</summary>
internal static class VirtualHostSettings
{
    public static void Apply(BrokerEngine engine, string name, JsonObject body)
    {
        var virtualHost = engine.AddVirtualHost(name);
        if (body["tracing"] is JsonValue tracing && tracing.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
        {
            virtualHost.Tracing = tracing.GetValue<bool>();
        }
    }

    public static JsonObject Describe(BrokerEngine engine, VirtualHost virtualHost)
    {
        _ = engine;
        return new JsonObject
        {
            ["default_queue_type"] = "undefined",
            ["description"] = string.Empty,
            ["metadata"] = new JsonObject { ["description"] = string.Empty, ["tags"] = new JsonArray() },
            ["name"] = virtualHost.Name,
            ["tags"] = new JsonArray(),
            ["tracing"] = virtualHost.Tracing,
        };
    }
}
