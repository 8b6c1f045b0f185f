using System.Text;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client;

namespace Broker.ManagementTests;

/// <summary>
/// What PUT /api/vhosts/{vhost} sets besides the vhost, as RabbitMQ 3.10 takes it: description and tags
/// (replaced by every PUT), the default queue type ("defaultqueuetype", at creation only), tracing (kept
/// unless given); GET shows them and their metadata. The creator of a vhost gets every permission there.
/// </summary>
public sealed class VirtualHostSettingsTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private const string Columns = "?columns=name,description,tags,default_queue_type,tracing,metadata";

    [Fact]
    public async Task Put_with_description_tags_default_queue_type_and_tracing_and_get_shows_them()
    {
        var name = NewVirtualHost();

        (await Admin.PutAsync(Path("vhosts", name), """{"description":"for tests","tags":"a,b","defaultqueuetype":"quorum","tracing":true}""")).AssertStatus(201);
        var json = await Admin.GetJsonAsync(Path("vhosts", name) + Columns);

        AssertJson(
            $$$"""{"name":"{{{name}}}","description":"for tests","tags":["a","b"],"default_queue_type":"quorum","tracing":true,"metadata":{"description":"for tests","tags":["a","b"],"default_queue_type":"quorum"}}""",
            json);
        var listed = (await Admin.GetJsonAsync("api/vhosts" + Columns)).AsArray();
        Assert.Contains(listed, v => JsonNode.DeepEquals(json, v));
    }

    [Fact]
    public async Task A_plain_vhost_has_an_empty_description_no_tags_and_an_undefined_default_queue_type()
    {
        var name = NewVirtualHost();

        (await Admin.PutAsync(Path("vhosts", name))).AssertStatus(201);

        AssertJson(
            $$$"""{"name":"{{{name}}}","description":"","tags":[],"default_queue_type":"undefined","tracing":false,"metadata":{"description":"","tags":[]}}""",
            await Admin.GetJsonAsync(Path("vhosts", name) + Columns));
    }

    [Fact]
    public async Task Tags_may_be_an_array()
    {
        var name = NewVirtualHost();

        (await Admin.PutAsync(Path("vhosts", name), """{"tags":["c","d"]}""")).AssertStatus(201);

        AssertJson("""["c","d"]""", (await Admin.GetJsonAsync(Path("vhosts", name)))["tags"]);
    }

    [Fact]
    public async Task Each_put_replaces_description_and_tags_and_keeps_tracing_unless_given()
    {
        var name = NewVirtualHost();
        (await Admin.PutAsync(Path("vhosts", name), """{"description":"first","tags":"a","tracing":true}""")).AssertStatus(201);

        (await Admin.PutAsync(Path("vhosts", name), """{"tags":["b"]}""")).AssertStatus(204);
        var retagged = await Admin.GetJsonAsync(Path("vhosts", name) + Columns);
        (await Admin.PutAsync(Path("vhosts", name), """{"description":"second"}""")).AssertStatus(204);
        var described = await Admin.GetJsonAsync(Path("vhosts", name) + Columns);
        (await Admin.PutAsync(Path("vhosts", name), """{"tracing":false}""")).AssertStatus(204);
        var untraced = await Admin.GetJsonAsync(Path("vhosts", name) + Columns);

        AssertJson($$$"""{"name":"{{{name}}}","description":"","tags":["b"],"default_queue_type":"undefined","tracing":true,"metadata":{"description":"","tags":["b"]}}""", retagged);
        AssertJson($$$"""{"name":"{{{name}}}","description":"second","tags":[],"default_queue_type":"undefined","tracing":true,"metadata":{"description":"second","tags":[]}}""", described);
        AssertJson($$$"""{"name":"{{{name}}}","description":"","tags":[],"default_queue_type":"undefined","tracing":false,"metadata":{"description":"","tags":[]}}""", untraced);
    }

    [Fact]
    public async Task The_default_queue_type_is_set_at_creation_and_kept_by_later_puts()
    {
        var name = NewVirtualHost();
        (await Admin.PutAsync(Path("vhosts", name), """{"defaultqueuetype":"quorum"}""")).AssertStatus(201);

        (await Admin.PutAsync(Path("vhosts", name), """{"defaultqueuetype":"stream","description":"d"}""")).AssertStatus(204);
        (await Admin.PutAsync(Path("vhosts", name), "{}")).AssertStatus(204);

        var json = await Admin.GetJsonAsync(Path("vhosts", name));
        Assert.Equal("quorum", json["default_queue_type"]!.GetValue<string>());
        Assert.Equal("quorum", json["metadata"]!["default_queue_type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("\"yes\"")]
    [InlineData("1")]
    public async Task Tracing_that_is_not_a_boolean_is_400_not_boolean(string value)
    {
        var name = NewVirtualHost();
        (await Admin.PutAsync(Path("vhosts", name))).AssertStatus(201);

        (await Admin.PutAsync(Path("vhosts", name), $$$"""{"tracing":{{{value}}}}""")).AssertError(400, "bad_request", new JsonArray("not_boolean", JsonNode.Parse(value)));
    }

    [Fact]
    public async Task Tracing_may_be_the_string_true()
    {
        var name = NewVirtualHost();

        (await Admin.PutAsync(Path("vhosts", name), """{"tracing":"true"}""")).AssertStatus(201);

        Assert.True((await Admin.GetJsonAsync(Path("vhosts", name)))["tracing"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Only_administrators_create_vhosts()
    {
        var (_, policymaker) = await UserClientAsync("policymaker,monitoring");
        var name = NewVirtualHost();

        (await policymaker.PutAsync(Path("vhosts", name))).AssertError(401, "not_authorised", "Not administrator user");
        (await Admin.GetAsync(Path("vhosts", name))).AssertStatus(404);
    }

    [Fact]
    public async Task The_administrator_creating_a_vhost_gets_every_permission_there_and_others_none()
    {
        var (creator, client) = await UserClientAsync("administrator");
        var name = NewVirtualHost();

        (await client.PutAsync(Path("vhosts", name))).AssertStatus(201);
        var permissions = (await Admin.GetJsonAsync(Path("vhosts", name, "permissions"))).AsArray();

        var permission = Assert.Single(permissions);
        AssertJson($$"""{"user":"{{creator}}","vhost":"{{name}}","configure":".*","write":".*","read":".*"}""", permission);
    }

    [Fact]
    public async Task Tracing_switched_on_over_http_copies_publishes_to_the_trace_exchange_and_off_stops_it()
    {
        var name = await CreateVirtualHostAsync();
        var connection = await ConnectAsync(name);
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("work", durable: false, exclusive: false, autoDelete: false);
        await channel.QueueDeclareAsync("traces", durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("traces", "amq.rabbitmq.trace", "publish.#");

        (await Admin.PutAsync(Path("vhosts", name), """{"tracing":true}""")).AssertStatus(204);
        Assert.True((await Admin.GetJsonAsync(Path("vhosts", name)))["tracing"]!.GetValue<bool>());
        await PublishAsync(connection, "work", "traced");

        var copy = await GetEventuallyAsync(channel, "traces");
        Assert.Equal("amq.rabbitmq.trace", copy.Exchange);
        Assert.Equal("publish.", copy.RoutingKey);
        Assert.Equal("traced", Encoding.UTF8.GetString(copy.Body.Span));
        var routed = Assert.IsType<List<object>>(copy.BasicProperties.Headers!["routed_queues"]);
        Assert.Equal(["work"], routed.Select(q => Encoding.UTF8.GetString(Assert.IsType<byte[]>(q))));

        (await Admin.PutAsync(Path("vhosts", name), """{"tracing":false}""")).AssertStatus(204);
        Assert.False((await Admin.GetJsonAsync(Path("vhosts", name)))["tracing"]!.GetValue<bool>());
        await PublishAsync(connection, "work", "untraced");
        await Task.Delay(300);

        Assert.Null(await channel.BasicGetAsync("traces", autoAck: true));
        Assert.Equal(2u, (await channel.QueueDeclarePassiveAsync("work")).MessageCount);
    }

    [Fact]
    public async Task A_get_over_http_is_traced_as_a_delivery()
    {
        var name = await CreateVirtualHostAsync();
        var connection = await ConnectAsync(name);
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("work", durable: false, exclusive: false, autoDelete: false);
        await channel.QueueDeclareAsync("traces", durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("traces", "amq.rabbitmq.trace", "deliver.#");
        await PublishAsync(connection, "work", "fetched");
        (await Admin.PutAsync(Path("vhosts", name), """{"tracing":true}""")).AssertStatus(204);

        (await Admin.PostAsync(Path("queues", name, "work", "get"), """{"count":1,"ackmode":"ack_requeue_false","encoding":"auto"}""")).AssertStatus(200);

        var copy = await GetEventuallyAsync(channel, "traces");
        Assert.Equal("deliver.work", copy.RoutingKey);
        Assert.Equal("fetched", Encoding.UTF8.GetString(copy.Body.Span));
        (await Admin.PutAsync(Path("vhosts", name), """{"tracing":false}""")).AssertStatus(204);
    }

    private string NewVirtualHost()
    {
        var name = UniqueName("vh");
        TrackVirtualHost(name);
        return name;
    }

    private static async Task<BasicGetResult> GetEventuallyAsync(IChannel channel, string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
            {
                return result;
            }

            Assert.True(DateTime.UtcNow < deadline, $"nothing reached '{queue}'");
            await Task.Delay(20);
        }
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\n but got {actual?.ToJsonString()}");
}
