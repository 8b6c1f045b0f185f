using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client.Exceptions;

namespace Broker.ManagementTests;

/// <summary>/api/users: passwords and RabbitMQ's salted SHA-256 hashes, tags, deletion, and logging in over AMQP.</summary>
public sealed class UserTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    /// <summary>RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)), with a 4-byte salt.</summary>
    private static string RabbitHash(string password, byte[] salt)
    {
        var hash = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(password)]);
        return Convert.ToBase64String([.. salt, .. hash]);
    }

    private static List<string> Tags(JsonNode user) => [.. user["tags"]!.AsArray().Select(t => t!.GetValue<string>())];

    [Fact]
    public async Task Put_with_a_password_creates_201_then_204_and_the_user_logs_in_over_amqp()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var name = UniqueName("user");
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password":"s3cret","tags":""}""")).AssertStatus(201);
        (await Admin.PutAsync(Path("users", name), """{"password":"s3cret","tags":""}""")).AssertStatus(204);
        await GrantAsync(virtualHost, name);
        var user = await Admin.GetJsonAsync(Path("users", name));
        var connection = await ConnectAsync(virtualHost, user: name, password: "s3cret");

        Assert.Equal(name, user["name"]!.GetValue<string>());
        Assert.Equal("rabbit_password_hashing_sha256", user["hashing_algorithm"]!.GetValue<string>());
        var hash = Convert.FromBase64String(user["password_hash"]!.GetValue<string>());
        Assert.Equal(36, hash.Length);
        Assert.Equal(Convert.ToBase64String(hash), RabbitHash("s3cret", hash[..4]));
        Assert.Empty(Tags(user));
        Assert.Empty(user["limits"]!.AsObject());
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task Wrong_password_over_amqp_is_refused()
    {
        var name = await CreateUserAsync(tags: "", password: "right");

        await Assert.ThrowsAsync<BrokerUnreachableException>(() => ConnectAsync("/", user: name, password: "wrong"));
    }

    [Fact]
    public async Task Put_with_a_password_hash_keeps_it_and_its_password_logs_in()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var name = UniqueName("user");
        TrackUser(name);
        var hash = RabbitHash("from-hash", [1, 2, 3, 4]);

        (await Admin.PutAsync(Path("users", name), new JsonObject { ["password_hash"] = hash, ["tags"] = "management" })).AssertStatus(201);
        await GrantAsync(virtualHost, name);
        var user = await Admin.GetJsonAsync(Path("users", name));
        var connection = await ConnectAsync(virtualHost, user: name, password: "from-hash");

        Assert.Equal(hash, user["password_hash"]!.GetValue<string>());
        Assert.Equal(["management"], Tags(user));
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task An_empty_password_hash_means_no_password_login()
    {
        var name = UniqueName("user");
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password_hash":"","tags":"management"}""")).AssertStatus(201);
        var user = await Admin.GetJsonAsync(Path("users", name));
        using var client = Fixture.Client(name, string.Empty);

        Assert.Equal(string.Empty, user["password_hash"]!.GetValue<string>());
        (await client.GetAsync("api/whoami")).AssertError(401, "not_authorized", "Login failed");
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => ConnectAsync("/", user: name, password: string.Empty));
    }

    [Fact]
    public async Task Put_without_a_password_clears_the_password()
    {
        var name = await CreateUserAsync(tags: "management", password: "before");

        (await Admin.PutAsync(Path("users", name), """{"tags":"management"}""")).AssertStatus(204);
        var user = await Admin.GetJsonAsync(Path("users", name));
        using var client = Fixture.Client(name, "before");

        Assert.Equal(string.Empty, user["password_hash"]!.GetValue<string>());
        (await client.GetAsync("api/whoami")).AssertError(401, "not_authorized", "Login failed");
    }

    [Fact]
    public async Task Tags_are_taken_as_a_comma_separated_string_or_an_array()
    {
        var name = UniqueName("user");
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password":"x","tags":"management,monitoring"}""")).AssertStatus(201);
        var fromString = Tags(await Admin.GetJsonAsync(Path("users", name)));
        (await Admin.PutAsync(Path("users", name), """{"password":"x","tags":["policymaker","custom-tag"]}""")).AssertStatus(204);
        var fromArray = Tags(await Admin.GetJsonAsync(Path("users", name)));

        Assert.Equal(["management", "monitoring"], fromString);
        Assert.Equal(["policymaker", "custom-tag"], fromArray);
    }

    [Fact]
    public async Task Put_without_tags_is_400_tags_not_present()
    {
        var name = UniqueName("user");
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password":"x"}""")).AssertError(400, "bad_request", "tags_not_present");
        (await Admin.GetAsync(Path("users", name))).AssertStatus(404);
    }

    [Fact]
    public async Task Put_with_both_a_password_and_a_hash_is_400()
    {
        var name = UniqueName("user");
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password":"x","password_hash":"abcd","tags":""}"""))
            .AssertError(400, "bad_request", "both_password_and_password_hash_are_provided");
    }

    [Fact]
    public async Task Put_with_a_hash_that_is_not_base64_is_400_not_base64()
    {
        var name = UniqueName("user");
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password_hash":"abc","tags":""}"""))
            .AssertError(400, "bad_request", new JsonArray("not_base64", "abc"));
        (await Admin.GetAsync(Path("users", name))).AssertStatus(404);
    }

    [Fact]
    public async Task Users_are_listed_with_their_hashes_and_tags()
    {
        var name = await CreateUserAsync(tags: "monitoring");

        var users = (await Admin.GetJsonAsync("api/users")).AsArray();

        var user = users.Single(u => u!["name"]!.GetValue<string>() == name)!;
        Assert.Equal(["monitoring"], Tags(user));
        Assert.Equal("rabbit_password_hashing_sha256", user["hashing_algorithm"]!.GetValue<string>());
        Assert.Equal(36, Convert.FromBase64String(user["password_hash"]!.GetValue<string>()).Length);
    }

    [Fact]
    public async Task Delete_is_204_then_404()
    {
        var name = await CreateUserAsync(tags: "");

        (await Admin.DeleteAsync(Path("users", name))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("users", name))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("users", name))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Deleted_user_can_no_longer_log_in()
    {
        var name = await CreateUserAsync(tags: "management");
        using var client = Fixture.Client(name, "secret");
        (await client.GetAsync("api/whoami")).AssertStatus(200);

        (await Admin.DeleteAsync(Path("users", name))).AssertStatus(204);

        (await client.GetAsync("api/whoami")).AssertError(401, "not_authorized", "Login failed");
    }

    [Fact]
    public async Task Bulk_delete_removes_every_listed_user()
    {
        var first = await CreateUserAsync(tags: "");
        var second = await CreateUserAsync(tags: "");
        var kept = await CreateUserAsync(tags: "");

        (await Admin.PostAsync("api/users/bulk-delete", new JsonObject { ["users"] = new JsonArray(first, second) })).AssertStatus(204);

        (await Admin.GetAsync(Path("users", first))).AssertStatus(404);
        (await Admin.GetAsync(Path("users", second))).AssertStatus(404);
        (await Admin.GetAsync(Path("users", kept))).AssertStatus(200);
    }

    [Fact]
    public async Task Without_permissions_lists_users_with_none()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var without = await CreateUserAsync(tags: "");
        var with = await CreateUserAsync(tags: "");
        await GrantAsync(virtualHost, with);

        var names = (await Admin.GetJsonAsync("api/users/without-permissions")).AsArray().Select(u => u!["name"]!.GetValue<string>()).ToList();

        Assert.Contains(without, names);
        Assert.DoesNotContain(with, names);
    }

    [Fact]
    public async Task User_names_longer_than_255_bytes_are_accepted()
    {
        var name = UniqueName("user") + new string('u', 240);
        TrackUser(name);

        (await Admin.PutAsync(Path("users", name), """{"password":"x","tags":""}""")).AssertStatus(201);
        Assert.Equal(name, (await Admin.GetJsonAsync(Path("users", name)))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bulk_delete_stops_at_an_unknown_user_with_400_no_such_user()
    {
        var before = await CreateUserAsync(tags: "");
        var after = await CreateUserAsync(tags: "");
        var unknown = UniqueName("nouser");

        (await Admin.PostAsync("api/users/bulk-delete", new JsonObject { ["users"] = new JsonArray(before, unknown, after) }))
            .AssertError(400, "bad_request", new JsonArray("no_such_user", unknown));
        (await Admin.PostAsync("api/users/bulk-delete", "{}")).AssertError(400, "bad_request", "[{key_missing,users}]");
        (await Admin.GetAsync(Path("users", before))).AssertStatus(404);
        (await Admin.GetAsync(Path("users", after))).AssertStatus(200);
    }
}
