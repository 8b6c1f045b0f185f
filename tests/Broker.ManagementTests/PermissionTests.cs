using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>/api/permissions: set (201, then 204), show, list by vhost and by user, delete, and RabbitMQ's 400 answers.</summary>
public sealed class PermissionTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Put_with_missing_keys_is_400_naming_each_missing_key()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");

        (await Admin.PutAsync(Path("permissions", virtualHost, user), """{"configure":".*"}"""))
            .AssertError(400, "bad_request", "[{key_missing,write},{key_missing,read}]");
        (await Admin.PutAsync(Path("permissions", virtualHost, user), "{}"))
            .AssertError(400, "bad_request", "[{key_missing,configure},{key_missing,write},{key_missing,read}]");
        (await Admin.GetAsync(Path("permissions", virtualHost, user))).AssertStatus(404);
    }

    [Fact]
    public async Task Unknown_vhost_or_user_is_400_vhost_or_user_not_found()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");
        var all = """{"configure":".*","write":".*","read":".*"}""";

        (await Admin.PutAsync(Path("permissions", UniqueName("novh"), user), all)).AssertError(400, "bad_request", "vhost_or_user_not_found");
        (await Admin.PutAsync(Path("permissions", virtualHost, UniqueName("nouser")), all)).AssertError(400, "bad_request", "vhost_or_user_not_found");
    }

    [Fact]
    public async Task Put_201_then_204_get_and_listings_show_them_and_delete_removes_them()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");
        var body = new JsonObject { ["configure"] = "^c$", ["write"] = "^w$", ["read"] = "^r$" };

        (await Admin.PutAsync(Path("permissions", virtualHost, user), body)).AssertStatus(201);
        (await Admin.PutAsync(Path("permissions", virtualHost, user), body)).AssertStatus(204);
        var one = await Admin.GetJsonAsync(Path("permissions", virtualHost, user));
        var ofVirtualHost = (await Admin.GetJsonAsync(Path("vhosts", virtualHost, "permissions"))).AsArray();
        var ofUser = (await Admin.GetJsonAsync(Path("users", user, "permissions"))).AsArray();
        var all = (await Admin.GetJsonAsync("api/permissions")).AsArray();

        var expected = new JsonObject { ["user"] = user, ["vhost"] = virtualHost, ["configure"] = "^c$", ["write"] = "^w$", ["read"] = "^r$" };
        Assert.True(JsonNode.DeepEquals(expected, one), one.ToJsonString());
        Assert.Equal(
            [Fixture.AdminUser, user],
            ofVirtualHost.Select(p => p!["user"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.True(JsonNode.DeepEquals(expected, Assert.Single(ofUser)), ofUser.ToJsonString());
        Assert.Contains(all, p => JsonNode.DeepEquals(expected, p));

        (await Admin.DeleteAsync(Path("permissions", virtualHost, user))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("permissions", virtualHost, user))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("permissions", virtualHost, user))).AssertError(404, "Object Not Found", "Not Found");
        Assert.Empty((await Admin.GetJsonAsync(Path("users", user, "permissions"))).AsArray());
    }

    [Fact]
    public async Task Without_permissions_a_user_cannot_open_a_connection_to_the_vhost()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "");

        // RabbitMQ.Client hands back the connection the broker closed at connection.open.
        var refused = await ConnectAsync(virtualHost, user: user, password: "secret");
        var reason = await refused.WaitForCloseAsync();
        Assert.Equal(530, reason.ReplyCode);
        Assert.Equal($"NOT_ALLOWED - access to vhost '{virtualHost}' refused for user '{user}'", reason.ReplyText);

        await GrantAsync(virtualHost, user);
        var connection = await ConnectAsync(virtualHost, user: user, password: "secret");

        Assert.True(connection.IsOpen);
    }
}
