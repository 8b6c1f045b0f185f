using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>/api/bindings in all four directions, properties keys, Location headers, and the default exchange's implicit bindings.</summary>
public sealed class BindingTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private static JsonObject Binding(string virtualHost, string source, string destination, string type, string key, string propertiesKey, JsonObject? arguments = null) => new()
    {
        ["source"] = source,
        ["vhost"] = virtualHost,
        ["destination"] = destination,
        ["destination_type"] = type,
        ["routing_key"] = key,
        ["arguments"] = arguments ?? [],
        ["properties_key"] = propertiesKey,
    };

    private static void AssertJson(JsonNode expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\n but got {actual?.ToJsonString()}");

    private async Task<string> VirtualHostWithTopologyAsync()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "src", "topic");
        await DeclareExchangeAsync(virtualHost, "dst", "fanout");
        await DeclareQueueAsync(virtualHost, "q");
        return virtualHost;
    }

    [Fact]
    public async Task Post_binds_a_queue_201_with_a_location_and_get_by_properties_key_shows_it()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();

        var created = await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), """{"routing_key":"a.#"}""");
        var listed = await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q"));
        var one = await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "a.#"));

        created.AssertStatus(201);
        Assert.Equal("q/a.%2523", created.Headers.Location?.OriginalString);
        var expected = Binding(virtualHost, "src", "q", "queue", "a.#", "a.%23");
        AssertJson(new JsonArray(expected.DeepClone()), listed);
        AssertJson(expected, one);
    }

    [Fact]
    public async Task Location_resolves_against_the_post_uri_to_the_new_binding()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();
        var post = Path("bindings", virtualHost, "e", "src", "q", "q");

        var created = (await Admin.PostAsync(post, """{"routing_key":"a b/c"}""")).AssertStatus(201);
        var location = new Uri(new Uri(Fixture.ManagementUri, post), created.Headers.Location!);
        var binding = await Admin.GetJsonAsync(location.PathAndQuery.TrimStart('/'));

        Assert.Equal("q/a%2Bb%252Fc", created.Headers.Location!.OriginalString);
        Assert.Equal("a b/c", binding["routing_key"]!.GetValue<string>());
        Assert.Equal("a+b%2Fc", binding["properties_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Empty_routing_key_has_the_properties_key_tilde()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();

        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), "{}")).AssertStatus(201);
        var binding = await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "~"));

        AssertJson(Binding(virtualHost, "src", "q", "queue", string.Empty, "~"), binding);
    }

    [Fact]
    public async Task Binding_with_arguments_is_found_and_deleted_by_its_properties_key()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), """{"routing_key":"k","arguments":{"x-match":"any","a":1}}""")).AssertStatus(201);
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), """{"routing_key":"k"}""")).AssertStatus(201);

        var listed = (await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q"))).AsArray();
        var withArguments = listed.Single(b => b!["arguments"]!.AsObject().Count > 0)!;
        var key = withArguments["properties_key"]!.GetValue<string>();

        Assert.StartsWith("k~", key);
        Assert.Contains(listed, b => b!["properties_key"]!.GetValue<string>() == "k");
        AssertJson(withArguments, await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q", key)));
        (await Admin.DeleteAsync(Path("bindings", virtualHost, "e", "src", "q", "q", key))).AssertStatus(204);
        var left = (await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q"))).AsArray();
        Assert.Equal(["k"], left.Select(b => b!["properties_key"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Exchange_to_exchange_binding_is_created_listed_and_deleted()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();

        var created = await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "e", "dst"), """{"routing_key":"k"}""");
        var listed = await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "e", "dst"));
        var asSource = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "src", "bindings", "source"));
        var asDestination = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "dst", "bindings", "destination"));

        created.AssertStatus(201);
        Assert.Equal("dst/k", created.Headers.Location?.OriginalString);
        var expected = new JsonArray(Binding(virtualHost, "src", "dst", "exchange", "k", "k"));
        AssertJson(expected, listed);
        AssertJson(expected, asSource);
        AssertJson(expected, asDestination);
        (await Admin.DeleteAsync(Path("bindings", virtualHost, "e", "src", "e", "dst", "k"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("bindings", virtualHost, "e", "src", "e", "dst", "k"))).AssertError(404, "Object Not Found", "Not Found");
        AssertJson(new JsonArray(), await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "e", "dst")));
    }

    [Fact]
    public async Task Exchange_to_exchange_binding_routes_messages()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "e", "dst"), """{"routing_key":"a.*"}""")).AssertStatus(201);
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "dst", "q", "q"), "{}")).AssertStatus(201);

        var routed = await Admin.PostAsync(Path("exchanges", virtualHost, "src", "publish"), """{"routing_key":"a.b","properties":{},"payload":"x","payload_encoding":"string"}""");
        var unrouted = await Admin.PostAsync(Path("exchanges", virtualHost, "src", "publish"), """{"routing_key":"b.b","properties":{},"payload":"x","payload_encoding":"string"}""");

        Assert.True(routed.AssertStatus(200).Json["routed"]!.GetValue<bool>());
        Assert.False(unrouted.AssertStatus(200).Json["routed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Vhost_listing_has_the_default_exchanges_implicit_binding_first()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), """{"routing_key":"k"}""")).AssertStatus(201);
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "e", "dst"), """{"routing_key":"k"}""")).AssertStatus(201);

        var all = await Admin.GetJsonAsync(Path("bindings", virtualHost));
        var ofQueue = await Admin.GetJsonAsync(Path("queues", virtualHost, "q", "bindings"));
        var ofDefault = await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "amq.default", "q", "q"));

        var implicitBinding = Binding(virtualHost, string.Empty, "q", "queue", "q", "q");
        AssertJson(
            new JsonArray(implicitBinding.DeepClone(), Binding(virtualHost, "src", "dst", "exchange", "k", "k"), Binding(virtualHost, "src", "q", "queue", "k", "k")),
            all);
        AssertJson(new JsonArray(implicitBinding.DeepClone(), Binding(virtualHost, "src", "q", "queue", "k", "k")), ofQueue);
        AssertJson(new JsonArray(implicitBinding.DeepClone()), ofDefault);
        AssertJson(implicitBinding, await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "amq.default", "q", "q", "q")));
    }

    [Fact]
    public async Task The_default_exchanges_bindings_cannot_be_added_or_deleted()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();

        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "amq.default", "q", "q"), """{"routing_key":"k"}""")).AssertError(401, "not_authorised", "Access refused.");
        (await Admin.DeleteAsync(Path("bindings", virtualHost, "e", "amq.default", "q", "q", "q"))).AssertError(401, "not_authorised", "Access refused.");
    }

    [Fact]
    public async Task Queue_binding_delete_is_204_then_404()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), """{"routing_key":"k"}""")).AssertStatus(201);

        (await Admin.DeleteAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "k"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "k"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "k"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Binding_an_unknown_exchange_or_queue_is_404_naming_it()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();

        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "nope", "q", "q"), "{}"))
            .AssertError(404, "not_found", $"no exchange 'nope' in vhost '{virtualHost}'");
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "nope"), "{}"))
            .AssertError(404, "not_found", $"no queue 'nope' in vhost '{virtualHost}'");
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "e", "nope"), "{}"))
            .AssertError(404, "not_found", $"no exchange 'nope' in vhost '{virtualHost}'");
    }

    [Fact]
    public async Task Properties_keys_quote_the_routing_key_and_any_spelling_of_it_finds_the_binding()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "src", "q", "q"), """{"routing_key":"x~y é"}""")).AssertStatus(201);

        var binding = Assert.Single((await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "q"))).AsArray())!;
        var byKey = await Admin.GetAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "x~y é").Replace("~", "%257E", StringComparison.Ordinal));

        Assert.Equal("x%7Ey+%C3%A9", binding["properties_key"]!.GetValue<string>());
        Assert.Equal("x~y é", byKey.AssertStatus(200).Json["routing_key"]!.GetValue<string>());
        (await Admin.GetAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "x%7Ey+%C3%A9"))).AssertStatus(200);
        (await Admin.GetAsync(Path("bindings", virtualHost, "e", "src", "q", "q", "x~y é"))).AssertStatus(404);
    }

    [Fact]
    public async Task Bindings_between_objects_that_do_not_exist_are_an_empty_list()
    {
        var virtualHost = await VirtualHostWithTopologyAsync();

        AssertJson(new JsonArray(), await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "src", "q", "nope")));
        AssertJson(new JsonArray(), await Admin.GetJsonAsync(Path("bindings", virtualHost, "e", "nope", "e", "dst")));
    }
}
