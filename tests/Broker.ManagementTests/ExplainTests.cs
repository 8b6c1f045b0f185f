using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>
/// POST /api/exchanges/{vhost}/{exchange}/explain, our extension: RabbitMQ has no such endpoint, so
/// against an external broker these tests only check it answers 404/405 and stop.
/// </summary>
public sealed class ExplainTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private async Task<JsonNode?> ExplainAsync(string virtualHost, string exchange, JsonObject body)
    {
        var response = await Admin.PostAsync(Path("exchanges", virtualHost, exchange, "explain"), body);
        if (Fixture.IsExternal)
        {
            Assert.True(response.Status is 404 or 405, $"RabbitMQ answered {response.Status}");
            return null;
        }

        return response.AssertStatus(200).Json;
    }

    private async Task BindAsync(string virtualHost, string exchange, string queue, string routingKey, JsonObject? arguments = null) =>
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", exchange, "q", queue), new JsonObject { ["routing_key"] = routingKey, ["arguments"] = arguments ?? [] })).AssertStatus(201);

    private static JsonNode Binding(JsonNode exchange, string destination) =>
        exchange["bindings"]!.AsArray().Single(b => b!["destination"]!.GetValue<string>() == destination)!;

    [Fact]
    public async Task Topic_bindings_each_say_whether_they_match_and_why()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "orders", "topic");
        await DeclareQueueAsync(virtualHost, "eu");
        await DeclareQueueAsync(virtualHost, "all");
        await BindAsync(virtualHost, "orders", "eu", "orders.*.eu");
        await BindAsync(virtualHost, "orders", "all", "orders.#");

        var json = await ExplainAsync(virtualHost, "orders", new JsonObject { ["routing_key"] = "orders.new.eu.de" });
        if (json is null)
        {
            return;
        }

        var exchange = json["exchanges"]!.AsArray().Single()!;
        Assert.Equal("topic", exchange["type"]!.GetValue<string>());
        Assert.Equal("published to", exchange["reached_by"]!.GetValue<string>());
        var eu = Binding(exchange, "eu");
        Assert.False(eu["matched"]!.GetValue<bool>());
        Assert.Equal("queue", eu["destination_type"]!.GetValue<string>());
        Assert.Equal("orders.*.eu", eu["routing_key"]!.GetValue<string>());
        Assert.Equal("* stands for exactly one word and there is no #: the routing key has 4 words, the binding key 3", eu["reason"]!.GetValue<string>());
        Assert.True(Binding(exchange, "all")["matched"]!.GetValue<bool>());
        Assert.Equal(["all"], json["queues"]!.AsArray().Select(q => q!.GetValue<string>()));
        Assert.True(json["routed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Headers_given_apart_or_in_the_properties_are_compared_and_the_alternate_exchange_followed()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "ae", "fanout");
        await DeclareQueueAsync(virtualHost, "unrouted");
        await BindAsync(virtualHost, "ae", "unrouted", "");
        (await Admin.PutAsync(Path("exchanges", virtualHost, "docs"), """{"type":"headers","arguments":{"alternate-exchange":"ae"}}""")).AssertStatus(201);
        await DeclareQueueAsync(virtualHost, "pdf");
        await BindAsync(virtualHost, "docs", "pdf", "", new JsonObject { ["x-match"] = "all", ["format"] = "pdf", ["lang"] = "en" });

        var json = await ExplainAsync(virtualHost, "docs", new JsonObject
        {
            ["routing_key"] = "",
            ["headers"] = new JsonObject { ["format"] = "zip" },
            ["properties"] = new JsonObject { ["headers"] = new JsonObject { ["lang"] = "en" } },
        });
        if (json is null)
        {
            return;
        }

        var exchanges = json["exchanges"]!.AsArray();
        Assert.Equal(["docs", "ae"], exchanges.Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal("x-match all: header \"format\" is \"zip\" (longstr), the binding wants \"pdf\" (longstr)", Binding(exchanges[0]!, "pdf")["reason"]!.GetValue<string>());
        Assert.Equal("used: no binding matched", exchanges[0]!["alternate"]!.GetValue<string>());
        Assert.Equal("the alternate exchange of \"docs\"", exchanges[1]!["reached_by"]!.GetValue<string>());
        Assert.Equal(["unrouted"], json["queues"]!.AsArray().Select(q => q!.GetValue<string>()));
    }

    [Fact]
    public async Task The_default_exchange_is_amq_default_in_the_path()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "jobs");

        var json = await ExplainAsync(virtualHost, "amq.default", new JsonObject { ["routing_key"] = "jobs" });
        if (json is null)
        {
            return;
        }

        var exchange = json["exchanges"]!.AsArray().Single()!;
        Assert.Equal("", exchange["name"]!.GetValue<string>());
        Assert.True(Binding(exchange, "jobs")["matched"]!.GetValue<bool>());
        Assert.Equal(["jobs"], json["queues"]!.AsArray().Select(q => q!.GetValue<string>()));
    }

    [Fact]
    public async Task Unknown_exchange_is_404_a_long_key_400_and_an_unseen_vhost_401()
    {
        var virtualHost = await CreateVirtualHostAsync();
        if (Fixture.IsExternal)
        {
            return;
        }

        (await Admin.PostAsync(Path("exchanges", virtualHost, "nope", "explain"), "{}")).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.PostAsync(Path("exchanges", virtualHost, "amq.direct", "explain"), new JsonObject { ["routing_key"] = new string('k', 256) }))
            .AssertError(400, "bad_request", "a routing key is at most 255 bytes");
        var (_, stranger) = await UserClientAsync("management");
        var other = await CreateVirtualHostAsync();
        (await stranger.PostAsync(Path("exchanges", other, "amq.direct", "explain"), "{}")).AssertStatus(401);
    }
}
