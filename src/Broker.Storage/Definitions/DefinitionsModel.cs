using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine.Stores;

namespace Broker.Storage.Definitions;

/// <summary>
/// Everything that survives a restart apart from messages, as RabbitMQ's definitions JSON lays it out
/// (users, vhosts, permissions, queues, exchanges, bindings; vhost metadata and limits, user limits,
/// topic permissions and runtime parameters in DefinitionsModel.Settings.cs), so a snapshot can be
/// exported and imported as RabbitMQ's. Changes apply in the order they happened.
/// </summary>
public sealed partial class DefinitionsModel
{
    public Dictionary<string, UserSaved> Users { get; } = new(StringComparer.Ordinal);

    public List<string> VirtualHosts { get; } = [];

    public Dictionary<(string User, string VirtualHost), PermissionsSet> Permissions { get; } = [];

    public Dictionary<(string VirtualHost, string Name), ExchangeDeclared> Exchanges { get; } = [];

    public Dictionary<(string VirtualHost, string Name), QueueDeclared> Queues { get; } = [];

    public List<BindingAdded> Bindings { get; } = [];

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
            ["policies"] = new JsonArray(),
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

        return model;
    }

    private static IEnumerable<JsonNode?> Array(JsonObject json, string name) => json[name] as JsonArray ?? [];

    private static string Text(JsonNode? node, string name) => node?[name]?.GetValue<string>() ?? string.Empty;

    private static bool Flag(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}
