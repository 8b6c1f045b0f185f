using System.Text.Json.Nodes;
using Broker.Engine.Stores;

namespace Broker.Storage.Definitions;

/// <summary>
/// Definitions log lines for vhost metadata and limits, user limits, topic permissions and runtime
/// parameters (the changes in AccessAndParameterChanges.cs); <see cref="DefinitionChangeJson"/> defers to it.
/// </summary>
internal static class SettingsChangeJson
{
    /// <summary>The line for <paramref name="change"/>, or null when it is none of these changes.</summary>
    public static JsonObject? ToJson(DefinitionChange change) => change switch
    {
        VirtualHostMetadataSet c => new JsonObject
        {
            ["op"] = "vhost.metadata",
            ["name"] = c.Name,
            ["description"] = c.Description,
            ["tags"] = SettingsJson.Tags(c.Tags),
            ["default_queue_type"] = c.DefaultQueueType,
        },
        VirtualHostLimitsSet c => new JsonObject { ["op"] = "vhost.limits", ["vhost"] = c.VirtualHost, ["limits"] = SettingsJson.Limits(c.Limits) },
        UserLimitsSet c => new JsonObject { ["op"] = "user.limits", ["user"] = c.User, ["limits"] = SettingsJson.Limits(c.Limits) },
        TopicPermissionsSet c => new JsonObject
        {
            ["op"] = "topic_permissions.set",
            ["user"] = c.User,
            ["vhost"] = c.VirtualHost,
            ["exchange"] = c.Exchange,
            ["write"] = c.Write,
            ["read"] = c.Read,
        },
        TopicPermissionsCleared c => new JsonObject { ["op"] = "topic_permissions.clear", ["user"] = c.User, ["vhost"] = c.VirtualHost, ["exchange"] = c.Exchange },
        ParameterSet c => new JsonObject
        {
            ["op"] = "parameter.set",
            ["vhost"] = c.VirtualHost,
            ["component"] = c.Component,
            ["name"] = c.Name,
            ["value"] = SettingsJson.Value(c.Value),
        },
        ParameterCleared c => new JsonObject { ["op"] = "parameter.clear", ["vhost"] = c.VirtualHost, ["component"] = c.Component, ["name"] = c.Name },
        GlobalParameterSet c => new JsonObject { ["op"] = "global_parameter.set", ["name"] = c.Name, ["value"] = SettingsJson.Value(c.Value) },
        GlobalParameterCleared c => new JsonObject { ["op"] = "global_parameter.clear", ["name"] = c.Name },
        _ => null,
    };

    /// <summary>The change a line records, or null when its op is none of these.</summary>
    public static DefinitionChange? FromJson(JsonObject json)
    {
        string S(string name) => json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;
        string? Optional(string name) => json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        return S("op") switch
        {
            "vhost.metadata" => new VirtualHostMetadataSet(S("name"), S("description"), SettingsJson.ReadTags(json["tags"]), Optional("default_queue_type")),
            "vhost.limits" => new VirtualHostLimitsSet(S("vhost"), SettingsJson.ReadLimits(json["limits"], out _) ?? Engine.Limits.ResourceLimits.None),
            "user.limits" => new UserLimitsSet(S("user"), SettingsJson.ReadLimits(json["limits"], out _) ?? Engine.Limits.ResourceLimits.None),
            "topic_permissions.set" => new TopicPermissionsSet(S("user"), S("vhost"), S("exchange"), S("write"), S("read")),
            "topic_permissions.clear" => new TopicPermissionsCleared(S("user"), S("vhost"), Optional("exchange")),
            "parameter.set" => new ParameterSet(S("vhost"), S("component"), S("name"), SettingsJson.ValueText(json["value"])),
            "parameter.clear" => new ParameterCleared(S("vhost"), S("component"), S("name")),
            "global_parameter.set" => new GlobalParameterSet(S("name"), SettingsJson.ValueText(json["value"])),
            "global_parameter.clear" => new GlobalParameterCleared(S("name")),
            _ => null,
        };
    }
}
