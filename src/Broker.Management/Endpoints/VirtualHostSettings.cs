using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.VirtualHosts;

namespace Broker.Management.Endpoints;

/// <summary>
/// A vhost's own fields (description, tags, default queue type, tracing): read from a PUT body as
/// RabbitMQ 3.10 reads them, written into its JSON.
/// </summary>
internal static class VirtualHostSettings
{
    /// <summary>
    /// Creates or updates the vhost; a new one gives its creator every permission there, as RabbitMQ does.
    /// Every PUT replaces the description and tags (absent: empty); the default queue type is taken at
    /// creation only ("defaultqueuetype" in 3.10, "default_queue_type" in later versions); tracing
    /// changes only when given (a boolean or "true"/"false", else 400 [not_boolean, VALUE]).
    /// </summary>
    public static void Apply(BrokerEngine engine, string name, JsonObject body, Broker.Engine.Security.User creator)
    {
        var created = !engine.TryGetVirtualHost(name, out var existing);
        bool? tracing = body.ContainsKey("tracing") ? Http.ApiRequest.Flag(body, "tracing", absent: false) : null;
        var description = body["description"] is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String ? text.GetValue<string>() : string.Empty;
        IReadOnlyList<string> tags = UserEndpoints.ParseTags(body["tags"]);
        var queueType = created ? Text(body, "defaultqueuetype") ?? Text(body, "default_queue_type") : existing!.Metadata.DefaultQueueType;
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

        if (tracing is { } on)
        {
            virtualHost.Tracing = on;
        }
    }

    private static string? Text(JsonObject body, string key) =>
        body[key] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;

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
