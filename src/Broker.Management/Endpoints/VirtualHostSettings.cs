using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.VirtualHosts;

namespace Broker.Management.Endpoints;

/// <summary>A vhost's own fields (description, tags, default queue type, tracing): read from a PUT body, written into its JSON.</summary>
internal static class VirtualHostSettings
{
    /// <summary>Creates or updates the vhost; a new one gives its creator every permission there, as RabbitMQ does.</summary>
    public static void Apply(BrokerEngine engine, string name, JsonObject body, Broker.Engine.Security.User creator)
    {
        var created = !engine.TryGetVirtualHost(name, out _);
        var metadata = engine.TryGetVirtualHost(name, out var existing) ? existing.Metadata : VirtualHostMetadata.None;
        var description = body["description"] is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String ? text.GetValue<string>() : metadata.Description;
        IReadOnlyList<string> tags = body.ContainsKey("tags") ? UserEndpoints.ParseTags(body["tags"]) : metadata.Tags;
        var queueType = body["default_queue_type"] is JsonValue type && type.GetValueKind() == System.Text.Json.JsonValueKind.String ? type.GetValue<string>() : metadata.DefaultQueueType;
        if (queueType is not null && queueType != "undefined" && !engine.QueueTypes.TryGet(queueType, out _))
        {
            throw Http.ApiError.BadRequest($"Invalid queue type '{queueType}'");
        }

        var virtualHost = engine.AddVirtualHost(name);
        Http.EngineErrors.ThrowIfError(virtualHost.SetMetadata(description, tags, queueType == "undefined" ? null : queueType));
        if (created)
        {
            engine.Users.SetPermissions(creator.Name, name, Broker.Engine.Security.Permissions.All);
        }

        if (body["tracing"] is JsonValue tracing && tracing.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
        {
            virtualHost.Tracing = tracing.GetValue<bool>();
        }
    }

    public static JsonObject Describe(VirtualHost virtualHost)
    {
        var metadata = virtualHost.Metadata;
        var json = new JsonObject
        {
            ["default_queue_type"] = metadata.DefaultQueueType ?? "undefined",
            ["description"] = metadata.Description,
            ["metadata"] = new JsonObject { ["description"] = metadata.Description, ["tags"] = OverviewEndpoints.Tags(metadata.Tags) },
            ["name"] = virtualHost.Name,
            ["tags"] = OverviewEndpoints.Tags(metadata.Tags),
            ["tracing"] = virtualHost.Tracing,
        };
        if (metadata.DefaultQueueType is { } queueType)
        {
            ((JsonObject)json["metadata"]!)["default_queue_type"] = queueType;
        }

        return json;
    }
}
