using System.Text.Json.Nodes;
using Broker.Engine.Stores;

namespace Broker.Storage.Definitions;

/// <summary>One line of the definitions log per change: {"op": ..., fields}.</summary>
internal static class DefinitionChangeJson
{
    public static JsonObject ToJson(DefinitionChange change) => change switch
    {
        VirtualHostAdded c => new JsonObject { ["op"] = "vhost.add", ["name"] = c.Name },
        VirtualHostDeleted c => new JsonObject { ["op"] = "vhost.delete", ["name"] = c.Name },
        UserSaved c => new JsonObject
        {
            ["op"] = "user.save",
            ["name"] = c.Name,
            ["password_hash"] = c.PasswordHash,
            ["tags"] = new JsonArray([.. c.Tags.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["hashing_algorithm"] = c.HashingAlgorithm,
        },
        UserDeleted c => new JsonObject { ["op"] = "user.delete", ["name"] = c.Name },
        PermissionsSet c => new JsonObject
        {
            ["op"] = "permissions.set",
            ["user"] = c.User,
            ["vhost"] = c.VirtualHost,
            ["configure"] = c.Configure,
            ["write"] = c.Write,
            ["read"] = c.Read,
        },
        PermissionsCleared c => new JsonObject { ["op"] = "permissions.clear", ["user"] = c.User, ["vhost"] = c.VirtualHost },
        ExchangeDeclared c => new JsonObject
        {
            ["op"] = "exchange.declare",
            ["vhost"] = c.VirtualHost,
            ["name"] = c.Name,
            ["type"] = c.Type,
            ["auto_delete"] = c.AutoDelete,
            ["internal"] = c.Internal,
            ["arguments"] = FieldTableJson.ToJson(c.Arguments),
        },
        ExchangeDeleted c => new JsonObject { ["op"] = "exchange.delete", ["vhost"] = c.VirtualHost, ["name"] = c.Name },
        QueueDeclared c => new JsonObject
        {
            ["op"] = "queue.declare",
            ["vhost"] = c.VirtualHost,
            ["name"] = c.Name,
            ["auto_delete"] = c.AutoDelete,
            ["arguments"] = FieldTableJson.ToJson(c.Arguments),
        },
        QueueDeleted c => new JsonObject { ["op"] = "queue.delete", ["vhost"] = c.VirtualHost, ["name"] = c.Name },
        BindingAdded c => Binding("binding.add", c.VirtualHost, c.Source, c.Destination, c.ToQueue, c.RoutingKey, c.Arguments),
        BindingRemoved c => Binding("binding.remove", c.VirtualHost, c.Source, c.Destination, c.ToQueue, c.RoutingKey, c.Arguments),
        PolicySet c => Policy("policy.set", c.VirtualHost, c.Name, c.Pattern, c.ApplyTo, c.Priority, c.Definition),
        PolicyCleared c => new JsonObject { ["op"] = "policy.clear", ["vhost"] = c.VirtualHost, ["name"] = c.Name },
        OperatorPolicySet c => Policy("operator_policy.set", c.VirtualHost, c.Name, c.Pattern, c.ApplyTo, c.Priority, c.Definition),
        OperatorPolicyCleared c => new JsonObject { ["op"] = "operator_policy.clear", ["vhost"] = c.VirtualHost, ["name"] = c.Name },
        _ => SettingsChangeJson.ToJson(change) ?? throw new ArgumentException($"unknown definition change {change.GetType().Name}", nameof(change)),
    };

    public static DefinitionChange? FromJson(JsonObject json)
    {
        string S(string name) => json[name]?.GetValue<string>() ?? string.Empty;
        bool B(string name) => json[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
        int I(string name) => json[name] is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;
        return S("op") switch
        {
            "vhost.add" => new VirtualHostAdded(S("name")),
            "vhost.delete" => new VirtualHostDeleted(S("name")),
            "user.save" => new UserSaved(
                S("name"), S("password_hash"), json["tags"] is JsonArray tags ? [.. tags.Select(t => t?.GetValue<string>() ?? string.Empty)] : [],
                json["hashing_algorithm"] is null ? Engine.Security.PasswordHash.Sha256 : S("hashing_algorithm")),
            "user.delete" => new UserDeleted(S("name")),
            "permissions.set" => new PermissionsSet(S("user"), S("vhost"), S("configure"), S("write"), S("read")),
            "permissions.clear" => new PermissionsCleared(S("user"), S("vhost")),
            "exchange.declare" => new ExchangeDeclared(S("vhost"), S("name"), S("type"), B("auto_delete"), B("internal"), FieldTableJson.FromJson(json["arguments"])),
            "exchange.delete" => new ExchangeDeleted(S("vhost"), S("name")),
            "queue.declare" => new QueueDeclared(S("vhost"), S("name"), B("auto_delete"), FieldTableJson.FromJson(json["arguments"])),
            "queue.delete" => new QueueDeleted(S("vhost"), S("name")),
            "binding.add" => new BindingAdded(S("vhost"), S("source"), S("destination"), S("destination_type") != "exchange", S("routing_key"), FieldTableJson.FromJson(json["arguments"])),
            "binding.remove" => new BindingRemoved(S("vhost"), S("source"), S("destination"), S("destination_type") != "exchange", S("routing_key"), FieldTableJson.FromJson(json["arguments"])),
            "policy.set" => new PolicySet(S("vhost"), S("name"), S("pattern"), S("apply-to"), I("priority"), FieldTableJson.FromJson(json["definition"])),
            "policy.clear" => new PolicyCleared(S("vhost"), S("name")),
            "operator_policy.set" => new OperatorPolicySet(S("vhost"), S("name"), S("pattern"), S("apply-to"), I("priority"), FieldTableJson.FromJson(json["definition"])),
            "operator_policy.clear" => new OperatorPolicyCleared(S("vhost"), S("name")),
            _ => SettingsChangeJson.FromJson(json),
        };
    }

    private static JsonObject Binding(string op, string virtualHost, string source, string destination, bool toQueue, string routingKey, Broker.DataModel.Encoding.FieldTable arguments) => new()
    {
        ["op"] = op,
        ["vhost"] = virtualHost,
        ["source"] = source,
        ["destination"] = destination,
        ["destination_type"] = toQueue ? "queue" : "exchange",
        ["routing_key"] = routingKey,
        ["arguments"] = FieldTableJson.ToJson(arguments),
    };

    private static JsonObject Policy(string op, string virtualHost, string name, string pattern, string applyTo, int priority, Broker.DataModel.Encoding.FieldTable definition) => new()
    {
        ["op"] = op,
        ["vhost"] = virtualHost,
        ["name"] = name,
        ["pattern"] = pattern,
        ["apply-to"] = applyTo,
        ["definition"] = FieldTableJson.ToJson(definition),
        ["priority"] = priority,
    };
}
