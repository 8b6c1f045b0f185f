using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>/api/exchanges: declare with defaults, equivalence, the reserved amq.* names, list, show, delete and publish.</summary>
public sealed class ExchangeTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Put_with_an_empty_body_declares_a_transient_direct_exchange()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("exchanges", virtualHost, "x"), "{}")).AssertStatus(201);
        var json = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "x"));

        Assert.Equal("x", json["name"]!.GetValue<string>());
        Assert.Equal(virtualHost, json["vhost"]!.GetValue<string>());
        Assert.Equal("direct", json["type"]!.GetValue<string>());
        Assert.False(json["durable"]!.GetValue<bool>());
        Assert.False(json["auto_delete"]!.GetValue<bool>());
        Assert.False(json["internal"]!.GetValue<bool>());
        Assert.Empty(json["arguments"]!.AsObject());
        Assert.Empty(json["incoming"]!.AsArray());
        Assert.Empty(json["outgoing"]!.AsArray());
    }

    [Fact]
    public async Task Put_keeps_type_flags_and_arguments()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var body = """{"type":"topic","durable":true,"auto_delete":true,"internal":true,"arguments":{"alternate-exchange":"ae"}}""";

        (await Admin.PutAsync(Path("exchanges", virtualHost, "t"), body)).AssertStatus(201);
        var json = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "t"));

        Assert.Equal("topic", json["type"]!.GetValue<string>());
        Assert.True(json["durable"]!.GetValue<bool>());
        Assert.True(json["auto_delete"]!.GetValue<bool>());
        Assert.True(json["internal"]!.GetValue<bool>());
        Assert.Equal("ae", json["arguments"]!["alternate-exchange"]!.GetValue<string>());
    }

    [Fact]
    public async Task Equivalent_redeclaration_is_204_and_another_type_is_400_inequivalent()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "x", "direct");

        (await Admin.PutAsync(Path("exchanges", virtualHost, "x"), """{"type":"direct"}""")).AssertStatus(204);
        (await Admin.PutAsync(Path("exchanges", virtualHost, "x"), """{"type":"fanout"}"""))
            .AssertError(400, "bad_request", $"inequivalent arg 'type' for exchange 'x' in vhost '{virtualHost}': received 'fanout' but current is 'direct'");
    }

    [Fact]
    public async Task Unknown_type_is_400()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("exchanges", virtualHost, "x"), """{"type":"no-such-type"}"""))
            .AssertError(400, "bad_request", "unknown exchange type 'no-such-type'");
        (await Admin.GetAsync(Path("exchanges", virtualHost, "x"))).AssertStatus(404);
    }

    [Fact]
    public async Task New_amq_names_and_the_default_exchange_are_refused()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("exchanges", virtualHost, "amq.custom"), """{"type":"direct"}""")).AssertError(401, "not_authorised", "Access refused.");
        (await Admin.PutAsync(Path("exchanges", virtualHost, "amq.default"), "{}")).AssertError(401, "not_authorised", "Access refused.");
        (await Admin.DeleteAsync(Path("exchanges", virtualHost, "amq.direct"))).AssertError(401, "not_authorised", "Access refused.");
        (await Admin.DeleteAsync(Path("exchanges", virtualHost, "amq.default"))).AssertError(401, "not_authorised", "Access refused.");
        (await Admin.GetAsync(Path("exchanges", virtualHost, "amq.custom"))).AssertStatus(404);
    }

    [Fact]
    public async Task Equivalent_redeclaration_of_a_built_in_exchange_is_204()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("exchanges", virtualHost, "amq.direct"), """{"type":"direct","durable":true}""")).AssertStatus(204);
    }

    [Fact]
    public async Task Default_exchange_is_amq_default_in_paths_and_named_empty()
    {
        var virtualHost = await CreateVirtualHostAsync();

        var json = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "amq.default"));

        Assert.Equal(string.Empty, json["name"]!.GetValue<string>());
        Assert.Equal("direct", json["type"]!.GetValue<string>());
        Assert.True(json["durable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Vhost_listing_has_the_default_the_built_in_and_declared_exchanges_sorted_by_name()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "mine", "fanout");

        var names = (await Admin.GetJsonAsync(Path("exchanges", virtualHost))).AsArray().Select(e => e!["name"]!.GetValue<string>()).ToList();

        Assert.Equal(["", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.rabbitmq.trace", "amq.topic", "mine"], names);
        var all = (await Admin.GetJsonAsync("api/exchanges")).AsArray();
        Assert.Contains(all, e => e!["vhost"]!.GetValue<string>() == virtualHost && e["name"]!.GetValue<string>() == "mine");
    }

    [Fact]
    public async Task Delete_is_204_then_404()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "x", "topic");

        (await Admin.DeleteAsync(Path("exchanges", virtualHost, "x"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("exchanges", virtualHost, "x"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("exchanges", virtualHost, "x"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Publish_answers_whether_the_message_was_routed()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "x", "direct");
        await DeclareQueueAsync(virtualHost, "q");
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "x", "q", "q"), """{"routing_key":"k"}""")).AssertStatus(201);

        var routed = await Admin.PostAsync(Path("exchanges", virtualHost, "x", "publish"), """{"routing_key":"k","properties":{},"payload":"hi","payload_encoding":"string"}""");
        var unrouted = await Admin.PostAsync(Path("exchanges", virtualHost, "x", "publish"), """{"routing_key":"other","properties":{},"payload":"hi","payload_encoding":"string"}""");
        var direct = await Admin.PostAsync(Path("exchanges", virtualHost, "amq.default", "publish"), """{"routing_key":"q","properties":{},"payload":"aGk=","payload_encoding":"base64"}""");

        Assert.True(JsonNode.DeepEquals(new JsonObject { ["routed"] = true }, routed.AssertStatus(200).Json));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["routed"] = false }, unrouted.AssertStatus(200).Json));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["routed"] = true }, direct.AssertStatus(200).Json));
        var messages = (await Admin.PostAsync(Path("queues", virtualHost, "q", "get"), """{"count":5,"ackmode":"ack_requeue_false","encoding":"auto"}""")).AssertStatus(200).Json.AsArray();
        Assert.Equal(["hi", "hi"], messages.Select(m => m!["payload"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Publish_with_missing_keys_is_400_naming_them()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PostAsync(Path("exchanges", virtualHost, "amq.default", "publish"), """{"routing_key":"q","payload":"x","payload_encoding":"string"}"""))
            .AssertError(400, "bad_request", "[{key_missing,properties}]");
        (await Admin.PostAsync(Path("exchanges", virtualHost, "amq.default", "publish"), "{}"))
            .AssertError(400, "bad_request", "[{key_missing,routing_key},\n {key_missing,properties},\n {key_missing,payload},\n {key_missing,payload_encoding}]");
    }

    [Fact]
    public async Task Publish_to_an_unknown_exchange_is_400_with_the_channel_error()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PostAsync(Path("exchanges", virtualHost, "nope", "publish"), """{"routing_key":"q","properties":{},"payload":"x","payload_encoding":"string"}"""))
            .AssertError(400, "bad_request", $"404 NOT_FOUND - no exchange 'nope' in vhost '{virtualHost}'");
    }

    [Fact]
    public async Task Exchange_names_longer_than_255_bytes_are_accepted_over_http()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var name = new string('x', 256);

        (await Admin.PutAsync(Path("exchanges", virtualHost, name), "{}")).AssertStatus(201);
        Assert.Equal(name, (await Admin.GetJsonAsync(Path("exchanges", virtualHost, name)))["name"]!.GetValue<string>());
    }
}
