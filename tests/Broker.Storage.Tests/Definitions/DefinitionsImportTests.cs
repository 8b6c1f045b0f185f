using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine.Limits;
using Broker.Engine.Security;
using Broker.Storage.Definitions;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Definitions;

/// <summary>
/// DefinitionsImport.Apply, as --load-definitions and POST /api/definitions call it: every kind RabbitMQ
/// writes is imported, kept or reported, and a file with anything wrong changes nothing.
/// </summary>
public sealed class DefinitionsImportTests
{
    private const string Sha512OfPw512 = "AQIDBC7ycYuFch8KXPKvr7VeqRVbYxPSprRvfyRAwF7dUlG5QkPMvK8D/53FksiTH4ERz3rNdHcpAziWiUd4pn0fWTI=";

    /// <summary>A file with one of everything; the bad-file cases below add one broken object to it.</summary>
    private const string Everything = $$"""
        {
          "rabbit_version": "3.10.8",
          "users": [
            { "name": "app", "password": "s3cret", "tags": "management,monitoring", "limits": { "max-connections": 3 } },
            { "name": "ops", "password_hash": "{{Sha512OfPw512}}", "hashing_algorithm": "rabbit_password_hashing_sha512", "tags": ["administrator"], "limits": {} }
          ],
          "vhosts": [
            { "name": "orders", "description": "orders", "tags": ["prod"], "default_queue_type": "quorum", "metadata": { "description": "orders", "tags": ["prod"], "default_queue_type": "quorum" } },
            { "name": "plain" }
          ],
          "permissions": [ { "user": "app", "vhost": "orders", "configure": "^app-", "write": ".*", "read": ".*" } ],
          "topic_permissions": [ { "user": "app", "vhost": "orders", "exchange": "amq.topic", "write": "^orders\\.", "read": "" } ],
          "parameters": [
            { "value": { "max-connections": 10, "max-queues": 5 }, "vhost": "orders", "component": "vhost-limits", "name": "limits" },
            { "value": { "uri": "amqp://upstream", "expires": 3600000 }, "vhost": "orders", "component": "federation-upstream", "name": "up1" },
            { "value": { "src-uri": "amqp://", "src-queue": "a", "dest-uri": "amqp://", "dest-queue": "b" }, "vhost": "plain", "component": "shovel", "name": "move" }
          ],
          "global_parameters": [
            { "name": "cluster_name", "value": "rabbit@elsewhere" },
            { "name": "internal_cluster_id", "value": "rabbitmq-cluster-id-abc" }
          ],
          "policies": [ { "vhost": "orders", "name": "ttl", "pattern": ".*", "apply-to": "queues", "definition": { "message-ttl": 1000 }, "priority": 0 } ],
          "queues": [
            { "name": "jobs", "vhost": "orders", "durable": true, "auto_delete": false, "arguments": { "x-queue-type": "quorum" } },
            { "name": "amq.legacy", "vhost": "orders", "durable": true, "auto_delete": false, "arguments": {} }
          ],
          "exchanges": [
            { "name": "events", "vhost": "orders", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {} },
            { "name": "amq.topic", "vhost": "orders", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {} }
          ],
          "bindings": [ { "source": "events", "vhost": "orders", "destination": "jobs", "destination_type": "queue", "routing_key": "orders.#", "arguments": {} } ]
        }
        """;

    [Fact]
    public void Every_kind_RabbitMQ_writes_is_imported_kept_or_reported()
    {
        var (engine, _) = RecordingDefinitionStore.Engine();

        var summary = DefinitionsImport.Apply(engine, EngineState.Parse(Everything));

        Assert.True(engine.TryGetVirtualHost("orders", out var orders));
        Assert.Equal(("orders", "quorum"), (orders.Metadata.Description, orders.Metadata.DefaultQueueType));
        Assert.Equal(["prod"], orders.Metadata.Tags);
        Assert.Equal("{max-connections: 10, max-queues: 5}", orders.Limits.ToString());
        Assert.True(engine.TryGetVirtualHost("plain", out var plain));
        Assert.Same(Engine.VirtualHosts.VirtualHostMetadata.None, plain.Metadata);

        Assert.True(engine.Users.TryGet("app", out var app));
        Assert.Equal(["management", "monitoring"], app.Tags);
        Assert.Equal(3, app.Limits.Get(ResourceLimits.MaxConnections));
        Assert.NotNull(engine.Users.Authenticate("app", "s3cret"));
        Assert.NotNull(engine.Users.Authenticate("ops", "pw512"));
        Assert.Equal("^app-", engine.Users.GetPermissions("app", "orders")!.Configure);
        Assert.Equal([new TopicPermissions("app", "orders", "amq.topic", "^orders\\.", "")], engine.Users.GetTopicPermissions());

        Assert.Equal(
            ["orders federation-upstream up1 {\"uri\":\"amqp://upstream\",\"expires\":3600000}", "plain shovel move {\"src-uri\":\"amqp://\",\"src-queue\":\"a\",\"dest-uri\":\"amqp://\",\"dest-queue\":\"b\"}"],
            engine.Parameters.List().Select(p => $"{p.VirtualHost} {p.Component} {p.Name} {p.Value}"));
        Assert.Equal(["cluster_name \"rabbit@elsewhere\"", "internal_cluster_id \"rabbitmq-cluster-id-abc\""], engine.Parameters.ListGlobal().Select(p => $"{p.Name} {p.Value}"));

        Assert.True(orders.TryGetQueue("jobs", out var jobs));
        Assert.Equal("quorum", jobs.Type.Name);
        Assert.False(orders.TryGetQueue("amq.legacy", out _));
        Assert.True(orders.TryGetExchange("events", out var events));
        Assert.Single(events.GetBindings());

        Assert.Equal((2, 2, 1, 1, 3, 4, 1, 1, 1), (summary.VirtualHosts, summary.Users, summary.Permissions, summary.TopicPermissions, summary.Limits, summary.Parameters, summary.Exchanges, summary.Queues, summary.Bindings));
        Assert.Equal(
            ["parameter federation-upstream 'up1' in vhost 'orders'", "parameter shovel 'move' in vhost 'plain'", "global parameter 'cluster_name'", "global parameter 'internal_cluster_id'"],
            summary.KeptUnused);
        Assert.Equal(["exchange 'amq.topic' in vhost 'orders'", "queue 'amq.legacy' in vhost 'orders'"], summary.Skipped);
        Assert.Equal((1, 0), (summary.Policies, summary.OperatorPolicies));
        Assert.Equal("ttl", jobs.Policy?.Name);
        Assert.Equal(string.Empty, summary.Ignored);
    }

    [Fact]
    public void Every_change_of_an_import_is_recorded_and_a_second_import_changes_nothing()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        var file = EngineState.Parse(Everything.Replace("\"password\": \"s3cret\"", "\"password_hash\": \"\"", StringComparison.Ordinal));

        DefinitionsImport.Apply(engine, file);
        var after = EngineState.Describe(engine);
        var model = new DefinitionsModel();
        foreach (var change in store.Changes)
        {
            model.Apply(change);
        }

        DefinitionsImport.Apply(engine, file);

        Assert.Equal(after, EngineState.Describe(engine));
        Assert.Equal("{max-connections: 10, max-queues: 5}", model.VirtualHostLimits["orders"].ToString());
        Assert.Equal("{max-connections: 3}", model.UserLimits["app"].ToString());
        Assert.Single(model.TopicPermissions);
        Assert.Equal(2, model.Parameters.Count);
        Assert.Equal(2, model.GlobalParameters.Count);
        Assert.Equal("quorum", model.VirtualHostMetadata["orders"].DefaultQueueType);
        Assert.Equal(PasswordHash.Sha512, model.Users["ops"].HashingAlgorithm);
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        // section, the broken object appended to it, what the error names
        { "vhosts", """{ "name": "x", "metadata": { "default_queue_type": "foo" } }""", "vhost 'x' has default_queue_type 'foo'" },
        { "vhosts", """{ "description": "no name" }""", "vhosts[2] has no \"name\"" },
        { "vhosts", "\"just a name\"", "vhosts[2] is not an object" },
        { "users", """{ "name": "old", "password_hash": "x", "hashing_algorithm": "rabbit_password_hashing_bcrypt" }""", "user 'old' has a password hashed with rabbit_password_hashing_bcrypt" },
        { "users", """{ "name": "u", "password_hash": "", "limits": { "max-connections": 1.5 } }""", "limits of user 'u': max-connections should be a number, actually was 1.5" },
        { "users", """{ "name": "u", "password_hash": "", "limits": { "max-queues": 1 } }""", "limits of user 'u': Unrecognised terms [max-queues] in user-limits" },
        { "users", """{ "name": "u", "password_hash": "", "limits": { "max-channels": "10" } }""", "max-channels should be a number" },
        { "permissions", """{ "user": "app", "vhost": "plain", "configure": "(", "write": "", "read": "" }""", "permissions of user 'app' in vhost 'plain'" },
        { "permissions", """{ "user": "nobody", "vhost": "plain", "configure": "", "write": "", "read": "" }""", "user 'nobody' does not exist" },
        { "permissions", """{ "user": "app", "vhost": "nowhere", "configure": "", "write": "", "read": "" }""", "vhost 'nowhere', which does not exist" },
        { "topic_permissions", """{ "user": "nobody", "vhost": "orders", "exchange": "amq.topic", "write": "", "read": "" }""", "topic permissions of user 'nobody' for exchange 'amq.topic': user 'nobody' does not exist" },
        { "topic_permissions", """{ "user": "app", "vhost": "orders", "exchange": "amq.topic", "write": ".*", "read": "[" }""", "invalid read regular expression '['" },
        { "topic_permissions", """{ "user": "app", "vhost": "orders", "write": ".*", "read": ".*" }""", "topic_permissions[1] has no \"exchange\"" },
        { "parameters", """{ "value": { "max-channels": 1 }, "vhost": "plain", "component": "vhost-limits", "name": "limits" }""", "limits of vhost 'plain': Unrecognised terms [max-channels] in limits" },
        { "parameters", """{ "value": { "max-queues": 1 }, "vhost": "plain", "component": "vhost-limits", "name": "other" }""", "vhost limits are named \"limits\"" },
        { "parameters", """{ "value": [["max-queues", 1]], "vhost": "plain", "component": "vhost-limits", "name": "limits" }""", "limits should be an object" },
        { "parameters", """{ "vhost": "plain", "component": "shovel", "name": "s" }""", "parameter shovel 's' in vhost 'plain' has no \"value\"" },
        { "parameters", """{ "value": {}, "vhost": "nowhere", "component": "shovel", "name": "s" }""", "vhost 'nowhere', which does not exist" },
        { "global_parameters", """{ "name": "g" }""", "global parameter 'g' has no \"value\"" },
        { "exchanges", """{ "name": "e", "vhost": "plain", "type": "no-such-type", "durable": true }""", "exchange 'e' in vhost 'plain'" },
        { "exchanges", """{ "name": "ae", "vhost": "plain", "type": "direct", "arguments": { "alternate-exchange": 5 } }""", "exchange 'ae' in vhost 'plain'" },
        { "queues", """{ "name": "q", "vhost": "plain", "durable": true, "arguments": { "x-max-length": "many" } }""", "queue 'q' in vhost 'plain'" },
        { "queues", """{ "name": "q", "vhost": "plain", "durable": false, "arguments": { "x-queue-type": "quorum" } }""", "queue 'q' in vhost 'plain'" },
        { "queues", """{ "name": "q", "vhost": "plain", "durable": true, "arguments": { "x-queue-type": "quorum", "x-max-priority": 10 } }""", "queue 'q' in vhost 'plain'" },
        { "bindings", """{ "source": "events", "vhost": "orders", "destination": "missing", "destination_type": "queue", "routing_key": "k", "arguments": {} }""", "binding of 'events' to queue 'missing' with key 'k' in vhost 'orders'" },
        { "bindings", """{ "source": "missing", "vhost": "orders", "destination": "jobs", "destination_type": "queue", "routing_key": "k", "arguments": {} }""", "binding of 'missing' to queue 'jobs'" },
        { "bindings", """{ "source": "amq.headers", "vhost": "orders", "destination": "jobs", "destination_type": "queue", "routing_key": "", "arguments": { "x-match": "sometimes" } }""", "binding of 'amq.headers' to queue 'jobs'" },
        { "bindings", """{ "source": "events", "vhost": "orders", "destination": "jobs", "destination_type": "stream", "routing_key": "k" }""", "destination_type 'stream'" },
        { "policies", """{ "vhost": "plain", "name": "bad", "pattern": "(", "definition": { "max-length": 1 } }""", "policy 'bad' in vhost 'plain': Validation failed" },
        { "policies", """{ "vhost": "nowhere", "name": "p", "pattern": ".*", "definition": { "max-length": 1 } }""", "vhost 'nowhere', which does not exist" },
        { "parameters", """{ "value": { "pattern": ".*", "definition": { "dead-letter-exchange": "dlx" }, "priority": 0, "apply-to": "queues" }, "vhost": "plain", "component": "operator_policy", "name": "op" }""", "operator policy 'op' in vhost 'plain'" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_file_with_anything_wrong_names_it_and_changes_nothing(string section, string broken, string expected)
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        var before = EngineState.Describe(engine);
        var file = EngineState.Parse(Everything);
        file[section] ??= new JsonArray();
        file[section]!.AsArray().Add(JsonNode.Parse(broken));

        var error = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(engine, file));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("definitions: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, EngineState.Describe(engine));
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void A_section_RabbitMQ_does_not_write_is_named_as_ignored()
    {
        var (engine, _) = RecordingDefinitionStore.Engine();
        var file = EngineState.Parse(Everything);
        file["federation_links"] = new JsonArray(new JsonObject());

        var summary = DefinitionsImport.Apply(engine, file);

        Assert.Equal("section \"federation_links\"", summary.Ignored);
    }

    [Fact]
    public void A_section_that_is_not_an_array_changes_nothing()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        var file = EngineState.Parse(Everything);
        file["bindings"] = new JsonObject();

        var error = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(engine, file));

        Assert.Contains("\"bindings\" is not an array", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void Bindings_to_existing_objects_are_checked_against_them_as_they_are()
    {
        // An existing headers exchange "h" is left as it is although the file says direct, so the
        // file's binding with a bad x-match is refused as the exchange would refuse it.
        var (engine, store) = RecordingDefinitionStore.Engine();
        Assert.True(engine.TryGetVirtualHost("/", out var root));
        Assert.False(root.DeclareExchange("h", "headers", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Assert.False(root.DeclareQueue("existing", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), null).IsError);
        store.Clear();
        var before = EngineState.Describe(engine);
        const string file = """
            {
              "queues": [ { "name": "new", "vhost": "/", "durable": true, "arguments": {} } ],
              "exchanges": [ { "name": "h", "vhost": "/", "type": "direct", "durable": true, "arguments": {} } ],
              "bindings": [
                { "source": "h", "vhost": "/", "destination": "new", "destination_type": "queue", "routing_key": "", "arguments": { "x-match": "all" } },
                { "source": "h", "vhost": "/", "destination": "existing", "destination_type": "queue", "routing_key": "", "arguments": { "x-match": "bogus" } }
              ]
            }
            """;

        var error = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(engine, EngineState.Parse(file)));

        Assert.Contains("binding of 'h' to queue 'existing'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, EngineState.Describe(engine));
        Assert.Empty(store.Changes);

        var fixedFile = EngineState.Parse(file.Replace("bogus", "any", StringComparison.Ordinal));
        var summary = DefinitionsImport.Apply(engine, fixedFile);

        Assert.Equal((0, 1, 2), (summary.Exchanges, summary.Queues, summary.Bindings));
        Assert.True(root.TryGetExchange("h", out var h));
        Assert.Equal("headers", h.Type);
        Assert.Equal(2, h.GetBindings().Count);
    }

    [Fact]
    public void A_binding_to_an_existing_exclusive_queue_is_refused_and_changes_nothing()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        Assert.True(engine.TryGetVirtualHost("/", out var root));
        Assert.False(root.DeclareQueue("mine", passive: false, durable: false, exclusive: true, autoDelete: false, new FieldTable(), new TestConnection()).IsError);
        store.Clear();
        var before = EngineState.Describe(engine);
        const string file = """
            {
              "vhosts": [ { "name": "/" }, { "name": "new" } ],
              "bindings": [ { "source": "amq.direct", "vhost": "/", "destination": "mine", "destination_type": "queue", "routing_key": "k", "arguments": {} } ]
            }
            """;

        var error = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(engine, EngineState.Parse(file)));

        Assert.Contains("exclusive", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, EngineState.Describe(engine));
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void A_vhosts_definitions_go_to_that_vhost_and_bring_no_users_or_vhosts()
    {
        var (engine, _) = RecordingDefinitionStore.Engine();
        engine.AddVirtualHost("target");
        var usersBefore = engine.Users.Users.Count;

        var summary = DefinitionsImport.Apply(engine, EngineState.Parse(Everything), "target");

        Assert.Equal((0, 0, 0, 0), (summary.VirtualHosts, summary.Users, summary.Permissions, summary.TopicPermissions));
        Assert.False(engine.TryGetVirtualHost("orders", out _));
        Assert.Equal(usersBefore, engine.Users.Users.Count);
        Assert.Empty(engine.Parameters.ListGlobal());
        Assert.True(engine.TryGetVirtualHost("target", out var target));
        Assert.True(target.TryGetQueue("jobs", out _));
        Assert.Single(target.TryGetExchange("events", out var events) ? events.GetBindings() : []);
        Assert.Equal("{max-connections: 10, max-queues: 5}", target.Limits.ToString());
        Assert.Equal(["target federation-upstream", "target shovel"], engine.Parameters.List().Select(p => $"{p.VirtualHost} {p.Component}"));
        Assert.Equal("ttl", Assert.Single(target.GetPolicies(operatorPolicy: false)).Name);
        Assert.Equal("2 users (a vhost's definitions take none), 2 vhosts (a vhost's definitions take none), 1 permissions (a vhost's definitions take none), "
            + "1 topic_permissions (a vhost's definitions take none), 2 global_parameters (a vhost's definitions take none)", summary.Ignored);

        var missing = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(engine, EngineState.Parse(Everything), "absent"));
        Assert.Contains("vhost 'absent' does not exist", missing.Message, StringComparison.Ordinal);
    }
}
