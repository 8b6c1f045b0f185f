using System.Text.Json.Nodes;
using Broker.Engine.Limits;
using Broker.Engine.Stores;
using Broker.Storage.Definitions;

namespace Broker.Storage.Tests.Definitions;

/// <summary>Vhost metadata and limits, user limits, topic permissions and kept parameters in the definitions model and its JSON.</summary>
public sealed class DefinitionsModelSettingsTests
{
    private static readonly ResourceLimits VhostLimits = ResourceLimits.Of([new("max-connections", 10), new("max-queues", 5)]);
    private static readonly ResourceLimits UserLimits = ResourceLimits.Of([new("max-channels", 7), new("max-connections", 3)]);

    [Fact]
    public void Settings_apply_and_are_replaced_and_cleared()
    {
        var model = Populated();

        Assert.Equal("orders", model.VirtualHostMetadata["/"].Description);
        Assert.Same(VhostLimits, model.VirtualHostLimits["/"]);
        Assert.Same(UserLimits, model.UserLimits["alice"]);
        Assert.Equal(2, model.TopicPermissions.Count);
        Assert.Equal("""{"uri":"amqp://up"}""", model.Parameters[("/", "federation-upstream", "up1")].Value);
        Assert.Equal("\"eu\"", model.GlobalParameters["cluster_name"].Value);

        model.Apply(new VirtualHostLimitsSet("/", ResourceLimits.None));
        model.Apply(new UserLimitsSet("alice", ResourceLimits.None));
        model.Apply(new TopicPermissionsCleared("alice", "/", "amq.topic"));
        model.Apply(new ParameterCleared("/", "federation-upstream", "up1"));
        model.Apply(new GlobalParameterCleared("cluster_name"));

        Assert.Empty(model.VirtualHostLimits);
        Assert.Empty(model.UserLimits);
        Assert.Equal([("alice", "other", "events")], model.TopicPermissions.Keys);
        Assert.Single(model.Parameters);
        Assert.Single(model.GlobalParameters);
        model.Apply(new TopicPermissionsCleared("alice", "other", null));
        Assert.Empty(model.TopicPermissions);
    }

    [Fact]
    public void Deleting_a_vhost_or_a_user_sweeps_their_settings()
    {
        var model = Populated();

        model.Apply(new VirtualHostDeleted("/"));

        Assert.False(model.VirtualHostMetadata.ContainsKey("/"));
        Assert.Empty(model.VirtualHostLimits);
        Assert.Equal([("alice", "other", "events")], model.TopicPermissions.Keys);
        Assert.Equal([("other", "shovel", "s1")], model.Parameters.Keys);

        model.Apply(new UserDeleted("alice"));

        Assert.Empty(model.UserLimits);
        Assert.Empty(model.TopicPermissions);
        Assert.Equal(2, model.GlobalParameters.Count);
    }

    [Fact]
    public void Settings_naming_a_vhost_or_user_the_model_does_not_have_are_ignored()
    {
        // A change that raced the deletion of its vhost or user comes after the deletion in the log.
        var model = new DefinitionsModel();
        model.Apply(new VirtualHostAdded("/"));
        model.Apply(new UserSaved("alice", "h", []));

        model.Apply(new VirtualHostMetadataSet("gone", "d", [], null));
        model.Apply(new VirtualHostLimitsSet("gone", VhostLimits));
        model.Apply(new UserLimitsSet("bob", UserLimits));
        model.Apply(new TopicPermissionsSet("bob", "/", "x", ".*", ".*"));
        model.Apply(new TopicPermissionsSet("alice", "gone", "x", ".*", ".*"));
        model.Apply(new ParameterSet("gone", "shovel", "s", "{}"));

        Assert.Empty(model.VirtualHostMetadata);
        Assert.Empty(model.VirtualHostLimits);
        Assert.Empty(model.UserLimits);
        Assert.Empty(model.TopicPermissions);
        Assert.Empty(model.Parameters);
    }

    [Fact]
    public void ToJson_writes_the_settings_where_RabbitMQ_writes_and_reads_them()
    {
        var json = Populated().ToJson("3.10.8");

        var alice = Single(json, "users", "name", "alice");
        Assert.Equal("""{"max-channels":7,"max-connections":3}""", alice["limits"]!.ToJsonString());
        Assert.Equal("rabbit_password_hashing_sha512", alice["hashing_algorithm"]!.GetValue<string>());
        Assert.Equal("{}", Single(json, "users", "name", "bob")["limits"]!.ToJsonString());

        // Top level for later RabbitMQ versions, "metadata" for 3.10 (which reads default_queue_type only there).
        var root = Single(json, "vhosts", "name", "/");
        Assert.Equal(
            """{"name":"/","description":"orders","tags":["prod","eu"],"default_queue_type":"quorum","metadata":{"description":"orders","tags":["prod","eu"],"default_queue_type":"quorum"}}""",
            root.ToJsonString());
        Assert.Equal("""{"name":"other"}""", Single(json, "vhosts", "name", "other").ToJsonString());

        Assert.Equal(
            """[{"user":"alice","vhost":"/","exchange":"amq.topic","write":"^a","read":"^b"},{"user":"alice","vhost":"other","exchange":"events","write":"","read":".*"}]""",
            json["topic_permissions"]!.ToJsonString());
        Assert.Equal(
            """[{"value":{"max-connections":10,"max-queues":5},"vhost":"/","component":"vhost-limits","name":"limits"},"""
            + """{"value":{"uri":"amqp://up"},"vhost":"/","component":"federation-upstream","name":"up1"},"""
            + """{"value":[1,2.5,null,"x"],"vhost":"other","component":"shovel","name":"s1"}]""",
            json["parameters"]!.ToJsonString());
        Assert.Equal("""[{"name":"cluster_name","value":"eu"},{"name":"internal_cluster_id","value":{"id":null}}]""", json["global_parameters"]!.ToJsonString());
    }

    [Fact]
    public void ToJsonAndFromJson_RoundTripTheSettings()
    {
        var model = Populated();

        var text = model.ToJson("1.0").ToJsonString();
        var read = DefinitionsModel.FromJson((JsonObject)JsonNode.Parse(text)!);

        AssertSameSettings(model, read);
        Assert.Equal(text, read.ToJson("1.0").ToJsonString());
    }

    [Fact]
    public void OperatorPolicies_AreParametersInTheFileButPoliciesInTheModel()
    {
        var model = Populated();
        model.Apply(new OperatorPolicySet("/", "cap", "^jobs$", "queues", 0, DefinitionsModelTests.Args(("max-length", 5L))));

        var json = model.ToJson("3.10.8");
        var read = DefinitionsModel.FromJson((JsonObject)JsonNode.Parse(json.ToJsonString())!);

        Assert.Equal(
            ["vhost-limits", "federation-upstream", "shovel", "operator_policy"],
            json["parameters"]!.AsArray().Select(p => p!["component"]!.GetValue<string>()));
        Assert.Equal("cap", Assert.Single(read.OperatorPolicies.Values).Name);
        Assert.DoesNotContain(read.Parameters.Keys, key => key.Component == "operator_policy");
        AssertSameSettings(model, read);
    }

    [Fact]
    public void FromJson_ReadsVhostMetadataWhereverRabbitMqPutsIt()
    {
        const string file = """
            {
              "vhosts": [
                { "name": "api-3.10" },
                { "name": "ctl-3.10", "limits": [["max-queues", 5]], "metadata": { "description": "d1", "tags": ["a"], "default_queue_type": "stream" } },
                { "name": "later", "description": "d2", "tags": ["b", "c"], "default_queue_type": "quorum", "metadata": { "description": "d2", "tags": ["b", "c"], "default_queue_type": "quorum" } },
                { "name": "comma", "description": "d3", "tags": "x, y", "default_queue_type": "undefined" },
                { "name": "ctl-empty", "metadata": { "description": "", "tags": "" } }
              ],
              "parameters": [ { "value": [], "vhost": "api-3.10", "component": "vhost-limits", "name": "limits" } ]
            }
            """;

        var model = DefinitionsModel.FromJson((JsonObject)JsonNode.Parse(file)!);

        Assert.False(model.VirtualHostMetadata.ContainsKey("api-3.10"));
        Assert.Equal(("d1", "stream"), (model.VirtualHostMetadata["ctl-3.10"].Description, model.VirtualHostMetadata["ctl-3.10"].DefaultQueueType));
        Assert.Equal(["b", "c"], model.VirtualHostMetadata["later"].Tags);
        Assert.Equal(["x", "y"], model.VirtualHostMetadata["comma"].Tags);
        Assert.Null(model.VirtualHostMetadata["comma"].DefaultQueueType);
        Assert.Empty(model.VirtualHostMetadata["ctl-empty"].Tags);

        // RabbitMQ 3.10 exports an emptied vhost-limits parameter as []; limits on a vhost entry are not read (nor by RabbitMQ).
        Assert.Empty(model.VirtualHostLimits);
    }

    [Fact]
    public void ToVirtualHostJson_IsRabbitMqsExportOfOneVhost()
    {
        var model = Populated();
        model.Apply(new QueueDeclared("/", "jobs", false, new()));
        model.Apply(new QueueDeclared("other", "audit", false, new()));
        model.Apply(new ExchangeDeclared("/", "orders", "topic", false, false, new()));
        model.Apply(new BindingAdded("/", "orders", "jobs", true, "k", new()));

        var json = model.ToVirtualHostJson("3.10.8", "/");

        Assert.Equal(["rabbit_version", "parameters", "policies", "queues", "exchanges", "bindings"], json.Select(p => p.Key));
        Assert.Equal(["vhost-limits", "federation-upstream"], json["parameters"]!.AsArray().Select(p => p!["component"]!.GetValue<string>()));
        Assert.All(json["parameters"]!.AsArray(), p => Assert.Equal("/", p!["vhost"]!.GetValue<string>()));
        Assert.Equal("""[{"name":"jobs","durable":true,"auto_delete":false,"arguments":{}}]""", json["queues"]!.ToJsonString());
        Assert.Equal("orders", json["exchanges"]![0]!["name"]!.GetValue<string>());
        Assert.False(json["bindings"]![0]!.AsObject().ContainsKey("vhost"));
    }

    internal static DefinitionsModel Populated()
    {
        var model = new DefinitionsModel();
        foreach (var change in PopulatingChanges())
        {
            model.Apply(change);
        }

        return model;
    }

    /// <summary>Two vhosts and two users with every kind of setting.</summary>
    internal static List<DefinitionChange> PopulatingChanges() =>
    [
        new VirtualHostAdded("/"),
        new VirtualHostAdded("other"),
        new UserSaved("alice", "hash-a", ["administrator"], "rabbit_password_hashing_sha512"),
        new UserSaved("bob", "hash-b", []),
        new VirtualHostMetadataSet("/", "orders", ["prod", "eu"], "quorum"),
        new VirtualHostLimitsSet("/", VhostLimits),
        new UserLimitsSet("alice", UserLimits),
        new TopicPermissionsSet("alice", "/", "amq.topic", "^a", "^b"),
        new TopicPermissionsSet("alice", "other", "events", "", ".*"),
        new ParameterSet("/", "federation-upstream", "up1", """{"uri":"amqp://up"}"""),
        new ParameterSet("other", "shovel", "s1", """[1,2.5,null,"x"]"""),
        new GlobalParameterSet("cluster_name", "\"eu\""),
        new GlobalParameterSet("internal_cluster_id", """{"id":null}"""),
    ];

    internal static void AssertSameSettings(DefinitionsModel expected, DefinitionsModel actual)
    {
        DefinitionsModelTests.AssertSameModel(expected, actual);
        Assert.Equal(expected.Users.Values.Select(u => u.HashingAlgorithm).Order(), actual.Users.Values.Select(u => u.HashingAlgorithm).Order());
        Assert.Equal(expected.VirtualHostMetadata.Keys.Order(), actual.VirtualHostMetadata.Keys.Order());
        foreach (var (name, metadata) in expected.VirtualHostMetadata)
        {
            var other = actual.VirtualHostMetadata[name];
            Assert.Equal((metadata.Description, metadata.DefaultQueueType), (other.Description, other.DefaultQueueType));
            Assert.Equal(metadata.Tags, other.Tags);
        }

        Assert.Equal(Limits(expected.VirtualHostLimits), Limits(actual.VirtualHostLimits));
        Assert.Equal(Limits(expected.UserLimits), Limits(actual.UserLimits));
        Assert.Equal(expected.TopicPermissions.OrderBy(p => p.Key), actual.TopicPermissions.OrderBy(p => p.Key));
        Assert.Equal(expected.Parameters.OrderBy(p => p.Key), actual.Parameters.OrderBy(p => p.Key));
        Assert.Equal(expected.GlobalParameters.OrderBy(p => p.Key), actual.GlobalParameters.OrderBy(p => p.Key));
    }

    private static List<string> Limits(Dictionary<string, ResourceLimits> limits) =>
        [.. limits.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key} {l.Value}")];

    private static JsonObject Single(JsonObject json, string section, string key, string value) =>
        json[section]!.AsArray().Single(n => n![key]!.GetValue<string>() == value)!.AsObject();
}
