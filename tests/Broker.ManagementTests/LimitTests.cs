using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>
/// /api/vhost-limits and /api/user-limits: administrators set one limit at a time (PUT {"value":N}, always
/// 204) and clear it (204 even when unset); everyone with the management tag reads them; RabbitMQ 3.10's
/// reasons for values that are not integers and for names it does not know.
/// </summary>
public sealed class LimitTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Vhost_limits_are_set_one_at_a_time_listed_and_cleared()
    {
        var virtualHost = await CreateVirtualHostAsync();
        Assert.Empty((await Admin.GetJsonAsync(Path("vhost-limits", virtualHost))).AsArray());

        (await Admin.PutAsync(Path("vhost-limits", virtualHost, "max-connections"), """{"value":10}""")).AssertStatus(204);
        (await Admin.PutAsync(Path("vhost-limits", virtualHost, "max-connections"), """{"value":11}""")).AssertStatus(204);
        (await Admin.PutAsync(Path("vhost-limits", virtualHost, "max-queues"), """{"value":-1}""")).AssertStatus(204);

        var expected = JsonNode.Parse($$$"""{"vhost":"{{{virtualHost}}}","value":{"max-connections":11,"max-queues":-1}}""");
        AssertJson($"[{expected!.ToJsonString()}]", await Admin.GetJsonAsync(Path("vhost-limits", virtualHost)));
        Assert.Contains((await Admin.GetJsonAsync("api/vhost-limits")).AsArray(), l => JsonNode.DeepEquals(expected, l));
        AssertJson(
            $$"""{"value":{"max-connections":11,"max-queues":-1},"vhost":"{{virtualHost}}","component":"vhost-limits","name":"limits"}""",
            await Admin.GetJsonAsync(Path("parameters", "vhost-limits", virtualHost, "limits")));

        (await Admin.DeleteAsync(Path("vhost-limits", virtualHost, "max-queues"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("vhost-limits", virtualHost, "max-queues"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("vhost-limits", virtualHost, "max-foo"))).AssertStatus(204);
        AssertJson($$$"""[{"vhost":"{{{virtualHost}}}","value":{"max-connections":11}}]""", await Admin.GetJsonAsync(Path("vhost-limits", virtualHost)));
        (await Admin.DeleteAsync(Path("vhost-limits", virtualHost, "max-connections"))).AssertStatus(204);
        Assert.Empty((await Admin.GetJsonAsync(Path("vhost-limits", virtualHost))).AsArray());

        // RabbitMQ keeps the emptied parameter and lists it in /api/vhost-limits with "value":[]; no limit is left either way.
        Assert.DoesNotContain((await Admin.GetJsonAsync("api/vhost-limits")).AsArray(), l => l!["vhost"]!.GetValue<string>() == virtualHost && l["value"] is JsonObject { Count: > 0 });
    }

    [Theory]
    [InlineData("max-queues", """{"value":"x"}""", "Validation failed\n\nmax-queues should be a number, actually was <<\"x\">>\n")]
    [InlineData("max-queues", """{"value":"5"}""", "Validation failed\n\nmax-queues should be a number, actually was <<\"5\">>\n")]
    [InlineData("max-queues", """{"value":1.5}""", "Validation failed\n\nmax-queues should be a number, actually was 1.5\n")]
    [InlineData("max-queues", """{"value":null}""", "Validation failed\n\nmax-queues should be a number, actually was null\n")]
    [InlineData("max-queues", """{"value":true}""", "Validation failed\n\nmax-queues should be a number, actually was true\n")]
    [InlineData("max-queues", "{}", "[{key_missing,value}]")]
    [InlineData("max-foo", """{"value":3}""", "Validation failed\n\nUnrecognised terms [{<<\"max-foo\">>,3}] in limits\n")]
    [InlineData("max-foo", """{"value":"x"}""", "Validation failed\n\nUnrecognised terms [{<<\"max-foo\">>,<<\"x\">>}] in limits\n")]
    [InlineData("max-channels", """{"value":3}""", "Validation failed\n\nUnrecognised terms [{<<\"max-channels\">>,3}] in limits\n")]
    public async Task Invalid_vhost_limits_are_400_with_rabbitmqs_reason(string name, string body, string reason)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("vhost-limits", virtualHost, name), body)).AssertError(400, "bad_request", reason);
        Assert.Empty((await Admin.GetJsonAsync(Path("vhost-limits", virtualHost))).AsArray());
    }

    [Fact]
    public async Task Vhost_limits_of_an_unknown_vhost_are_404()
    {
        var unknown = UniqueName("novh");

        (await Admin.PutAsync(Path("vhost-limits", unknown, "max-queues"), """{"value":3}""")).AssertError(404, "not_found", "vhost_not_found");
        (await Admin.GetAsync(Path("vhost-limits", unknown))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Management_users_read_the_limits_of_vhosts_they_see_and_only_administrators_change_them()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var hidden = await CreateVirtualHostAsync();
        (await Admin.PutAsync(Path("vhost-limits", virtualHost, "max-queues"), """{"value":3}""")).AssertStatus(204);
        (await Admin.PutAsync(Path("vhost-limits", hidden, "max-queues"), """{"value":4}""")).AssertStatus(204);
        var (_, management) = await UserClientAsync("management", virtualHost);
        var (_, policymaker) = await UserClientAsync("policymaker", virtualHost);
        var (_, monitoring) = await UserClientAsync("monitoring");

        AssertJson($$$"""[{"vhost":"{{{virtualHost}}}","value":{"max-queues":3}}]""", await management.GetJsonAsync(Path("vhost-limits", virtualHost)));
        var seenByManagement = (await management.GetJsonAsync("api/vhost-limits")).AsArray();
        (await management.GetAsync(Path("vhost-limits", hidden))).AssertError(401, "not_authorised", "User not authorised to access virtual host");

        // Monitoring users see every vhost, permissions or not.
        AssertJson($$$"""[{"vhost":"{{{hidden}}}","value":{"max-queues":4}}]""", await monitoring.GetJsonAsync(Path("vhost-limits", hidden)));
        Assert.Contains((await monitoring.GetJsonAsync("api/vhost-limits")).AsArray(), l => l!["vhost"]!.GetValue<string>() == hidden);

        (await policymaker.PutAsync(Path("vhost-limits", virtualHost, "max-queues"), """{"value":5}""")).AssertError(401, "not_authorised", "Not administrator user");
        (await policymaker.DeleteAsync(Path("vhost-limits", virtualHost, "max-queues"))).AssertError(401, "not_authorised", "Not administrator user");
        Assert.Contains(seenByManagement, l => l!["vhost"]!.GetValue<string>() == virtualHost);
        Assert.DoesNotContain(seenByManagement, l => l!["vhost"]!.GetValue<string>() == hidden);
    }

    [Fact]
    public async Task User_limits_are_set_one_at_a_time_listed_shown_on_the_user_and_cleared()
    {
        var user = await CreateUserAsync(tags: "");
        Assert.Empty((await Admin.GetJsonAsync(Path("user-limits", user))).AsArray());

        (await Admin.PutAsync(Path("user-limits", user, "max-connections"), """{"value":10}""")).AssertStatus(204);
        (await Admin.PutAsync(Path("user-limits", user, "max-channels"), """{"value":-1}""")).AssertStatus(204);

        var expected = JsonNode.Parse($$$"""{"user":"{{{user}}}","value":{"max-channels":-1,"max-connections":10}}""");
        AssertJson($"[{expected!.ToJsonString()}]", await Admin.GetJsonAsync(Path("user-limits", user)));
        Assert.Contains((await Admin.GetJsonAsync("api/user-limits")).AsArray(), l => JsonNode.DeepEquals(expected, l));
        AssertJson("""{"max-channels":-1,"max-connections":10}""", (await Admin.GetJsonAsync(Path("users", user)))["limits"]);

        (await Admin.DeleteAsync(Path("user-limits", user, "max-channels"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("user-limits", user, "max-channels"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("user-limits", user, "max-foo"))).AssertStatus(204);
        AssertJson($$$"""[{"user":"{{{user}}}","value":{"max-connections":10}}]""", await Admin.GetJsonAsync(Path("user-limits", user)));
        (await Admin.DeleteAsync(Path("user-limits", user, "max-connections"))).AssertStatus(204);
        Assert.Empty((await Admin.GetJsonAsync(Path("user-limits", user))).AsArray());
        AssertJson("{}", (await Admin.GetJsonAsync(Path("users", user)))["limits"]);
    }

    [Theory]
    [InlineData("max-channels", """{"value":"x"}""", "max-channels should be a number, actually was <<\"x\">>")]
    [InlineData("max-channels", """{"value":"5"}""", "max-channels should be a number, actually was <<\"5\">>")]
    [InlineData("max-channels", """{"value":1.5}""", "max-channels should be a number, actually was 1.5")]
    [InlineData("max-channels", """{"value":null}""", "max-channels should be a number, actually was null")]
    [InlineData("max-channels", "{}", "[{key_missing,value}]")]
    [InlineData("max-queues", """{"value":3}""", "Unrecognised terms [{<<\"max-queues\">>,3}] in user-limits")]
    [InlineData("max-queues", """{"value":"x"}""", "Unrecognised terms [{<<\"max-queues\">>,<<\"x\">>}] in user-limits")]
    public async Task Invalid_user_limits_are_400_with_rabbitmqs_reason(string name, string body, string reason)
    {
        var user = await CreateUserAsync(tags: "");

        (await Admin.PutAsync(Path("user-limits", user, name), body)).AssertError(400, "bad_request", reason);
        Assert.Empty((await Admin.GetJsonAsync(Path("user-limits", user))).AsArray());
    }

    [Fact]
    public async Task User_limits_of_an_unknown_user_are_400_no_such_user_on_put_and_404_on_get()
    {
        var unknown = UniqueName("nouser");

        (await Admin.PutAsync(Path("user-limits", unknown, "max-channels"), """{"value":3}""")).AssertError(400, "bad_request", new JsonArray("no_such_user", unknown));
        (await Admin.GetAsync(Path("user-limits", unknown))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Management_users_read_every_users_limits_and_only_administrators_change_them()
    {
        var user = await CreateUserAsync(tags: "");
        (await Admin.PutAsync(Path("user-limits", user, "max-connections"), """{"value":7}""")).AssertStatus(204);
        var (_, management) = await UserClientAsync("management");
        var (_, untagged) = await UserClientAsync(string.Empty);

        var expected = JsonNode.Parse($$$"""{"user":"{{{user}}}","value":{"max-connections":7}}""");
        AssertJson($"[{expected!.ToJsonString()}]", await management.GetJsonAsync(Path("user-limits", user)));
        Assert.Contains((await management.GetJsonAsync("api/user-limits")).AsArray(), l => JsonNode.DeepEquals(expected, l));
        (await management.PutAsync(Path("user-limits", user, "max-connections"), """{"value":3}""")).AssertError(401, "not_authorised", "Not administrator user");
        (await management.DeleteAsync(Path("user-limits", user, "max-connections"))).AssertError(401, "not_authorised", "Not administrator user");
        (await untagged.GetAsync("api/user-limits")).AssertError(401, "not_authorised", "Not management user");
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\n but got {actual?.ToJsonString()}");
}
