using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine.Stores;

namespace Broker.Storage.Definitions;

/// <summary>
/// Everything that survives a restart apart from messages, as RabbitMQ's definitions JSON lays it out
/// (users, vhosts, permissions, policies, queues, exchanges, bindings; vhost metadata and limits, user
/// limits, topic permissions and runtime parameters in DefinitionsModel.Settings.cs), so a snapshot can
/// be exported and imported as RabbitMQ's. Changes apply in the order they happened.
/// </summary>
public sealed partial class DefinitionsModel
{
    public Dictionary<string, UserSaved> Users { get; } = new(StringComparer.Ordinal);

    public List<string> VirtualHosts { get; } = [];

    public Dictionary<(string User, string VirtualHost), PermissionsSet> Permissions { get; } = [];

    public Dictionary<(string VirtualHost, string Name), ExchangeDeclared> Exchanges { get; } = [];

    public Dictionary<(string VirtualHost, string Name), QueueDeclared> Queues { get; } = [];

    public List<BindingAdded> Bindings { get; } = [];

    public Dictionary<(string VirtualHost, string Name), PolicySet> Policies { get; } = [];

    public Dictionary<(string VirtualHost, string Name), OperatorPolicySet> OperatorPolicies { get; } = [];

    public bool IsEmpty => Users.Count == 0 && VirtualHosts.Count == 0;

    public void Apply(DefinitionChange change)
    {
        switch (change)
        {
            case VirtualHostAdded added:
                if (!VirtualHosts.Contains(added.Name))
                {
                    VirtualHosts.Add(added.Name);
                }

                break;
            case VirtualHostDeleted deleted:
                VirtualHosts.Remove(deleted.Name);
                RemoveWhere(Exchanges, key => key.VirtualHost == deleted.Name);
                RemoveWhere(Queues, key => key.VirtualHost == deleted.Name);
                RemoveWhere(Permissions, key => key.VirtualHost == deleted.Name);
                Bindings.RemoveAll(b => b.VirtualHost == deleted.Name);
                RemoveWhere(Policies, key => key.VirtualHost == deleted.Name);
                RemoveWhere(OperatorPolicies, key => key.VirtualHost == deleted.Name);
                ForgetVirtualHostSettings(deleted.Name);
                break;
            case UserSaved user:
                Users[user.Name] = user;
                break;
            case UserDeleted deleted:
                Users.Remove(deleted.Name);
                RemoveWhere(Permissions, key => key.User == deleted.Name);
                ForgetUserSettings(deleted.Name);
                break;
            case PermissionsSet permissions:
                Permissions[(permissions.User, permissions.VirtualHost)] = permissions;
                break;
            case PermissionsCleared cleared:
                Permissions.Remove((cleared.User, cleared.VirtualHost));
                break;
            case ExchangeDeclared exchange:
                Exchanges[(exchange.VirtualHost, exchange.Name)] = exchange;
                break;
            case ExchangeDeleted deleted:
                Exchanges.Remove((deleted.VirtualHost, deleted.Name));
                Bindings.RemoveAll(b => b.VirtualHost == deleted.VirtualHost
                    && (b.Source == deleted.Name || (!b.ToQueue && b.Destination == deleted.Name)));
                break;
            case QueueDeclared queue:
                Queues[(queue.VirtualHost, queue.Name)] = queue;
                break;
            case QueueDeleted deleted:
                Queues.Remove((deleted.VirtualHost, deleted.Name));
                Bindings.RemoveAll(b => b.VirtualHost == deleted.VirtualHost && b.ToQueue && b.Destination == deleted.Name);
                break;
            case BindingAdded binding:
                if (IndexOf(binding.VirtualHost, binding.Source, binding.Destination, binding.ToQueue, binding.RoutingKey, binding.Arguments) < 0)
                {
                    Bindings.Add(binding);
                }

                break;
            case BindingRemoved removed:
                var at = IndexOf(removed.VirtualHost, removed.Source, removed.Destination, removed.ToQueue, removed.RoutingKey, removed.Arguments);
                if (at >= 0)
                {
                    Bindings.RemoveAt(at);
                }

                break;
            case PolicySet policy:
                Policies[(policy.VirtualHost, policy.Name)] = policy;
                break;
            case PolicyCleared cleared:
                Policies.Remove((cleared.VirtualHost, cleared.Name));
                break;
            case OperatorPolicySet policy:
                OperatorPolicies[(policy.VirtualHost, policy.Name)] = policy;
                break;
            case OperatorPolicyCleared cleared:
                OperatorPolicies.Remove((cleared.VirtualHost, cleared.Name));
                break;
            default:
                ApplySettings(change);
                break;
        }
    }

    private int IndexOf(string virtualHost, string source, string destination, bool toQueue, string routingKey, FieldTable arguments)
    {
        for (var i = 0; i < Bindings.Count; i++)
        {
            var b = Bindings[i];
            if (b.VirtualHost == virtualHost && b.Source == source && b.Destination == destination && b.ToQueue == toQueue
                && b.RoutingKey == routingKey && b.Arguments.EquivalentTo(arguments))
            {
                return i;
            }
        }

        return -1;
    }

    private static void RemoveWhere<TKey, TValue>(Dictionary<TKey, TValue> dictionary, Func<TKey, bool> predicate)
        where TKey : notnull
    {
        foreach (var key in dictionary.Keys.ToList())
        {
            if (predicate(key))
            {
                dictionary.Remove(key);
            }
        }
    }

    /// <summary>The model as RabbitMQ's definitions JSON.</summary>
    public JsonObject ToJson(string productVersion)
    {
        var users = new JsonArray();
        foreach (var user in Users.Values.OrderBy(u => u.Name, StringComparer.Ordinal))
        {
            users.Add(new JsonObject
            {
                ["name"] = user.Name,
                ["password_hash"] = user.PasswordHash,
                ["hashing_algorithm"] = user.HashingAlgorithm,
                ["tags"] = new JsonArray([.. user.Tags.Select(t => (JsonNode?)JsonValue.Create(t))]),
                ["limits"] = UserLimitsJson(user.Name),
            });
        }

        var vhosts = new JsonArray();
        foreach (var name in VirtualHosts)
        {
            vhosts.Add(VirtualHostJson(name));
        }

        var permissions = new JsonArray();
        foreach (var p in Permissions.Values)
        {
            permissions.Add(new JsonObject
            {
                ["user"] = p.User,
                ["vhost"] = p.VirtualHost,
                ["configure"] = p.Configure,
                ["write"] = p.Write,
                ["read"] = p.Read,
            });
        }

        var queues = new JsonArray();
        foreach (var q in Queues.Values)
        {
            queues.Add(new JsonObject
            {
                ["name"] = q.Name,
                ["vhost"] = q.VirtualHost,
                ["durable"] = true,
                ["auto_delete"] = q.AutoDelete,
                ["arguments"] = FieldTableJson.ToJson(q.Arguments),
            });
        }

        var exchanges = new JsonArray();
        foreach (var x in Exchanges.Values)
        {
            exchanges.Add(new JsonObject
            {
                ["name"] = x.Name,
                ["vhost"] = x.VirtualHost,
                ["type"] = x.Type,
                ["durable"] = true,
                ["auto_delete"] = x.AutoDelete,
                ["internal"] = x.Internal,
                ["arguments"] = FieldTableJson.ToJson(x.Arguments),
            });
        }

        var bindings = new JsonArray();
        foreach (var b in Bindings)
        {
            bindings.Add(new JsonObject
            {
                ["source"] = b.Source,
                ["vhost"] = b.VirtualHost,
                ["destination"] = b.Destination,
                ["destination_type"] = b.ToQueue ? "queue" : "exchange",
                ["routing_key"] = b.RoutingKey,
                ["arguments"] = FieldTableJson.ToJson(b.Arguments),
            });
        }

        return new JsonObject
        {
            ["rabbit_version"] = productVersion,
            ["rabbitmq_version"] = productVersion,
            ["product_name"] = "Broker",
            ["users"] = users,
            ["vhosts"] = vhosts,
            ["permissions"] = permissions,
            ["topic_permissions"] = TopicPermissionsJson(),
            ["parameters"] = ParametersJson(),
            ["global_parameters"] = GlobalParametersJson(),
            ["policies"] = PoliciesJson(),
            ["queues"] = queues,
            ["exchanges"] = exchanges,
            ["bindings"] = bindings,
        };
    }

    /// <summary>Reads RabbitMQ's definitions JSON (what <see cref="ToJson"/> writes, or RabbitMQ's export).</summary>
    public static DefinitionsModel FromJson(JsonObject json)
    {
        var model = new DefinitionsModel();
        foreach (var node in Array(json, "vhosts"))
        {
            model.Apply(new VirtualHostAdded(Text(node, "name")));
        }

        foreach (var node in Array(json, "users"))
        {
            var tags = node?["tags"] switch
            {
                JsonArray array => array.Select(t => t?.GetValue<string>() ?? string.Empty).Where(t => t.Length > 0).ToList(),
                JsonValue value when value.TryGetValue<string>(out var text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                _ => [],
            };
            var algorithm = Text(node, "hashing_algorithm");
            model.Apply(new UserSaved(Text(node, "name"), Text(node, "password_hash"), tags, algorithm.Length > 0 ? algorithm : Engine.Security.PasswordHash.Sha256));
        }

        foreach (var node in Array(json, "permissions"))
        {
            model.Apply(new PermissionsSet(Text(node, "user"), Text(node, "vhost"), Text(node, "configure"), Text(node, "write"), Text(node, "read")));
        }

        model.ReadSettings(json);

        foreach (var node in Array(json, "exchanges"))
        {
            model.Apply(new ExchangeDeclared(
                Text(node, "vhost"), Text(node, "name"), Text(node, "type"), Flag(node, "auto_delete"), Flag(node, "internal"), FieldTableJson.FromJson(node?["arguments"])));
        }

        foreach (var node in Array(json, "queues"))
        {
            model.Apply(new QueueDeclared(Text(node, "vhost"), Text(node, "name"), Flag(node, "auto_delete"), FieldTableJson.FromJson(node?["arguments"])));
        }

        foreach (var node in Array(json, "bindings"))
        {
            model.Apply(new BindingAdded(
                Text(node, "vhost"), Text(node, "source"), Text(node, "destination"), Text(node, "destination_type") != "exchange",
                Text(node, "routing_key"), FieldTableJson.FromJson(node?["arguments"])));
        }

        ReadPolicies(json, model);
        return model;
    }

    /// <summary>"policies" as RabbitMQ exports them: vhost, name, pattern, apply-to, definition, priority.</summary>
    private JsonArray PoliciesJson()
    {
        var policies = new JsonArray();
        foreach (var p in Policies.Values.OrderBy(p => p.VirtualHost, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            policies.Add(new JsonObject
            {
                ["vhost"] = p.VirtualHost,
                ["name"] = p.Name,
                ["pattern"] = p.Pattern,
                ["apply-to"] = p.ApplyTo,
                ["definition"] = FieldTableJson.ToJson(p.Definition),
                ["priority"] = p.Priority,
            });
        }

        return policies;
    }

    /// <summary>Operator policies as RabbitMQ exports them: runtime parameters of component "operator_policy".</summary>
    private JsonArray OperatorPolicyParameters()
    {
        var parameters = new JsonArray();
        foreach (var p in OperatorPolicies.Values.OrderBy(p => p.VirtualHost, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            parameters.Add(new JsonObject
            {
                ["value"] = new JsonObject
                {
                    ["pattern"] = p.Pattern,
                    ["definition"] = FieldTableJson.ToJson(p.Definition),
                    ["priority"] = p.Priority,
                    ["apply-to"] = p.ApplyTo,
                },
                ["vhost"] = p.VirtualHost,
                ["component"] = OperatorPolicyComponent,
                ["name"] = p.Name,
            });
        }

        return parameters;
    }

    /// <summary>The runtime-parameter component RabbitMQ keeps operator policies under.</summary>
    public const string OperatorPolicyComponent = "operator_policy";

    private static void ReadPolicies(JsonObject json, DefinitionsModel model)
    {
        foreach (var node in Array(json, "policies"))
        {
            model.Apply(new PolicySet(
                Text(node, "vhost"), Text(node, "name"), Text(node, "pattern"), ApplyTo(node), Priority(node), FieldTableJson.FromJson(node?["definition"])));
        }

        foreach (var node in Array(json, "parameters"))
        {
            if (Text(node, "component") == OperatorPolicyComponent && node?["value"] is JsonObject value)
            {
                model.Apply(new OperatorPolicySet(
                    Text(node, "vhost"), Text(node, "name"), Text(value, "pattern"), ApplyTo(value), Priority(value), FieldTableJson.FromJson(value["definition"])));
            }
        }
    }

    private static string ApplyTo(JsonNode? node) => node?["apply-to"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : "all";

    /// <summary>An integer priority; a fractional one (RabbitMQ takes any number) rounded down, as the engine keeps it.</summary>
    private static int Priority(JsonNode? node) => node?["priority"] is JsonValue value
        ? value.TryGetValue<int>(out var priority) ? priority : value.TryGetValue<double>(out var number) ? (int)Math.Clamp(Math.Floor(number), int.MinValue, int.MaxValue) : 0
        : 0;

    private static IEnumerable<JsonNode?> Array(JsonObject json, string name) => json[name] as JsonArray ?? [];

    private static string Text(JsonNode? node, string name) => node?[name]?.GetValue<string>() ?? string.Empty;

    private static bool Flag(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}
