using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>
/// /api/parameters (runtime parameters: without plugins RabbitMQ knows only the vhost-limits component)
/// and /api/global-parameters: any JSON value, set 201 then 204, policymakers and administrators only.
/// </summary>
public sealed class ParameterTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Theory]
    [InlineData("federation-upstream")]
    [InlineData("shovel")]
    public async Task A_component_no_plugin_provides_is_400_component_not_found(string component)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("parameters", component, virtualHost, "p"), """{"value":{"uri":"amqp://"}}"""))
            .AssertError(400, "bad_request", $"Validation failed\n\ncomponent {component} not found\n");
        (await Admin.PutAsync(Path("parameters", component, virtualHost, "p"), "{}")).AssertError(400, "bad_request", "[{key_missing,value}]");
        Assert.Empty((await Admin.GetJsonAsync(Path("parameters", component, virtualHost))).AsArray());
        Assert.Empty((await Admin.GetJsonAsync(Path("parameters", component))).AsArray());
        (await Admin.GetAsync(Path("parameters", component, virtualHost, "p"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.DeleteAsync(Path("parameters", component, virtualHost, "p"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task An_unknown_vhost_is_404()
    {
        var unknown = UniqueName("novh");

        (await Admin.PutAsync(Path("parameters", "vhost-limits", unknown, "limits"), """{"value":{"max-queues":4}}""")).AssertError(404, "not_found", "vhost_not_found");
        (await Admin.GetAsync(Path("parameters", "vhost-limits", unknown))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("parameters", "vhost-limits", unknown, "limits"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task The_vhost_limits_parameter_replaces_the_vhosts_limits_and_clearing_it_clears_them()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("parameters", "vhost-limits", virtualHost, "limits"), """{"value":{"max-queues":4}}""")).AssertStatus(201);
        (await Admin.PutAsync(Path("parameters", "vhost-limits", virtualHost, "limits"), """{"value":{"max-connections":2}}""")).AssertStatus(204);

        AssertJson($$$"""[{"vhost":"{{{virtualHost}}}","value":{"max-connections":2}}]""", await Admin.GetJsonAsync(Path("vhost-limits", virtualHost)));
        var parameter = JsonNode.Parse($$"""{"value":{"max-connections":2},"vhost":"{{virtualHost}}","component":"vhost-limits","name":"limits"}""");
        AssertJson($"[{parameter!.ToJsonString()}]", await Admin.GetJsonAsync(Path("parameters", "vhost-limits", virtualHost)));
        Assert.Contains((await Admin.GetJsonAsync(Path("parameters", "vhost-limits"))).AsArray(), p => JsonNode.DeepEquals(parameter, p));
        Assert.Contains((await Admin.GetJsonAsync("api/parameters")).AsArray(), p => JsonNode.DeepEquals(parameter, p));

        (await Admin.DeleteAsync(Path("parameters", "vhost-limits", virtualHost, "limits"))).AssertStatus(204);
        Assert.Empty((await Admin.GetJsonAsync(Path("vhost-limits", virtualHost))).AsArray());
        (await Admin.DeleteAsync(Path("parameters", "vhost-limits", virtualHost, "limits"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Theory]
    [InlineData("""{"value":5}""", "limits not a list 5")]
    [InlineData("""{"value":{"max-foo":4}}""", "Unrecognised terms [{&lt;&lt;\"max-foo\"&gt;&gt;,4}] in limits")]
    [InlineData("""{"value":{"max-queues":"x"}}""", "max-queues should be a number, actually was &lt;&lt;\"x\"&gt;&gt;")]
    public async Task An_invalid_vhost_limits_parameter_is_400_with_rabbitmqs_html_escaped_reason(string body, string problem)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("parameters", "vhost-limits", virtualHost, "limits"), body)).AssertError(400, "bad_request", $"Validation failed\n\n{problem}\n");
        Assert.Empty((await Admin.GetJsonAsync(Path("vhost-limits", virtualHost))).AsArray());
    }

    [Fact]
    public async Task Policymakers_with_permissions_read_and_set_parameters_others_are_refused()
    {
        var virtualHost = await CreateVirtualHostAsync();
        (await Admin.PutAsync(Path("vhost-limits", virtualHost, "max-queues"), """{"value":4}""")).AssertStatus(204);
        var (_, policymaker) = await UserClientAsync("policymaker", virtualHost);
        var (_, outsider) = await UserClientAsync("policymaker");
        var (_, management) = await UserClientAsync("management", virtualHost);
        var (_, monitoring) = await UserClientAsync("monitoring", virtualHost);

        Assert.Equal(4, (await policymaker.GetJsonAsync(Path("parameters", "vhost-limits", virtualHost, "limits")))["value"]!["max-queues"]!.GetValue<int>());
        Assert.Single((await policymaker.GetJsonAsync(Path("parameters", "vhost-limits", virtualHost))).AsArray());
        (await policymaker.PutAsync(Path("parameters", "federation-upstream", virtualHost, "up"), """{"value":{}}"""))
            .AssertError(400, "bad_request", "Validation failed\n\ncomponent federation-upstream not found\n");

        Assert.DoesNotContain((await outsider.GetJsonAsync("api/parameters")).AsArray(), p => p!["vhost"]!.GetValue<string>() == virtualHost);
        (await outsider.GetAsync(Path("parameters", "vhost-limits", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access object");
        (await outsider.PutAsync(Path("parameters", "federation-upstream", virtualHost, "up"), """{"value":{}}""")).AssertError(401, "not_authorised", "User not authorised to access object");

        foreach (var client in new[] { management, monitoring })
        {
            (await client.GetAsync("api/parameters")).AssertError(401, "not_authorised", "User not authorised to access object");
            (await client.GetAsync(Path("parameters", "vhost-limits", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access object");
            (await client.PutAsync(Path("parameters", "federation-upstream", virtualHost, "up"), """{"value":{}}""")).AssertError(401, "not_authorised", "User not authorised to access object");
        }
    }

    [Fact]
    public async Task Global_parameters_take_any_json_value_201_then_204_and_delete_204_then_404()
    {
        var name = UniqueName("global");
        try
        {
            (await Admin.PutAsync(Path("global-parameters", name), """{"value":{"a":1}}""")).AssertStatus(201);
            var created = await Admin.GetJsonAsync(Path("global-parameters", name));
            var values = new List<JsonNode?>();
            foreach (var value in new[] { "\"text\"", "[1,2]", "null", "1.5" })
            {
                (await Admin.PutAsync(Path("global-parameters", name), $$$"""{"value":{{{value}}}}""")).AssertStatus(204);
                values.Add((await Admin.GetJsonAsync(Path("global-parameters", name)))["value"]);
            }

            var listed = (await Admin.GetJsonAsync("api/global-parameters")).AsArray();

            AssertJson($$$"""{"name":"{{{name}}}","value":{"a":1}}""", created);
            AssertJson("""["text",[1,2],null,1.5]""", new JsonArray([.. values.Select(v => v?.DeepClone())]));
            Assert.Contains(listed, p => JsonNode.DeepEquals(JsonNode.Parse($$"""{"name":"{{name}}","value":1.5}"""), p));
            (await Admin.PutAsync(Path("global-parameters", name), "{}")).AssertError(400, "bad_request", "[{key_missing,value}]");
        }
        finally
        {
            await Admin.DeleteAsync(Path("global-parameters", name));
        }

        (await Admin.DeleteAsync(Path("global-parameters", name))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("global-parameters", name))).AssertError(404, "Object Not Found", "Not Found");
        Assert.DoesNotContain((await Admin.GetJsonAsync("api/global-parameters")).AsArray(), p => p!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Policymakers_read_and_change_global_parameters_and_other_users_are_refused()
    {
        var name = UniqueName("global");
        var (_, policymaker) = await UserClientAsync("policymaker");
        var (_, management) = await UserClientAsync("management");
        var (_, monitoring) = await UserClientAsync("monitoring");
        try
        {
            (await policymaker.PutAsync(Path("global-parameters", name), """{"value":1}""")).AssertStatus(201);
            Assert.Equal(1, (await policymaker.GetJsonAsync(Path("global-parameters", name)))["value"]!.GetValue<int>());
            Assert.Contains((await policymaker.GetJsonAsync("api/global-parameters")).AsArray(), p => p!["name"]!.GetValue<string>() == name);

            foreach (var client in new[] { management, monitoring })
            {
                (await client.GetAsync("api/global-parameters")).AssertError(401, "not_authorised", "User not authorised to access object");
                (await client.GetAsync(Path("global-parameters", name))).AssertError(401, "not_authorised", "User not authorised to access object");
                (await client.PutAsync(Path("global-parameters", name), """{"value":2}""")).AssertError(401, "not_authorised", "User not authorised to access object");
                (await client.DeleteAsync(Path("global-parameters", name))).AssertError(401, "not_authorised", "User not authorised to access object");
            }

            (await policymaker.DeleteAsync(Path("global-parameters", name))).AssertStatus(204);
        }
        finally
        {
            await Admin.DeleteAsync(Path("global-parameters", name));
        }
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\n but got {actual?.ToJsonString()}");
}
