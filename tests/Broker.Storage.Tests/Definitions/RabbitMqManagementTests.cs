using System.Net;
using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Limits;
using Broker.Engine.Security;
using Broker.Storage.Definitions;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Definitions;

/// <summary>
/// Definitions against RabbitMQ itself, through its management API (BROKER_TEST_MANAGEMENT_URI, e.g.
/// http://guest:guest@127.0.0.1:15672/; each test returns at once when it is not set): our export loads
/// into RabbitMQ with every setting, and RabbitMQ's export loads here. Names are unique per run and
/// everything made in RabbitMQ is deleted afterwards.
/// </summary>
public sealed class RabbitMqManagementTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private StorageUnderTest? _storage;

    public void Dispose()
    {
        _storage?.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Our_export_loads_into_RabbitMQ_with_every_setting()
    {
        using var api = ManagementApi.FromEnvironment();
        if (api is null)
        {
            return;
        }

        var (home, meta, admin, app, global) = ($"defs-{_id}", $"defs-{_id}-meta", $"defs-{_id}-admin", $"defs-{_id}-app", $"defs_{_id}_global");

        // A broker whose defaults are unique too, so its whole export can go to the shared node.
        _storage = StorageUnderTest.Open(_directory.Path, new EngineOptions { DefaultUser = admin, DefaultPassword = "admin-pw", DefaultVirtualHost = home });
        var engine = _storage.Engine;
        var vhost = engine.AddVirtualHost(meta);
        Assert.False(vhost.SetMetadata("made by our broker", ["prod", "eu"], "quorum").IsError);
        Assert.False(vhost.SetLimits(ResourceLimits.Of([new(ResourceLimits.MaxConnections, 100), new(ResourceLimits.MaxQueues, 50)])).IsError);
        engine.Users.AddOrUpdate(app, "app-pw", ["monitoring", "management"]);
        Assert.False(engine.Users.SetLimits(app, ResourceLimits.Of([new(ResourceLimits.MaxChannels, 20), new(ResourceLimits.MaxConnections, 5)])).IsError);
        engine.Users.SetPermissions(app, meta, new Permissions("^app-", ".*", ".*"));
        engine.Users.SetPermissions(admin, meta, Permissions.All);
        Assert.False(engine.Users.SetTopicPermissions(app, meta, "amq.topic", "^orders\\.", "^orders\\..*").IsError);
        engine.Parameters.SetGlobal(global, """{"region":"eu-west","replicas":[1,2,3]}""");
        Assert.False(vhost.DeclareExchange("events", "topic", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        var arguments = new FieldTable { ["x-queue-type"] = "quorum"u8.ToArray(), ["x-delivery-limit"] = 5L };
        Assert.False(vhost.DeclareQueue("orders", passive: false, durable: true, exclusive: false, autoDelete: false, arguments, null).IsError);
        Assert.False(vhost.BindQueue("orders", "events", "orders.#", new FieldTable(), null).IsError);
        Assert.False(vhost.BindExchange("amq.fanout", "events", "#", new FieldTable()).IsError);
        var export = _storage.Definitions.ToJson("3.10.8");

        try
        {
            var (status, body) = await api.SendAsync(HttpMethod.Post, "definitions", export);
            Assert.True(status == HttpStatusCode.NoContent, $"POST /api/definitions: {(int)status} {body}\n{export.ToJsonString()}");

            var theirs = (await api.GetAsync($"vhosts/{ManagementApi.Segment(meta)}"))!;
            Assert.Equal("made by our broker", theirs["description"]!.GetValue<string>());
            Assert.Equal("""["prod","eu"]""", theirs["tags"]!.ToJsonString());
            Assert.Equal("quorum", theirs["default_queue_type"]!.GetValue<string>());
            Assert.Equal("""[{"vhost":"%VH%","value":{"max-connections":100,"max-queues":50}}]""".Replace("%VH%", meta, StringComparison.Ordinal),
                (await api.GetAsync($"vhost-limits/{ManagementApi.Segment(meta)}"))!.ToJsonString());

            var user = (await api.GetAsync($"users/{ManagementApi.Segment(app)}"))!;
            Assert.Equal("""["monitoring","management"]""", user["tags"]!.ToJsonString());
            Assert.Equal("""{"max-channels":20,"max-connections":5}""", user["limits"]!.ToJsonString());
            var (whoami, _) = await api.SendAsync(HttpMethod.Get, "whoami", user: app, password: "app-pw");
            Assert.Equal(HttpStatusCode.OK, whoami);
            var (wrong, _) = await api.SendAsync(HttpMethod.Get, "whoami", user: app, password: "not-it");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong);

            Assert.Equal("^app-", (await api.GetAsync($"permissions/{ManagementApi.Segment(meta)}/{ManagementApi.Segment(app)}"))!["configure"]!.GetValue<string>());
            var topic = (await api.GetAsync($"topic-permissions/{ManagementApi.Segment(meta)}/{ManagementApi.Segment(app)}"))!.AsArray().Single()!;
            Assert.Equal(("amq.topic", "^orders\\.", "^orders\\..*"), (topic["exchange"]!.GetValue<string>(), topic["write"]!.GetValue<string>(), topic["read"]!.GetValue<string>()));
            Assert.Equal("""{"region":"eu-west","replicas":[1,2,3]}""", (await api.GetAsync($"global-parameters/{global}"))!["value"]!.ToJsonString());

            var queue = (await api.GetAsync($"queues/{ManagementApi.Segment(meta)}/orders"))!;
            Assert.Equal("quorum", queue["type"]!.GetValue<string>());
            Assert.Equal(5, queue["arguments"]!["x-delivery-limit"]!.GetValue<int>());
            Assert.Single((await api.GetAsync($"bindings/{ManagementApi.Segment(meta)}/e/events/q/orders"))!.AsArray());
            Assert.Single((await api.GetAsync($"bindings/{ManagementApi.Segment(meta)}/e/events/e/amq.fanout"))!.AsArray());
        }
        finally
        {
            await api.DeleteAsync($"vhosts/{ManagementApi.Segment(home)}");
            await api.DeleteAsync($"vhosts/{ManagementApi.Segment(meta)}");
            await api.DeleteAsync($"users/{ManagementApi.Segment(admin)}");
            await api.DeleteAsync($"users/{ManagementApi.Segment(app)}");
            await api.DeleteAsync($"global-parameters/{global}");
        }
    }

    [Fact]
    public async Task RabbitMQs_export_loads_here_with_every_setting()
    {
        using var api = ManagementApi.FromEnvironment();
        if (api is null)
        {
            return;
        }

        var (vhost, user, global) = ($"defs-{_id}-src", $"defs-{_id}-user", $"defs_{_id}_src");
        var v = ManagementApi.Segment(vhost);
        try
        {
            await api.PutAsync($"vhosts/{v}", new JsonObject { ["description"] = "made by RabbitMQ", ["tags"] = "prod,eu", ["default_queue_type"] = "quorum" });
            await api.PutAsync($"users/{user}", new JsonObject { ["password"] = "user-pw", ["tags"] = "monitoring" });
            await api.PutAsync($"permissions/{v}/{user}", new JsonObject { ["configure"] = "^user-", ["write"] = ".*", ["read"] = ".*" });
            await api.PutAsync($"permissions/{v}/guest", new JsonObject { ["configure"] = ".*", ["write"] = ".*", ["read"] = ".*" });
            await api.PutAsync($"topic-permissions/{v}/{user}", new JsonObject { ["exchange"] = "amq.topic", ["write"] = "^w\\.", ["read"] = "^r\\." });
            await api.PutAsync($"vhost-limits/{v}/max-queues", new JsonObject { ["value"] = 7 });
            await api.PutAsync($"user-limits/{user}/max-channels", new JsonObject { ["value"] = 9 });
            await api.PutAsync($"global-parameters/{global}", new JsonObject { ["value"] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) } });
            await api.PutAsync($"exchanges/{v}/events", new JsonObject { ["type"] = "topic", ["durable"] = true });
            await api.PutAsync($"queues/{v}/jobs", new JsonObject { ["durable"] = true, ["arguments"] = new JsonObject { ["x-queue-type"] = "classic", ["x-max-length"] = 10 } });
            var (bound, text) = await api.SendAsync(HttpMethod.Post, $"bindings/{v}/e/events/q/jobs", new JsonObject { ["routing_key"] = "jobs.#" });
            Assert.True(bound == HttpStatusCode.Created, text);

            // The node's export, cut down to what this test made (the node is shared).
            var export = (await api.GetAsync("definitions"))!.AsObject();
            foreach (var section in (string[])["permissions", "topic_permissions", "parameters", "policies", "queues", "exchanges", "bindings"])
            {
                export[section] = Only(export[section], "vhost", vhost);
            }

            export["users"] = Only(export["users"], "name", user);
            export["vhosts"] = Only(export["vhosts"], "name", vhost);
            export["global_parameters"] = Only(export["global_parameters"], "name", global);

            _storage = StorageUnderTest.Open(_directory.Path, new EngineOptions());
            var engine = _storage.Engine;
            var summary = DefinitionsImport.Apply(engine, export);

            Assert.True(engine.TryGetVirtualHost(vhost, out var imported));
            Assert.Equal(7, imported.Limits.Get(ResourceLimits.MaxQueues));
            Assert.True(engine.Users.TryGet(user, out var importedUser));
            Assert.Equal(["monitoring"], importedUser.Tags);
            Assert.Equal(9, importedUser.Limits.Get(ResourceLimits.MaxChannels));
            Assert.NotNull(engine.Users.Authenticate(user, "user-pw"));
            Assert.Equal("^user-", engine.Users.GetPermissions(user, vhost)!.Configure);
            Assert.Equal([new TopicPermissions(user, vhost, "amq.topic", "^w\\.", "^r\\.")], engine.Users.GetTopicPermissions(user));
            Assert.True(engine.Parameters.TryGetGlobal(global, out var parameter));
            Assert.Equal("""{"nested":[1,"two",null]}""", parameter.Value);
            Assert.Equal([$"global parameter '{global}'"], summary.KeptUnused);
            Assert.True(imported.TryGetExchange("events", out var events));
            Assert.Equal("jobs.#", Assert.Single(events.GetBindings()).RoutingKey);

            // RabbitMQ 3.10's API export has no vhost metadata (its vhost page has description and tags;
            // its PUT /api/vhosts ignores default_queue_type, which only rabbitmqctl and imports set).
            var page = (await api.GetAsync($"vhosts/{v}"))!;
            Assert.Equal("made by RabbitMQ", page["description"]!.GetValue<string>());
            Assert.Equal("undefined", page["default_queue_type"]!.GetValue<string>());
            Assert.Same(Engine.VirtualHosts.VirtualHostMetadata.None, imported.Metadata);

            // One vhost's export (GET /api/definitions/{vhost}) loads into another vhost here.
            engine.AddVirtualHost("copy");
            DefinitionsImport.Apply(engine, (await api.GetAsync($"definitions/{v}"))!.AsObject(), "copy");
            Assert.True(engine.TryGetVirtualHost("copy", out var copy));
            Assert.True(copy.TryGetQueue("jobs", out _));
            Assert.Equal(7, copy.Limits.Get(ResourceLimits.MaxQueues));
        }
        finally
        {
            await api.DeleteAsync($"vhosts/{v}");
            await api.DeleteAsync($"users/{user}");
            await api.DeleteAsync($"global-parameters/{global}");
        }
    }

    private static JsonArray Only(JsonNode? items, string key, string value) =>
        [.. (items as JsonArray ?? []).Where(i => i?[key]?.GetValue<string>() == value).Select(i => i!.DeepClone())];
}
