using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine.Stores;
using Broker.Storage.Definitions;

namespace Broker.Storage.Tests.Definitions;

public sealed class DefinitionsModelTests
{
    private static readonly FieldTable NoArguments = new();

    [Fact]
    public void NewModel_IsEmpty()
    {
        var model = new DefinitionsModel();

        Assert.True(model.IsEmpty);
        model.Apply(new VirtualHostAdded("/"));
        Assert.False(model.IsEmpty);
    }

    [Fact]
    public void VirtualHosts_AreAddedOnceAndDeleted()
    {
        var model = new DefinitionsModel();
        model.Apply(new VirtualHostAdded("/"));
        model.Apply(new VirtualHostAdded("other"));
        model.Apply(new VirtualHostAdded("/"));

        Assert.Equal(["/", "other"], model.VirtualHosts);

        model.Apply(new VirtualHostDeleted("/"));
        Assert.Equal(["other"], model.VirtualHosts);
    }

    [Fact]
    public void DeletingAVirtualHost_RemovesEverythingInIt()
    {
        var model = Populated();

        model.Apply(new VirtualHostDeleted("/"));

        Assert.Equal(["other"], model.VirtualHosts);
        Assert.All(model.Exchanges.Keys, k => Assert.Equal("other", k.VirtualHost));
        Assert.All(model.Queues.Keys, k => Assert.Equal("other", k.VirtualHost));
        Assert.All(model.Permissions.Keys, k => Assert.Equal("other", k.VirtualHost));
        Assert.All(model.Bindings, b => Assert.Equal("other", b.VirtualHost));
        Assert.Single(model.Exchanges);
        Assert.Single(model.Queues);
        Assert.Single(model.Bindings);
        Assert.Equal(2, model.Users.Count);
    }

    [Fact]
    public void Users_AreSavedReplacedAndDeletedWithTheirPermissions()
    {
        var model = new DefinitionsModel();
        model.Apply(new UserSaved("alice", "hash-1", ["administrator"]));
        model.Apply(new UserSaved("bob", "hash-2", []));
        model.Apply(new PermissionsSet("alice", "/", ".*", ".*", ".*"));
        model.Apply(new PermissionsSet("alice", "other", "", "", ""));
        model.Apply(new PermissionsSet("bob", "/", "b", "b", "b"));

        model.Apply(new UserSaved("alice", "hash-3", ["monitoring"]));
        Assert.Equal("hash-3", model.Users["alice"].PasswordHash);
        Assert.Equal(["monitoring"], model.Users["alice"].Tags);
        Assert.Equal(3, model.Permissions.Count);

        model.Apply(new UserDeleted("alice"));

        Assert.Equal(["bob"], model.Users.Keys);
        Assert.Equal([("bob", "/")], model.Permissions.Keys);
    }

    [Fact]
    public void Permissions_AreSetReplacedAndCleared()
    {
        var model = new DefinitionsModel();
        model.Apply(new PermissionsSet("alice", "/", "c", "w", "r"));
        model.Apply(new PermissionsSet("alice", "/", "c2", "w2", "r2"));

        var permissions = Assert.Single(model.Permissions.Values);
        Assert.Equal(("c2", "w2", "r2"), (permissions.Configure, permissions.Write, permissions.Read));

        model.Apply(new PermissionsCleared("alice", "other"));
        Assert.Single(model.Permissions);
        model.Apply(new PermissionsCleared("alice", "/"));
        Assert.Empty(model.Permissions);
    }

    [Fact]
    public void Exchanges_AreDeclaredReplacedAndDeleted()
    {
        var model = new DefinitionsModel();
        model.Apply(new ExchangeDeclared("/", "x", "direct", false, false, NoArguments));
        model.Apply(new ExchangeDeclared("/", "x", "topic", true, true, Args(("alternate-exchange", "ae"))));
        model.Apply(new ExchangeDeclared("other", "x", "fanout", false, false, NoArguments));

        Assert.Equal(2, model.Exchanges.Count);
        var replaced = model.Exchanges[("/", "x")];
        Assert.Equal(("topic", true, true), (replaced.Type, replaced.AutoDelete, replaced.Internal));
        Assert.Equal("ae", replaced.Arguments.GetString("alternate-exchange"));

        model.Apply(new ExchangeDeleted("/", "x"));
        Assert.Equal([("other", "x")], model.Exchanges.Keys);
    }

    [Fact]
    public void DeletingAnExchange_RemovesItsBindingsBothWays()
    {
        var model = new DefinitionsModel();
        model.Apply(new BindingAdded("/", "x", "q", true, "a", NoArguments));
        model.Apply(new BindingAdded("/", "x", "y", false, "b", NoArguments));
        model.Apply(new BindingAdded("/", "y", "x", false, "c", NoArguments));
        model.Apply(new BindingAdded("/", "y", "q", true, "d", NoArguments));

        // A queue that happens to share the exchange's name keeps its bindings.
        model.Apply(new BindingAdded("/", "y", "x", true, "e", NoArguments));
        model.Apply(new BindingAdded("other", "x", "q", true, "f", NoArguments));

        model.Apply(new ExchangeDeleted("/", "x"));

        Assert.Equal(["d", "e", "f"], model.Bindings.Select(b => b.RoutingKey));
    }

    [Fact]
    public void Queues_AreDeclaredReplacedAndDeletedWithTheirBindings()
    {
        var model = new DefinitionsModel();
        model.Apply(new QueueDeclared("/", "q", false, NoArguments));
        model.Apply(new QueueDeclared("/", "q", true, Args(("x-max-length", 10L))));
        model.Apply(new BindingAdded("/", "x", "q", true, "a", NoArguments));
        model.Apply(new BindingAdded("/", "x", "r", true, "b", NoArguments));

        // An exchange that happens to share the queue's name keeps its bindings.
        model.Apply(new BindingAdded("/", "x", "q", false, "c", NoArguments));

        var replaced = Assert.Single(model.Queues.Values);
        Assert.True(replaced.AutoDelete);
        Assert.Equal(10L, replaced.Arguments["x-max-length"]);

        model.Apply(new QueueDeleted("/", "q"));

        Assert.Empty(model.Queues);
        Assert.Equal(["b", "c"], model.Bindings.Select(b => b.RoutingKey));
    }

    [Fact]
    public void Bindings_AreAddedOnceAndRemovedByEqualArguments()
    {
        var model = new DefinitionsModel();
        model.Apply(new BindingAdded("/", "x", "q", true, "k", Args(("x-match", "all"))));
        model.Apply(new BindingAdded("/", "x", "q", true, "k", Args(("x-match", "all"))));
        model.Apply(new BindingAdded("/", "x", "q", true, "k", Args(("x-match", "any"))));
        model.Apply(new BindingAdded("/", "x", "q", false, "k", Args(("x-match", "all"))));
        model.Apply(new BindingAdded("/", "x", "q", true, "k2", Args(("x-match", "all"))));
        Assert.Equal(4, model.Bindings.Count);

        model.Apply(new BindingRemoved("/", "x", "q", true, "k", Args(("x-match", "other"))));
        Assert.Equal(4, model.Bindings.Count);

        model.Apply(new BindingRemoved("/", "x", "q", true, "k", Args(("x-match", "any"))));

        Assert.Equal(3, model.Bindings.Count);
        Assert.DoesNotContain(model.Bindings, b => b.Arguments.GetString("x-match") == "any");
    }

    [Fact]
    public void ToJson_IsRabbitMqsDefinitionsFormat()
    {
        var json = Populated().ToJson("3.13.0");

        Assert.Equal("3.13.0", json["rabbit_version"]!.GetValue<string>());
        foreach (var key in new[] { "users", "vhosts", "permissions", "topic_permissions", "parameters", "global_parameters", "policies", "queues", "exchanges", "bindings" })
        {
            Assert.IsType<JsonArray>(json[key]);
        }

        var alice = json["users"]!.AsArray().Single(u => u!["name"]!.GetValue<string>() == "alice")!;
        Assert.Equal("rabbit_password_hashing_sha256", alice["hashing_algorithm"]!.GetValue<string>());
        Assert.Equal(["administrator"], alice["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var queue = json["queues"]!.AsArray().First()!;
        Assert.True(queue["durable"]!.GetValue<bool>());
        var binding = json["bindings"]!.AsArray().Single(b => b!["destination_type"]!.GetValue<string>() == "exchange")!;
        Assert.Equal("e2e", binding["routing_key"]!.GetValue<string>());
    }

    [Fact]
    public void ToJsonAndFromJson_RoundTripThroughText()
    {
        var model = Populated();

        var text = model.ToJson("1.0").ToJsonString();
        var read = DefinitionsModel.FromJson((JsonObject)JsonNode.Parse(text)!);

        AssertSameModel(model, read);
        Assert.Equal(text, read.ToJson("1.0").ToJsonString());
    }

    [Fact]
    public void ToJsonAndFromJson_RoundTripInMemory()
    {
        var model = Populated();

        var read = DefinitionsModel.FromJson(model.ToJson("1.0"));

        AssertSameModel(model, read);
    }

    [Fact]
    public void FromJson_ReadsARabbitMqExport()
    {
        const string export = """
            {
              "rabbit_version": "3.12.4",
              "users": [
                { "name": "admin", "password_hash": "abc", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": "administrator, management", "limits": {} },
                { "name": "app", "password_hash": "def", "tags": ["monitoring"] }
              ],
              "vhosts": [ { "name": "/" }, { "name": "prod" } ],
              "permissions": [ { "user": "app", "vhost": "prod", "configure": "^app\\.", "write": ".*", "read": ".*" } ],
              "queues": [ { "name": "jobs", "vhost": "prod", "durable": true, "auto_delete": false, "arguments": { "x-queue-type": "classic", "x-max-length": 1000 } } ],
              "exchanges": [ { "name": "events", "vhost": "prod", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {} } ],
              "bindings": [
                { "source": "events", "vhost": "prod", "destination": "jobs", "destination_type": "queue", "routing_key": "job.#", "arguments": {} },
                { "source": "events", "vhost": "prod", "destination": "audit", "destination_type": "exchange", "routing_key": "#", "arguments": {} }
              ]
            }
            """;

        var model = DefinitionsModel.FromJson((JsonObject)JsonNode.Parse(export)!);

        Assert.Equal(["/", "prod"], model.VirtualHosts);
        Assert.Equal(["administrator", "management"], model.Users["admin"].Tags);
        Assert.Equal(["monitoring"], model.Users["app"].Tags);
        Assert.Equal("^app\\.", model.Permissions[("app", "prod")].Configure);
        Assert.True(model.Queues[("prod", "jobs")].Arguments.ContainsKey("x-max-length"));
        Assert.Equal("classic", model.Queues[("prod", "jobs")].Arguments.GetString("x-queue-type"));
        Assert.Equal("topic", model.Exchanges[("prod", "events")].Type);
        Assert.Equal([true, false], model.Bindings.Select(b => b.ToQueue));
    }

    [Fact]
    public void FromJson_ReadsIntegerArgumentsAsLongs()
    {
        var json = JsonNode.Parse("""{ "queues": [ { "name": "q", "vhost": "/", "arguments": { "x-max-length": 1000, "x-message-ttl": 60000 } } ] }""");

        var arguments = DefinitionsModel.FromJson((JsonObject)json!).Queues[("/", "q")].Arguments;

        Assert.Equal(1000L, Assert.IsType<long>(arguments["x-max-length"]));
        Assert.Equal(60000L, Assert.IsType<long>(arguments["x-message-ttl"]));
    }

    [Fact]
    public void FromJson_ToleratesMissingSections()
    {
        var model = DefinitionsModel.FromJson(new JsonObject { ["vhosts"] = new JsonArray(new JsonObject { ["name"] = "/" }) });

        Assert.Equal(["/"], model.VirtualHosts);
        Assert.Empty(model.Users);
        Assert.Empty(model.Bindings);
    }

    /// <summary>Two vhosts with users, permissions, exchanges, queues and bindings of every kind.</summary>
    internal static DefinitionsModel Populated()
    {
        var model = new DefinitionsModel();
        foreach (var change in PopulatingChanges())
        {
            model.Apply(change);
        }

        return model;
    }

    internal static List<DefinitionChange> PopulatingChanges() =>
    [
        new VirtualHostAdded("/"),
        new VirtualHostAdded("other"),
        new UserSaved("alice", "hash-a", ["administrator"]),
        new UserSaved("bob", "hash-b", ["monitoring", "management"]),
        new PermissionsSet("alice", "/", ".*", ".*", ".*"),
        new PermissionsSet("bob", "other", "^bob", "", ".*"),
        new ExchangeDeclared("/", "orders", "topic", false, false, Args(("alternate-exchange", "unrouted"))),
        new ExchangeDeclared("/", "unrouted", "fanout", false, true, NoArguments),
        new ExchangeDeclared("other", "events", "headers", true, false, NoArguments),
        new QueueDeclared("/", "jobs", false, Args(("x-queue-mode", "lazy"), ("x-dead-letter-exchange", "unrouted"), ("x-single-active-consumer", true))),
        new QueueDeclared("other", "audit", true, NoArguments),
        new BindingAdded("/", "orders", "jobs", true, "order.*", NoArguments),
        new BindingAdded("/", "orders", "unrouted", false, "e2e", NoArguments),
        new BindingAdded("other", "events", "audit", true, "", Args(("x-match", "all"), ("kind", "a"))),
    ];

    internal static FieldTable Args(params (string Key, object? Value)[] entries)
    {
        var table = new FieldTable();
        foreach (var (key, value) in entries)
        {
            table[key] = value is string text ? System.Text.Encoding.UTF8.GetBytes(text) : value;
        }

        return table;
    }

    internal static void AssertSameModel(DefinitionsModel expected, DefinitionsModel actual)
    {
        Assert.Equal(expected.VirtualHosts, actual.VirtualHosts);
        Assert.Equal(expected.Users.Keys.Order(StringComparer.Ordinal), actual.Users.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, user) in expected.Users)
        {
            Assert.Equal(user.PasswordHash, actual.Users[name].PasswordHash);
            Assert.Equal(user.Tags, actual.Users[name].Tags);
        }

        Assert.Equal(expected.Permissions.OrderBy(p => p.Key), actual.Permissions.OrderBy(p => p.Key));
        Assert.Equal(expected.Exchanges.OrderBy(p => p.Key), actual.Exchanges.OrderBy(p => p.Key));
        Assert.Equal(expected.Queues.OrderBy(p => p.Key), actual.Queues.OrderBy(p => p.Key));
        Assert.Equal(expected.Bindings, actual.Bindings);
    }
}
