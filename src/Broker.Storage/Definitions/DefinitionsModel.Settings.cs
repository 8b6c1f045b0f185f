using System.Text.Json.Nodes;
using Broker.Engine.Limits;
using Broker.Engine.Parameters;
using Broker.Engine.Stores;

namespace Broker.Storage.Definitions;

/// <summary>
/// What RabbitMQ's definitions carry beside topology: vhost metadata and limits, user limits, topic
/// permissions, runtime parameters of components the broker does not use, global parameters. A change
/// naming a vhost or user the model does not have is ignored: it can only come from a change that
/// raced the deletion of that vhost or user, which the deletion already swept away.
/// </summary>
public sealed partial class DefinitionsModel
{
    public Dictionary<string, VirtualHostMetadataSet> VirtualHostMetadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Limits by vhost; a vhost without limits has no entry.</summary>
    public Dictionary<string, ResourceLimits> VirtualHostLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>Limits by user; a user without limits has no entry.</summary>
    public Dictionary<string, ResourceLimits> UserLimits { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string User, string VirtualHost, string Exchange), TopicPermissionsSet> TopicPermissions { get; } = [];

    /// <summary>Runtime parameters the broker keeps without using them (not vhost-limits, which are <see cref="VirtualHostLimits"/>).</summary>
    public Dictionary<(string VirtualHost, string Component, string Name), ParameterSet> Parameters { get; } = [];

    public Dictionary<string, GlobalParameterSet> GlobalParameters { get; } = new(StringComparer.Ordinal);

    private void ApplySettings(DefinitionChange change)
    {
        switch (change)
        {
            case VirtualHostMetadataSet metadata when VirtualHosts.Contains(metadata.Name):
                VirtualHostMetadata[metadata.Name] = metadata;
                break;
            case VirtualHostLimitsSet limits when VirtualHosts.Contains(limits.VirtualHost):
                SetOrRemove(VirtualHostLimits, limits.VirtualHost, limits.Limits);
                break;
            case UserLimitsSet limits when Users.ContainsKey(limits.User):
                SetOrRemove(UserLimits, limits.User, limits.Limits);
                break;
            case TopicPermissionsSet topic when Users.ContainsKey(topic.User) && VirtualHosts.Contains(topic.VirtualHost):
                TopicPermissions[(topic.User, topic.VirtualHost, topic.Exchange)] = topic;
                break;
            case TopicPermissionsCleared cleared:
                RemoveWhere(TopicPermissions, key => key.User == cleared.User && key.VirtualHost == cleared.VirtualHost
                    && (cleared.Exchange is null || key.Exchange == cleared.Exchange));
                break;
            case ParameterSet parameter when VirtualHosts.Contains(parameter.VirtualHost):
                Parameters[(parameter.VirtualHost, parameter.Component, parameter.Name)] = parameter;
                break;
            case ParameterCleared cleared:
                Parameters.Remove((cleared.VirtualHost, cleared.Component, cleared.Name));
                break;
            case GlobalParameterSet global:
                GlobalParameters[global.Name] = global;
                break;
            case GlobalParameterCleared cleared:
                GlobalParameters.Remove(cleared.Name);
                break;
        }
    }

    private void ForgetVirtualHostSettings(string virtualHost)
    {
        VirtualHostMetadata.Remove(virtualHost);
        VirtualHostLimits.Remove(virtualHost);
        RemoveWhere(TopicPermissions, key => key.VirtualHost == virtualHost);
        RemoveWhere(Parameters, key => key.VirtualHost == virtualHost);
    }

    private void ForgetUserSettings(string user)
    {
        UserLimits.Remove(user);
        RemoveWhere(TopicPermissions, key => key.User == user);
    }

    private static void SetOrRemove(Dictionary<string, ResourceLimits> limits, string key, ResourceLimits value)
    {
        if (value.IsEmpty)
        {
            limits.Remove(key);
        }
        else
        {
            limits[key] = value;
        }
    }

    /// <summary>
    /// A vhost as RabbitMQ writes it: the name, and when it has metadata, description, tags and
    /// default_queue_type both at the top (newer RabbitMQ reads them there) and under "metadata" (where
    /// RabbitMQ 3.10 reads default_queue_type).
    /// </summary>
    private JsonObject VirtualHostJson(string name)
    {
        var json = new JsonObject { ["name"] = name };
        if (!VirtualHostMetadata.TryGetValue(name, out var metadata))
        {
            return json;
        }

        var nested = new JsonObject { ["description"] = metadata.Description, ["tags"] = SettingsJson.Tags(metadata.Tags) };
        json["description"] = metadata.Description;
        json["tags"] = SettingsJson.Tags(metadata.Tags);
        if (metadata.DefaultQueueType is { } queueType)
        {
            json["default_queue_type"] = queueType;
            nested["default_queue_type"] = queueType;
        }

        json["metadata"] = nested;
        return json;
    }

    private JsonObject UserLimitsJson(string user) =>
        SettingsJson.Limits(UserLimits.TryGetValue(user, out var limits) ? limits : ResourceLimits.None);

    private JsonArray TopicPermissionsJson()
    {
        var json = new JsonArray();
        foreach (var p in TopicPermissions.Values.OrderBy(p => p.User, StringComparer.Ordinal).ThenBy(p => p.VirtualHost, StringComparer.Ordinal).ThenBy(p => p.Exchange, StringComparer.Ordinal))
        {
            json.Add(new JsonObject { ["user"] = p.User, ["vhost"] = p.VirtualHost, ["exchange"] = p.Exchange, ["write"] = p.Write, ["read"] = p.Read });
        }

        return json;
    }

    /// <summary>
    /// Vhost limits as RabbitMQ 3.10 exports them (component "vhost-limits", name "limits"), the kept
    /// parameters, then operator policies (component "operator_policy").
    /// </summary>
    private JsonArray ParametersJson()
    {
        var json = new JsonArray();
        foreach (var name in VirtualHosts)
        {
            if (VirtualHostLimits.TryGetValue(name, out var limits))
            {
                json.Add(Parameter(SettingsJson.Limits(limits), name, RuntimeParameters.VirtualHostLimitsComponent, "limits"));
            }
        }

        foreach (var p in Parameters.Values.OrderBy(p => p.VirtualHost, StringComparer.Ordinal).ThenBy(p => p.Component, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            json.Add(Parameter(SettingsJson.Value(p.Value), p.VirtualHost, p.Component, p.Name));
        }

        foreach (var operatorPolicy in OperatorPolicyParameters())
        {
            json.Add(operatorPolicy!.DeepClone());
        }

        return json;
    }

    private static JsonObject Parameter(JsonNode? value, string virtualHost, string component, string name) =>
        new() { ["value"] = value, ["vhost"] = virtualHost, ["component"] = component, ["name"] = name };

    private JsonArray GlobalParametersJson()
    {
        var json = new JsonArray();
        foreach (var p in GlobalParameters.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            json.Add(new JsonObject { ["name"] = p.Name, ["value"] = SettingsJson.Value(p.Value) });
        }

        return json;
    }

    /// <summary>
    /// One vhost's definitions as RabbitMQ's <c>GET /api/definitions/{vhost}</c> writes them: its
    /// parameters and policies (with their vhost), queues, exchanges and bindings (without).
    /// </summary>
    public JsonObject ToVirtualHostJson(string productVersion, string virtualHost)
    {
        var all = ToJson(productVersion);
        var json = new JsonObject { ["rabbit_version"] = productVersion };
        foreach (var kind in (string[])["parameters", "policies", "queues", "exchanges", "bindings"])
        {
            var items = new JsonArray();
            foreach (var item in all[kind] as JsonArray ?? [])
            {
                if (item is JsonObject entry && Text(entry, "vhost") == virtualHost)
                {
                    var copy = (JsonObject)entry.DeepClone();
                    if (kind is not ("parameters" or "policies"))
                    {
                        copy.Remove("vhost");
                    }

                    items.Add(copy);
                }
            }

            json[kind] = items;
        }

        return json;
    }

    /// <summary>Reads the settings of a definitions file whose vhosts and users are already in the model.</summary>
    private void ReadSettings(JsonObject json)
    {
        foreach (var node in Array(json, "vhosts"))
        {
            if (ReadVirtualHostMetadata(node) is { } metadata)
            {
                Apply(new VirtualHostMetadataSet(Text(node, "name"), metadata.Description, metadata.Tags, metadata.DefaultQueueType));
            }
        }

        foreach (var node in Array(json, "users"))
        {
            if (SettingsJson.ReadLimits(node?["limits"], out _) is { IsEmpty: false } limits)
            {
                Apply(new UserLimitsSet(Text(node, "name"), limits));
            }
        }

        foreach (var node in Array(json, "topic_permissions"))
        {
            Apply(new TopicPermissionsSet(Text(node, "user"), Text(node, "vhost"), Text(node, "exchange"), Text(node, "write"), Text(node, "read")));
        }

        foreach (var node in Array(json, "parameters"))
        {
            var (virtualHost, component) = (Text(node, "vhost"), Text(node, "component"));
            if (component == OperatorPolicyComponent)
            {
                // A policy: read with the policies.
                continue;
            }

            if (component == RuntimeParameters.VirtualHostLimitsComponent)
            {
                Apply(new VirtualHostLimitsSet(virtualHost, SettingsJson.ReadLimits(node?["value"], out _) ?? ResourceLimits.None));
            }
            else
            {
                Apply(new ParameterSet(virtualHost, component, Text(node, "name"), SettingsJson.ValueText(node?["value"])));
            }
        }

        foreach (var node in Array(json, "global_parameters"))
        {
            Apply(new GlobalParameterSet(Text(node, "name"), SettingsJson.ValueText(node?["value"])));
        }
    }

    /// <summary>
    /// A vhost entry's metadata, as RabbitMQ's import reads it: description and tags at the top or under
    /// "metadata", default_queue_type under "metadata" (3.10) or at the top (later versions); null when
    /// the entry carries none (RabbitMQ 3.10's HTTP export writes only names).
    /// </summary>
    internal static Engine.VirtualHosts.VirtualHostMetadata? ReadVirtualHostMetadata(JsonNode? node)
    {
        var nested = node?["metadata"] as JsonObject;
        if (node is not JsonObject entry
            || (nested is null && !entry.ContainsKey("description") && !entry.ContainsKey("tags") && !entry.ContainsKey("default_queue_type")))
        {
            return null;
        }

        var description = entry["description"] ?? nested?["description"];
        var tags = entry["tags"] ?? nested?["tags"];
        var queueType = entry["default_queue_type"] ?? nested?["default_queue_type"];
        var queueTypeName = queueType is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 && text != "undefined" ? text : null;
        return new Engine.VirtualHosts.VirtualHostMetadata(
            description is JsonValue d && d.TryGetValue<string>(out var descriptionText) ? descriptionText : string.Empty,
            SettingsJson.ReadTags(tags),
            queueTypeName);
    }
}
