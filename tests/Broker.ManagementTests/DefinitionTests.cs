using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>/api/definitions: export what was declared, import a file, refuse a bad one without half-applying it, and the per-vhost forms.</summary>
public sealed class DefinitionTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private static IEnumerable<JsonNode> Where(JsonNode definitions, string kind, string key, string value) =>
        definitions[kind]!.AsArray().Where(item => item![key]?.GetValue<string>() == value).Select(item => item!);

    [Fact]
    public async Task Export_has_the_users_vhosts_permissions_and_durable_topology_declared()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "management");
        await GrantAsync(virtualHost, user, "^c", "^w", "^r");
        await DeclareQueueAsync(virtualHost, "dq", """{"durable":true,"arguments":{"x-max-length":5}}""");
        (await Admin.PutAsync(Path("exchanges", virtualHost, "dx"), """{"type":"topic","durable":true}""")).AssertStatus(201);
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "dx", "q", "dq"), """{"routing_key":"a.#"}""")).AssertStatus(201);

        var definitions = await Admin.GetJsonAsync("api/definitions");

        Assert.StartsWith("3.", definitions["rabbit_version"]!.GetValue<string>());
        Assert.Single(Where(definitions, "vhosts", "name", virtualHost));
        var exportedUser = Assert.Single(Where(definitions, "users", "name", user));
        Assert.Equal("rabbit_password_hashing_sha256", exportedUser["hashing_algorithm"]!.GetValue<string>());
        Assert.Equal(36, Convert.FromBase64String(exportedUser["password_hash"]!.GetValue<string>()).Length);
        Assert.Equal(["management"], exportedUser["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var permission = Assert.Single(Where(definitions, "permissions", "user", user));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""{"user":"{{{user}}}","vhost":"{{{virtualHost}}}","configure":"^c","write":"^w","read":"^r"}"""), permission), permission.ToJsonString());
        var queue = Assert.Single(Where(definitions, "queues", "vhost", virtualHost));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""{"name":"dq","vhost":"{{{virtualHost}}}","durable":true,"auto_delete":false,"arguments":{"x-max-length":5}}"""), queue), queue.ToJsonString());
        var exchange = Assert.Single(Where(definitions, "exchanges", "vhost", virtualHost));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""{"name":"dx","vhost":"{{{virtualHost}}}","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}"""), exchange), exchange.ToJsonString());
        var binding = Assert.Single(Where(definitions, "bindings", "vhost", virtualHost));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""{"source":"dx","vhost":"{{{virtualHost}}}","destination":"dq","destination_type":"queue","routing_key":"a.#","arguments":{}}"""), binding), binding.ToJsonString());
    }

    [Fact]
    public async Task Import_creates_every_object_of_the_file()
    {
        var virtualHost = UniqueName("vh");
        var user = UniqueName("user");
        TrackVirtualHost(virtualHost);
        TrackUser(user);
        var file = JsonNode.Parse($$$"""
            {
              "users": [{"name":"{{{user}}}","password":"imported","tags":"management"}],
              "vhosts": [{"name":"{{{virtualHost}}}"}],
              "permissions": [
                {"user":"{{{user}}}","vhost":"{{{virtualHost}}}","configure":".*","write":".*","read":".*"},
                {"user":"{{{Fixture.AdminUser}}}","vhost":"{{{virtualHost}}}","configure":".*","write":".*","read":".*"}],
              "exchanges": [{"name":"ix","vhost":"{{{virtualHost}}}","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
              "queues": [{"name":"iq","vhost":"{{{virtualHost}}}","durable":true,"auto_delete":false,"arguments":{"x-message-ttl":60000}}],
              "bindings": [{"source":"ix","vhost":"{{{virtualHost}}}","destination":"iq","destination_type":"queue","routing_key":"rk","arguments":{}}]
            }
            """)!;

        (await Admin.PostAsync("api/definitions", file)).AssertStatus(204);

        (await Admin.GetAsync(Path("vhosts", virtualHost))).AssertStatus(200);
        Assert.Equal(["management"], (await Admin.GetJsonAsync(Path("users", user)))["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        (await Admin.GetAsync(Path("permissions", virtualHost, user))).AssertStatus(200);
        Assert.Equal("fanout", (await Admin.GetJsonAsync(Path("exchanges", virtualHost, "ix")))["type"]!.GetValue<string>());
        Assert.Equal(60000, (await Admin.GetJsonAsync(Path("queues", virtualHost, "iq")))["arguments"]!["x-message-ttl"]!.GetValue<int>());
        (await Admin.GetAsync(Path("bindings", virtualHost, "e", "ix", "q", "iq", "rk"))).AssertStatus(200);
        using var client = Fixture.Client(user, "imported");
        (await client.GetAsync("api/whoami")).AssertStatus(200);
    }

    [Fact]
    public async Task A_queue_in_an_unknown_vhost_is_400_no_such_vhost_and_no_queue_of_the_file_is_created()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var missing = UniqueName("novh");
        var file = JsonNode.Parse($$$"""
            {"queues": [
              {"name":"good","vhost":"{{{virtualHost}}}","durable":true,"auto_delete":false,"arguments":{}},
              {"name":"bad","vhost":"{{{missing}}}","durable":true,"auto_delete":false,"arguments":{}}]}
            """)!;

        (await Admin.PostAsync("api/definitions", file)).AssertError(400, "bad_request", new JsonArray("no_such_vhost", missing));

        (await Admin.GetAsync(Path("queues", virtualHost, "good"))).AssertStatus(404);
        (await Admin.GetAsync(Path("vhosts", missing))).AssertStatus(404);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    public async Task Malformed_json_is_400_failed_to_parse_json(string body)
    {
        (await Admin.PostAsync("api/definitions", body)).AssertError(400, "bad_request", "failed_to_parse_json");
    }

    [Fact]
    public async Task Per_vhost_export_has_that_vhosts_topology_without_vhost_fields()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "dq", """{"durable":true}""");
        (await Admin.PutAsync(Path("exchanges", virtualHost, "dx"), """{"type":"fanout","durable":true}""")).AssertStatus(201);
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "dx", "q", "dq"), "{}")).AssertStatus(201);

        var definitions = await Admin.GetJsonAsync(Path("definitions", virtualHost));

        Assert.StartsWith("3.", definitions["rabbit_version"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"dq","durable":true,"auto_delete":false,"arguments":{}}]"""), definitions["queues"]), definitions.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"dx","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}]"""), definitions["exchanges"]), definitions.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"source":"dx","destination":"dq","destination_type":"queue","routing_key":"","arguments":{}}]"""), definitions["bindings"]), definitions.ToJsonString());
        Assert.Null(definitions["users"]);
        Assert.Null(definitions["vhosts"]);
    }

    [Fact]
    public async Task Per_vhost_import_puts_everything_in_that_vhost()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var file = JsonNode.Parse("""
            {
              "queues": [{"name":"vq","durable":true,"auto_delete":false,"arguments":{}}],
              "exchanges": [{"name":"vx","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
              "bindings": [{"source":"vx","destination":"vq","destination_type":"queue","routing_key":"","arguments":{}}]
            }
            """)!;

        (await Admin.PostAsync(Path("definitions", virtualHost), file)).AssertStatus(204);

        (await Admin.GetAsync(Path("queues", virtualHost, "vq"))).AssertStatus(200);
        (await Admin.GetAsync(Path("exchanges", virtualHost, "vx"))).AssertStatus(200);
        Assert.Single((await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "vx", "q", "vq"))).AsArray());
    }

    [Fact]
    public async Task Per_vhost_import_into_an_unknown_vhost_is_404_vhost_not_found()
    {
        (await Admin.PostAsync(Path("definitions", UniqueName("novh")), "{}")).AssertError(404, "not_found", "vhost_not_found");
    }

    [Fact]
    public async Task Exported_definitions_import_back_after_the_objects_are_deleted()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "rq", """{"durable":true}""");
        var exported = await Admin.GetJsonAsync(Path("definitions", virtualHost));
        (await Admin.DeleteAsync(Path("queues", virtualHost, "rq"))).AssertStatus(204);

        (await Admin.PostAsync(Path("definitions", virtualHost), exported)).AssertStatus(204);

        Assert.True((await Admin.GetJsonAsync(Path("queues", virtualHost, "rq")))["durable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Permissions_of_an_unknown_user_or_in_an_unknown_vhost_are_400_naming_it()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = UniqueName("nouser");
        var missing = UniqueName("novh");

        (await Admin.PostAsync("api/definitions", JsonNode.Parse($$$"""{"permissions":[{"user":"{{{user}}}","vhost":"{{{virtualHost}}}","configure":".*","write":".*","read":".*"}]}""")!))
            .AssertError(400, "bad_request", new JsonArray("no_such_user", user));
        (await Admin.PostAsync("api/definitions", JsonNode.Parse($$$"""{"permissions":[{"user":"{{{Fixture.AdminUser}}}","vhost":"{{{missing}}}","configure":".*","write":".*","read":".*"}]}""")!))
            .AssertError(400, "bad_request", new JsonArray("no_such_vhost", missing));
    }

    [Fact]
    public async Task A_binding_in_an_unknown_vhost_is_ignored()
    {
        var missing = UniqueName("novh");

        (await Admin.PostAsync("api/definitions", JsonNode.Parse($$$"""{"bindings":[{"source":"amq.direct","vhost":"{{{missing}}}","destination":"q","destination_type":"queue","routing_key":"","arguments":{}}]}""")!))
            .AssertStatus(204);
        (await Admin.GetAsync(Path("vhosts", missing))).AssertStatus(404);
    }

    [Fact]
    public async Task Per_vhost_export_of_an_unknown_vhost_is_400_vhost_not_found()
    {
        (await Admin.GetAsync(Path("definitions", UniqueName("novh")))).AssertError(400, "bad_request", "vhost_not_found");
    }

    [Fact]
    public async Task Export_has_transient_queues_exchanges_and_their_bindings_too()
    {
        var virtualHost = await CreateVirtualHostAsync();
        (await Admin.PutAsync(Path("exchanges", virtualHost, "tx"), """{"type":"fanout","durable":false}""")).AssertStatus(201);
        await DeclareQueueAsync(virtualHost, "tq", """{"durable":false}""");
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "tx", "q", "tq"), "{}")).AssertStatus(201);

        var definitions = await Admin.GetJsonAsync(Path("definitions", virtualHost));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"tq","durable":false,"auto_delete":false,"arguments":{}}]"""), definitions["queues"]), definitions.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"tx","type":"fanout","durable":false,"auto_delete":false,"internal":false,"arguments":{}}]"""), definitions["exchanges"]), definitions.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"source":"tx","destination":"tq","destination_type":"queue","routing_key":"","arguments":{}}]"""), definitions["bindings"]), definitions.ToJsonString());
    }
}
