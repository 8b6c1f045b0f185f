using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>
/// /api/policies: set (201, then 204), show, list (all, per vhost), clear (204, then 404), RabbitMQ 3.10's
/// validation reasons (HTML-escaped for policies) and who may read and change them.
/// </summary>
public sealed class PolicyTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private const string MaxLengthOne = """{"pattern":"^a","definition":{"max-length":1}}""";

    [Fact]
    public async Task Put_201_then_204_get_and_listings_show_it_and_delete_clears_it()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("policies", virtualHost, "p"), MaxLengthOne)).AssertStatus(201);
        var created = await Admin.GetJsonAsync(Path("policies", virtualHost, "p"));
        (await Admin.PutAsync(Path("policies", virtualHost, "p"), """{"pattern":"^b","definition":{"message-ttl":5},"apply-to":"queues","priority":3}""")).AssertStatus(204);
        var changed = await Admin.GetJsonAsync(Path("policies", virtualHost, "p"));
        var ofVirtualHost = (await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray();
        var all = (await Admin.GetJsonAsync("api/policies")).AsArray();

        // apply-to defaults to all and priority to 0.
        AssertJson($$"""{"vhost":"{{virtualHost}}","name":"p","pattern":"^a","apply-to":"all","definition":{"max-length":1},"priority":0}""", created);
        var expected = JsonNode.Parse($$"""{"vhost":"{{virtualHost}}","name":"p","pattern":"^b","apply-to":"queues","definition":{"message-ttl":5},"priority":3}""");
        AssertJson(expected!.ToJsonString(), changed);
        AssertJson(expected.ToJsonString(), Assert.Single(ofVirtualHost));
        Assert.Contains(all, p => JsonNode.DeepEquals(expected, p));

        (await Admin.DeleteAsync(Path("policies", virtualHost, "p"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("policies", virtualHost, "p"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("policies", virtualHost, "p"))).AssertError(404, "Object Not Found", "Not Found");
        Assert.Empty((await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray());
    }

    [Fact]
    public async Task A_name_with_a_slash_and_a_space_is_percent_encoded_in_the_path()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("policies", virtualHost, "a b/c"), MaxLengthOne)).AssertStatus(201);

        Assert.Equal("a b/c", (await Admin.GetJsonAsync(Path("policies", virtualHost, "a b/c")))["name"]!.GetValue<string>());
        (await Admin.DeleteAsync(Path("policies", virtualHost, "a b/c"))).AssertStatus(204);
    }

    [Fact]
    public async Task Deleting_a_vhost_deletes_its_policies_and_operator_policies()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await SetPolicyAsync(virtualHost, "p", "^a", new JsonObject { ["max-length"] = 1 });
        await SetPolicyAsync(virtualHost, "o", "^a", new JsonObject { ["max-length"] = 1 }, operatorPolicy: true);

        (await Admin.DeleteAsync(Path("vhosts", virtualHost))).AssertStatus(204);
        (await Admin.PutAsync(Path("vhosts", virtualHost))).AssertStatus(201);

        Assert.Empty((await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray());
        Assert.Empty((await Admin.GetJsonAsync(Path("operator-policies", virtualHost))).AsArray());
        Assert.DoesNotContain((await Admin.GetJsonAsync("api/policies")).AsArray(), p => p!["vhost"]!.GetValue<string>() == virtualHost);
    }

    [Fact]
    public async Task Policies_and_operator_policies_are_listed_apart()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await SetPolicyAsync(virtualHost, "same", "^a", new JsonObject { ["max-length"] = 1 });
        await SetPolicyAsync(virtualHost, "same", "^a", new JsonObject { ["max-length"] = 2 }, operatorPolicy: true);

        var policy = Assert.Single((await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray());
        var operatorPolicy = Assert.Single((await Admin.GetJsonAsync(Path("operator-policies", virtualHost))).AsArray());

        Assert.Equal(1, policy!["definition"]!["max-length"]!.GetValue<int>());
        Assert.Equal(2, operatorPolicy!["definition"]!["max-length"]!.GetValue<int>());
        (await Admin.DeleteAsync(Path("policies", virtualHost, "same"))).AssertStatus(204);
        Assert.Single((await Admin.GetJsonAsync(Path("operator-policies", virtualHost))).AsArray());
    }

    [Theory]
    [InlineData("{}", "[{key_missing,pattern},{key_missing,definition}]")]
    [InlineData("""{"pattern":"^a"}""", "[{key_missing,definition}]")]
    [InlineData("""{"definition":{"max-length":1}}""", "[{key_missing,pattern}]")]
    public async Task Put_with_missing_keys_is_400_naming_them(string body, string reason)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("policies", virtualHost, "p"), body)).AssertError(400, "bad_request", reason);
        (await Admin.GetAsync(Path("policies", virtualHost, "p"))).AssertStatus(404);
    }

    [Theory]
    [InlineData("""{"pattern":"^a","definition":{"foo":1}}""", "[{&lt;&lt;\"foo\"&gt;&gt;,1}] are not recognised policy settings")]
    [InlineData("""{"pattern":"^a","definition":{"max-length":1,"foo":2,"bar":"x"}}""", "[{&lt;&lt;\"bar\"&gt;&gt;,&lt;&lt;\"x\"&gt;&gt;},{&lt;&lt;\"foo\"&gt;&gt;,2}] are not recognised policy settings")]
    [InlineData("""{"pattern":"^a","definition":{"max-length":"x"}}""", "&lt;&lt;\"x\"&gt;&gt; is not a valid maximum length")]
    [InlineData("""{"pattern":"^a","definition":{"message-ttl":-1}}""", "-1 is not a valid message TTL")]
    [InlineData("""{"pattern":"^a","definition":{"message-ttl":1.5}}""", "1.5 is not a valid message TTL")]
    [InlineData("""{"pattern":"^a","definition":{"expires":0}}""", "0 is not a valid queue expiry")]
    [InlineData("""{"pattern":"^a","definition":{"overflow":"x"}}""", "&lt;&lt;\"x\"&gt;&gt; is not a valid overflow value")]
    [InlineData("""{"pattern":"^a","definition":{"dead-letter-exchange":5}}""", "5 is not a valid dead letter exchange name")]
    [InlineData("""{"pattern":"^a","definition":{"queue-mode":"x"}}""", "&lt;&lt;\"x\"&gt;&gt; is not a valid queue-mode value")]
    [InlineData("""{"pattern":"^a","definition":{"ha-params":1}}""", "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown")]
    [InlineData("""{"pattern":"^a","definition":{"ha-mode":"exactly","ha-params":0}}""", "ha-mode=\"exactly\" takes an integer, 0 given")]
    [InlineData("""{"pattern":"^a","definition":{}}""", "no policy provided")]
    [InlineData("""{"pattern":"(","definition":{"max-length":1}}""", "pattern should be regular expression but is invalid: {\"missing )\",1}")]
    [InlineData("""{"pattern":"^a","definition":{"max-length":1},"priority":"x"}""", "priority should be a number, actually was &lt;&lt;\"x\"&gt;&gt;")]
    [InlineData("""{"pattern":"^a","definition":{"max-length":1},"priority":"5"}""", "priority should be a number, actually was &lt;&lt;\"5\"&gt;&gt;")]
    [InlineData("""{"pattern":"^a","definition":{"max-length":1},"priority":null}""", "priority should be a number, actually was null")]
    [InlineData("""{"pattern":null,"definition":{"max-length":1}}""", "pattern should be a binary but was null")]
    [InlineData("""{"pattern":1,"definition":{"max-length":1},"priority":"x"}""", "pattern should be a binary but was 1\npriority should be a number, actually was &lt;&lt;\"x\"&gt;&gt;")]
    public async Task Invalid_policies_are_400_with_rabbitmqs_html_escaped_reason(string body, string problems)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("policies", virtualHost, "p"), body)).AssertError(400, "bad_request", $"Validation failed\n\n{problems}\n");
        (await Admin.GetAsync(Path("policies", virtualHost, "p"))).AssertStatus(404);
    }

    [Fact]
    public async Task An_unknown_apply_to_is_400_listing_the_known_ones()
    {
        var virtualHost = await CreateVirtualHostAsync();

        var response = await Admin.PutAsync(Path("policies", virtualHost, "p"), """{"pattern":"^a","definition":{"max-length":1},"apply-to":"foo"}""");

        // RabbitMQ 3.10 lists 'queues', 'exchanges' or 'all'; 3.12 adds its queue types (what the broker takes).
        response.AssertStatus(400);
        Assert.Equal("bad_request", response.Json["error"]!.GetValue<string>());
        Assert.StartsWith("Validation failed\n\napply-to 'foo' unrecognised; should be ", response.Json["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_vhost_is_404_vhost_not_found_on_put_and_not_found_otherwise()
    {
        var unknown = UniqueName("novh");

        (await Admin.PutAsync(Path("policies", unknown, "p"), MaxLengthOne)).AssertError(404, "not_found", "vhost_not_found");
        (await Admin.GetAsync(Path("policies", unknown))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("policies", unknown, "p"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.DeleteAsync(Path("policies", unknown, "p"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task A_policymaker_with_permissions_sets_shows_and_clears_policies()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var (_, policymaker) = await UserClientAsync("policymaker", virtualHost);

        (await policymaker.PutAsync(Path("policies", virtualHost, "p"), MaxLengthOne)).AssertStatus(201);
        var one = await policymaker.GetJsonAsync(Path("policies", virtualHost, "p"));
        var listed = (await policymaker.GetJsonAsync(Path("policies", virtualHost))).AsArray();
        var all = (await policymaker.GetJsonAsync("api/policies")).AsArray();
        (await policymaker.DeleteAsync(Path("policies", virtualHost, "p"))).AssertStatus(204);

        Assert.Equal("^a", one["pattern"]!.GetValue<string>());
        Assert.Single(listed);
        Assert.Contains(all, p => p!["vhost"]!.GetValue<string>() == virtualHost);
    }

    [Fact]
    public async Task A_policymaker_without_permissions_on_the_vhost_is_refused()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await SetPolicyAsync(virtualHost, "p", "^a", new JsonObject { ["max-length"] = 1 });
        var (_, policymaker) = await UserClientAsync("policymaker");

        (await policymaker.PutAsync(Path("policies", virtualHost, "q"), MaxLengthOne)).AssertError(401, "not_authorised", "User not authorised to access object");
        (await policymaker.GetAsync(Path("policies", virtualHost, "p"))).AssertError(401, "not_authorised", "User not authorised to access object");
        (await policymaker.DeleteAsync(Path("policies", virtualHost, "p"))).AssertError(401, "not_authorised", "User not authorised to access object");
        (await policymaker.GetAsync(Path("policies", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        Assert.DoesNotContain((await policymaker.GetJsonAsync("api/policies")).AsArray(), p => p!["vhost"]!.GetValue<string>() == virtualHost);

        // An unknown vhost is no one's: the policymaker learns it is not there.
        (await policymaker.PutAsync(Path("policies", UniqueName("novh"), "p"), MaxLengthOne)).AssertError(404, "not_found", "vhost_not_found");
    }

    [Fact]
    public async Task A_management_user_lists_policies_of_its_vhosts_but_cannot_read_or_change_one()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await SetPolicyAsync(virtualHost, "p", "^a", new JsonObject { ["max-length"] = 1 });
        var (_, management) = await UserClientAsync("management", virtualHost);

        var listed = (await management.GetJsonAsync(Path("policies", virtualHost))).AsArray();
        var all = (await management.GetJsonAsync("api/policies")).AsArray();
        (await management.GetAsync(Path("policies", virtualHost, "p"))).AssertError(401, "not_authorised", "User not authorised to access object");
        (await management.PutAsync(Path("policies", virtualHost, "q"), MaxLengthOne)).AssertError(401, "not_authorised", "User not authorised to access object");
        (await management.DeleteAsync(Path("policies", virtualHost, "p"))).AssertError(401, "not_authorised", "User not authorised to access object");

        // Authorisation comes first: for a management user an unknown vhost is refused too.
        (await management.PutAsync(Path("policies", UniqueName("novh"), "p"), MaxLengthOne)).AssertError(401, "not_authorised", "User not authorised to access object");
        Assert.Equal("p", Assert.Single(listed)!["name"]!.GetValue<string>());
        Assert.Contains(all, p => p!["vhost"]!.GetValue<string>() == virtualHost);
        Assert.Single((await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray());
    }

    [Fact]
    public async Task A_monitoring_user_sees_policies_only_where_it_has_permissions()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await SetPolicyAsync(virtualHost, "p", "^a", new JsonObject { ["max-length"] = 1 });
        var (_, monitoring) = await UserClientAsync("monitoring");

        (await monitoring.GetAsync(Path("policies", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        Assert.DoesNotContain((await monitoring.GetJsonAsync("api/policies")).AsArray(), p => p!["vhost"]!.GetValue<string>() == virtualHost);
    }

    [Fact]
    public async Task An_administrator_needs_no_permissions_on_the_vhost()
    {
        var virtualHost = await CreateVirtualHostAsync();
        (await Admin.DeleteAsync(Path("permissions", virtualHost, Fixture.AdminUser))).AssertStatus(204);

        (await Admin.PutAsync(Path("policies", virtualHost, "p"), MaxLengthOne)).AssertStatus(201);
        (await Admin.GetAsync(Path("policies", virtualHost, "p"))).AssertStatus(200);
        Assert.Single((await Admin.GetJsonAsync(Path("policies", virtualHost))).AsArray());
        Assert.Contains((await Admin.GetJsonAsync("api/policies")).AsArray(), p => p!["vhost"]!.GetValue<string>() == virtualHost);
        (await Admin.DeleteAsync(Path("policies", virtualHost, "p"))).AssertStatus(204);
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\n but got {actual?.ToJsonString()}");
}
