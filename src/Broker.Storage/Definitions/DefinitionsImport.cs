using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.Errors;
using Broker.Engine.Security;
using Broker.Engine.Stores;

namespace Broker.Storage.Definitions;

/// <summary>What an import added or changed.</summary>
public readonly record struct ImportSummary(int VirtualHosts, int Users, int Permissions, int Exchanges, int Queues, int Bindings, string Ignored)
{
    /// <summary>Policies set (added or replaced).</summary>
    public int Policies { get; init; }

    /// <summary>Operator policies set (parameters of component operator_policy).</summary>
    public int OperatorPolicies { get; init; }
}

/// <summary>
/// Imports a definitions file at start-up, as RabbitMQ's <c>load_definitions</c> does: RabbitMQ's JSON
/// (what <c>rabbitmqctl export_definitions</c> and the management UI write, and what our
/// definitions.json holds). Vhosts, users, permissions and policies are created or overwritten; exchanges,
/// queues and bindings are declared unless they exist, so an import on every start is harmless.
/// Anything the broker would refuse stops the start with a message naming the object.
/// </summary>
public static class DefinitionsImport
{
    private const string Sha256 = "rabbit_password_hashing_sha256";

    public static JsonObject Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"definitions file {path}: not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"definitions file {path}: {ex.Message}", ex);
        }
    }

    public static ImportSummary Apply(BrokerEngine engine, JsonObject json)
    {
        var vhosts = 0;
        foreach (var node in Items(json, "vhosts"))
        {
            engine.AddVirtualHost(Required(node, "name", "vhost"));
            vhosts++;
        }

        var users = 0;
        foreach (var node in Items(json, "users"))
        {
            var name = Required(node, "name", "user");
            var user = engine.Users.Restore(name, PasswordHashOf(node, name), Tags(node));
            engine.Definitions.Persist(new UserSaved(user.Name, user.PasswordHash, user.Tags));
            users++;
        }

        var permissions = 0;
        foreach (var node in Items(json, "permissions"))
        {
            var user = Required(node, "user", "permission");
            var vhost = ExistingVirtualHost(engine, node, $"permissions of user '{user}'").Name;
            if (!engine.Users.TryGet(user, out _))
            {
                throw new InvalidDataException($"definitions: permissions for user '{user}', who does not exist");
            }

            var (configure, write, read) = (Text(node, "configure"), Text(node, "write"), Text(node, "read"));
            engine.Users.SetPermissions(user, vhost, new Permissions(configure, write, read));
            engine.Definitions.Persist(new PermissionsSet(user, vhost, configure, write, read));
            permissions++;
        }

        // As RabbitMQ's import: policies before queues and exchanges, which are declared under them.
        var (policies, operatorPolicies) = ImportPolicies(engine, json);

        var exchanges = 0;
        foreach (var node in Items(json, "exchanges"))
        {
            var name = Required(node, "name", "exchange");
            var vhost = ExistingVirtualHost(engine, node, $"exchange '{name}'");
            if (name.Length == 0 || name.StartsWith("amq.", StringComparison.Ordinal) || vhost.TryGetExchange(name, out _))
            {
                continue;
            }

            var declared = vhost.DeclareExchange(
                name, Required(node, "type", $"exchange '{name}'"), passive: false, Flag(node, "durable", true), Flag(node, "auto_delete", false), Flag(node, "internal", false),
                FieldTableJson.FromJson(node?["arguments"]));
            Check(declared.Error, $"exchange '{name}' in vhost '{vhost.Name}'");
            exchanges++;
        }

        var queues = 0;
        foreach (var node in Items(json, "queues"))
        {
            var name = Required(node, "name", "queue");
            var vhost = ExistingVirtualHost(engine, node, $"queue '{name}'");
            if (vhost.TryGetQueue(name, out _))
            {
                continue;
            }

            var declared = vhost.DeclareQueue(
                name, passive: false, Flag(node, "durable", true), exclusive: false, Flag(node, "auto_delete", false), FieldTableJson.FromJson(node?["arguments"]), connection: null);
            Check(declared.Error, $"queue '{name}' in vhost '{vhost.Name}'");
            queues++;
        }

        var bindings = 0;
        foreach (var node in Items(json, "bindings"))
        {
            var (source, destination, routingKey) = (Text(node, "source"), Required(node, "destination", "binding"), Text(node, "routing_key"));
            var vhost = ExistingVirtualHost(engine, node, $"binding of '{source}' to '{destination}'");
            var arguments = FieldTableJson.FromJson(node?["arguments"]);
            var error = Text(node, "destination_type") == "exchange"
                ? vhost.BindExchange(destination, source, routingKey, arguments)
                : vhost.BindQueue(destination, source, routingKey, arguments, connection: null);
            Check(error, $"binding of '{source}' to '{destination}' with key '{routingKey}' in vhost '{vhost.Name}'");
            bindings++;
        }

        // Kinds the broker has no equivalent for yet: said in the log rather than silently dropped.
        var ignored = new List<string>();
        foreach (var kind in (string[])["parameters", "topic_permissions"])
        {
            var count = Items(json, kind).Count(node => !IsOperatorPolicy(node));
            if (count > 0)
            {
                ignored.Add($"{count} {kind}");
            }
        }

        return new ImportSummary(vhosts, users, permissions, exchanges, queues, bindings, string.Join(", ", ignored))
        {
            Policies = policies,
            OperatorPolicies = operatorPolicies,
        };
    }

    /// <summary>
    /// "policies", and "parameters" of component operator_policy (where RabbitMQ exports operator
    /// policies), set as rabbit_policy:set does: validated with RabbitMQ's texts, applied to what exists.
    /// </summary>
    private static (int Policies, int OperatorPolicies) ImportPolicies(BrokerEngine engine, JsonObject json)
    {
        var policies = 0;
        foreach (var node in Items(json, "policies"))
        {
            ImportPolicy(engine, node, node, operatorPolicy: false);
            policies++;
        }

        var operatorPolicies = 0;
        foreach (var node in Items(json, "parameters"))
        {
            if (IsOperatorPolicy(node))
            {
                ImportPolicy(engine, node, node?["value"], operatorPolicy: true);
                operatorPolicies++;
            }
        }

        return (policies, operatorPolicies);
    }

    private static void ImportPolicy(BrokerEngine engine, JsonNode? node, JsonNode? value, bool operatorPolicy)
    {
        var kind = operatorPolicy ? "operator policy" : "policy";
        var name = Required(node, "name", kind);
        var vhost = ExistingVirtualHost(engine, node, $"{kind} '{name}'");
        var error = Engine.Policies.PolicyValidation.TryCreate(
            vhost.Name, name, FieldTableJson.ValueFromJson(value?["pattern"]), FieldTableJson.ValueFromJson(value?["definition"]),
            value is JsonObject fields && fields.ContainsKey("priority") ? FieldTableJson.ValueFromJson(fields["priority"]) : 0L,
            value is JsonObject withApplyTo && withApplyTo.ContainsKey("apply-to") ? FieldTableJson.ValueFromJson(withApplyTo["apply-to"]) : "all",
            operatorPolicy, out var policy) ?? vhost.SetPolicy(policy!, operatorPolicy);
        if (error is not null)
        {
            throw new InvalidDataException($"definitions: {kind} '{name}' in vhost '{vhost.Name}': {error.Trim()}");
        }
    }

    private static bool IsOperatorPolicy(JsonNode? node) => Text(node, "component") == DefinitionsModel.OperatorPolicyComponent;

    /// <summary>A stored hash in RabbitMQ's default scheme, or a plain password to hash (as RabbitMQ accepts).</summary>
    private static string PasswordHashOf(JsonNode? node, string user)
    {
        if (node?["password"] is JsonValue password && password.TryGetValue<string>(out var plain))
        {
            return PasswordHash.Compute(plain);
        }

        var algorithm = Text(node, "hashing_algorithm");
        if (algorithm.Length > 0 && algorithm != Sha256)
        {
            throw new InvalidDataException(
                $"definitions: user '{user}' has a password hashed with {algorithm}; only {Sha256} (RabbitMQ's default) is supported: give a \"password\" instead");
        }

        return Text(node, "password_hash");
    }

    private static List<string> Tags(JsonNode? node) => node?["tags"] switch
    {
        JsonArray array => [.. array.Select(t => t is JsonValue value && value.TryGetValue<string>(out var tag) ? tag : string.Empty).Where(t => t.Length > 0)],
        JsonValue value when value.TryGetValue<string>(out var text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        _ => [],
    };

    private static Engine.VirtualHosts.VirtualHost ExistingVirtualHost(BrokerEngine engine, JsonNode? node, string what)
    {
        var name = Required(node, "vhost", what);
        return engine.TryGetVirtualHost(name, out var vhost)
            ? vhost
            : throw new InvalidDataException($"definitions: {what} is in vhost '{name}', which does not exist (list it under \"vhosts\")");
    }

    private static void Check(EngineError error, string what)
    {
        if (error.IsError)
        {
            throw new InvalidDataException($"definitions: {what}: {error.Text}");
        }
    }

    private static IEnumerable<JsonNode?> Items(JsonObject json, string name) => json[name] as JsonArray ?? [];

    private static string Text(JsonNode? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;

    private static string Required(JsonNode? node, string name, string what) =>
        node?[name] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new InvalidDataException($"definitions: a {what} without \"{name}\"");

    private static bool Flag(JsonNode? node, string name, bool absent) =>
        node?[name] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : absent;
}
