using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>
/// /api/operator-policies: administrators set, show and clear them; others with permissions on the vhost
/// may list them; only the limits an operator caps are accepted, with reasons RabbitMQ 3.10 does not escape.
/// </summary>
public sealed class OperatorPolicyTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private const string MaxLengthFive = """{"pattern":"^a","definition":{"max-length":5},"apply-to":"queues"}""";

    [Fact]
    public async Task Put_201_then_204_get_and_listings_show_it_and_delete_clears_it()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("operator-policies", virtualHost, "o"), MaxLengthFive)).AssertStatus(201);
        (await Admin.PutAsync(Path("operator-policies", virtualHost, "o"), MaxLengthFive)).AssertStatus(204);
        var one = await Admin.GetJsonAsync(Path("operator-policies", virtualHost, "o"));
        var listed = (await Admin.GetJsonAsync(Path("operator-policies", virtualHost))).AsArray();
        var all = (await Admin.GetJsonAsync("api/operator-policies")).AsArray();

        var expected = JsonNode.Parse($$"""{"vhost":"{{virtualHost}}","name":"o","pattern":"^a","apply-to":"queues","definition":{"max-length":5},"priority":0}""");
        Assert.True(JsonNode.DeepEquals(expected, one), one.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected, Assert.Single(listed)), listed.ToJsonString());
        Assert.Contains(all, p => JsonNode.DeepEquals(expected, p));
        Assert.Empty((await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray());

        (await Admin.DeleteAsync(Path("operator-policies", virtualHost, "o"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("operator-policies", virtualHost, "o"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("operator-policies", virtualHost, "o"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Theory]
    [InlineData("{}", "[{key_missing,pattern},{key_missing,definition}]")]
    [InlineData("""{"pattern":"^a"}""", "[{key_missing,definition}]")]
    [InlineData("""{"pattern":"^a","definition":{"alternate-exchange":"x"}}""", "Validation failed\n\n[{<<\"alternate-exchange\">>,<<\"x\">>}] are not recognised policy settings\n")]
    [InlineData("""{"pattern":"^a","definition":{"max-length":"x"}}""", "Validation failed\n\n<<\"x\">> is not a valid maximum length\n")]
    [InlineData("""{"pattern":"^a","definition":{"message-ttl":-1}}""", "Validation failed\n\n-1 is not a valid message TTL\n")]
    public async Task Invalid_operator_policies_are_400_with_rabbitmqs_unescaped_reason(string body, string reason)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("operator-policies", virtualHost, "o"), body)).AssertError(400, "bad_request", reason);
        (await Admin.GetAsync(Path("operator-policies", virtualHost, "o"))).AssertStatus(404);
    }

    [Fact]
    public async Task An_operator_policy_may_apply_to_exchanges()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("operator-policies", virtualHost, "o"), """{"pattern":"^a","definition":{"max-length":1},"apply-to":"exchanges"}""")).AssertStatus(201);
    }

    [Fact]
    public async Task An_unknown_vhost_is_404_vhost_not_found_on_put()
    {
        var unknown = UniqueName("novh");

        (await Admin.PutAsync(Path("operator-policies", unknown, "o"), MaxLengthFive)).AssertError(404, "not_found", "vhost_not_found");
        (await Admin.GetAsync(Path("operator-policies", unknown))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task A_policymaker_lists_them_in_its_vhosts_but_cannot_read_one_or_set_them()
    {
        var virtualHost = await CreateVirtualHostAsync();
        (await Admin.PutAsync(Path("operator-policies", virtualHost, "o"), MaxLengthFive)).AssertStatus(201);
        var (_, policymaker) = await UserClientAsync("policymaker", virtualHost);

        var listed = (await policymaker.GetJsonAsync(Path("operator-policies", virtualHost))).AsArray();
        (await policymaker.GetAsync(Path("operator-policies", virtualHost, "o"))).AssertError(401, "not_authorised", "Not administrator user");
        (await policymaker.PutAsync(Path("operator-policies", virtualHost, "p"), MaxLengthFive)).AssertError(401, "not_authorised", "Not administrator user");
        (await policymaker.DeleteAsync(Path("operator-policies", virtualHost, "o"))).AssertError(401, "not_authorised", "Not administrator user");

        Assert.Equal("o", Assert.Single(listed)!["name"]!.GetValue<string>());
        Assert.Equal("o", Assert.Single((await Admin.GetJsonAsync(Path("operator-policies", virtualHost))).AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_management_user_sees_them_only_in_vhosts_it_has_permissions_on()
    {
        var mine = await CreateVirtualHostAsync();
        var other = await CreateVirtualHostAsync();
        (await Admin.PutAsync(Path("operator-policies", mine, "o"), MaxLengthFive)).AssertStatus(201);
        (await Admin.PutAsync(Path("operator-policies", other, "o"), MaxLengthFive)).AssertStatus(201);
        var (_, management) = await UserClientAsync("management", mine);

        var all = (await management.GetJsonAsync("api/operator-policies")).AsArray();
        (await management.GetAsync(Path("operator-policies", other))).AssertError(401, "not_authorised", "User not authorised to access virtual host");

        Assert.Contains(all, p => p!["vhost"]!.GetValue<string>() == mine);
        Assert.DoesNotContain(all, p => p!["vhost"]!.GetValue<string>() == other);
    }
}
