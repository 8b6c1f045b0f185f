using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>
/// /api/topic-permissions (and per user, per vhost): administrators set them per exchange (201 for a
/// user's first in the vhost, 204 after), list them, and clear all of a user's in a vhost at once.
/// </summary>
public sealed class TopicPermissionTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Put_201_for_the_first_then_204_and_every_listing_shows_them()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");

        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"amq.topic","write":"^w","read":"^r"}""")).AssertStatus(201);
        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"amq.topic","write":"^w","read":"^r"}""")).AssertStatus(204);

        // A second exchange is no new resource: the user already has topic permissions in the vhost.
        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"other","write":"x","read":"y"}""")).AssertStatus(204);

        var topic = Expected(user, virtualHost, "amq.topic", "^w", "^r");
        var other = Expected(user, virtualHost, "other", "x", "y");
        AssertSameSet([topic, other], await Admin.GetJsonAsync(Path("topic-permissions", virtualHost, user)));
        AssertSameSet([topic, other], await Admin.GetJsonAsync(Path("users", user, "topic-permissions")));
        AssertSameSet([topic, other], await Admin.GetJsonAsync(Path("vhosts", virtualHost, "topic-permissions")));
        var all = (await Admin.GetJsonAsync("api/topic-permissions")).AsArray();
        Assert.Contains(all, p => JsonNode.DeepEquals(topic, p));
        Assert.Contains(all, p => JsonNode.DeepEquals(other, p));
    }

    [Fact]
    public async Task Delete_clears_all_of_the_users_topic_permissions_in_the_vhost_whatever_the_query_says()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");
        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"amq.topic","write":".*","read":".*"}""")).AssertStatus(201);
        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"other","write":".*","read":".*"}""")).AssertStatus(204);

        (await Admin.DeleteAsync(Path("topic-permissions", virtualHost, user) + "?exchange=other")).AssertStatus(204);

        (await Admin.GetAsync(Path("topic-permissions", virtualHost, user))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.DeleteAsync(Path("topic-permissions", virtualHost, user))).AssertError(404, "Object Not Found", "Not Found");
        Assert.Empty((await Admin.GetJsonAsync(Path("users", user, "topic-permissions"))).AsArray());
    }

    [Theory]
    [InlineData("{}", "[{key_missing,exchange},{key_missing,write},{key_missing,read}]")]
    [InlineData("""{"exchange":"amq.topic"}""", "[{key_missing,write},{key_missing,read}]")]
    public async Task Put_with_missing_keys_is_400_naming_them(string body, string reason)
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");

        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), body)).AssertError(400, "bad_request", reason);
    }

    [Fact]
    public async Task Unknown_vhosts_and_users_are_400_on_put_and_404_on_get()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");
        var body = """{"exchange":"amq.topic","write":".*","read":".*"}""";

        (await Admin.PutAsync(Path("topic-permissions", UniqueName("novh"), user), body)).AssertError(400, "bad_request", "vhost_or_user_not_found");
        (await Admin.PutAsync(Path("topic-permissions", virtualHost, UniqueName("nouser")), body)).AssertError(400, "bad_request", "vhost_or_user_not_found");
        (await Admin.GetAsync(Path("topic-permissions", virtualHost, user))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("topic-permissions", UniqueName("novh"), user))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("users", UniqueName("nouser"), "topic-permissions"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("vhosts", UniqueName("novh"), "topic-permissions"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Theory]
    [InlineData("policymaker")]
    [InlineData("monitoring")]
    [InlineData("management")]
    public async Task Only_administrators_read_or_change_them(string tags)
    {
        var virtualHost = await CreateVirtualHostAsync();
        var (user, client) = await UserClientAsync(tags, virtualHost);
        (await Admin.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"amq.topic","write":".*","read":".*"}""")).AssertStatus(201);

        (await client.GetAsync("api/topic-permissions")).AssertError(401, "not_authorised", "Not administrator user");
        (await client.GetAsync(Path("topic-permissions", virtualHost, user))).AssertError(401, "not_authorised", "Not administrator user");
        (await client.PutAsync(Path("topic-permissions", virtualHost, user), """{"exchange":"x","write":".*","read":".*"}""")).AssertError(401, "not_authorised", "Not administrator user");
        (await client.DeleteAsync(Path("topic-permissions", virtualHost, user))).AssertError(401, "not_authorised", "Not administrator user");
    }

    private static JsonObject Expected(string user, string virtualHost, string exchange, string write, string read) =>
        new() { ["user"] = user, ["vhost"] = virtualHost, ["exchange"] = exchange, ["write"] = write, ["read"] = read };

    /// <summary>RabbitMQ lists one user's topic permissions in no fixed order.</summary>
    private static void AssertSameSet(JsonObject[] expected, JsonNode actual)
    {
        var array = actual.AsArray();
        Assert.True(array.Count == expected.Length && expected.All(e => array.Any(a => JsonNode.DeepEquals(e, a))), $"got {actual.ToJsonString()}");
    }
}
