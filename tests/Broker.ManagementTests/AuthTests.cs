using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>Basic authentication and the tags that let users in: RabbitMQ's 401 answers and their reasons.</summary>
public sealed class AuthTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task No_credentials_is_401_with_a_basic_challenge_and_no_body()
    {
        using var anonymous = Fixture.Client(null);

        var response = await anonymous.GetAsync("api/overview");

        response.AssertStatus(401);
        Assert.Equal("Basic realm=\"RabbitMQ Management\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal(string.Empty, response.Body);
    }

    [Fact]
    public async Task Wrong_password_is_401_login_failed_with_a_challenge()
    {
        using var client = Fixture.Client(Fixture.AdminUser, "not-the-password");

        var response = await client.GetAsync("api/overview");

        response.AssertError(401, "not_authorized", "Login failed");
        Assert.Equal("Basic realm=\"RabbitMQ Management\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
    }

    [Fact]
    public async Task Unknown_user_is_401_login_failed()
    {
        using var client = Fixture.Client(UniqueName("nobody"), "x");

        (await client.GetAsync("api/whoami")).AssertError(401, "not_authorized", "Login failed");
    }

    [Fact]
    public async Task User_without_a_management_tag_is_not_a_management_user()
    {
        var user = await CreateUserAsync(tags: "");
        using var client = Fixture.Client(user, "secret");

        (await client.GetAsync("api/overview")).AssertError(401, "not_authorised", "Not management user");
        (await client.GetAsync("api/whoami")).AssertError(401, "not_authorised", "Not management user");
    }

    [Theory]
    [InlineData("api/users")]
    [InlineData("api/permissions")]
    [InlineData("api/definitions")]
    [InlineData("api/users/guest")]
    public async Task Management_user_on_administrator_endpoints_is_not_administrator(string path)
    {
        var user = await CreateUserAsync(tags: "management");
        using var client = Fixture.Client(user, "secret");

        (await client.GetAsync(path)).AssertError(401, "not_authorised", "Not administrator user");
    }

    [Fact]
    public async Task Management_user_may_not_create_vhosts_or_users()
    {
        var user = await CreateUserAsync(tags: "management");
        using var client = Fixture.Client(user, "secret");
        var virtualHost = UniqueName("vh");
        var other = UniqueName("user");
        TrackVirtualHost(virtualHost);
        TrackUser(other);

        (await client.PutAsync(Path("vhosts", virtualHost))).AssertError(401, "not_authorised", "Not administrator user");
        (await client.PutAsync(Path("users", other), """{"password":"x","tags":""}""")).AssertError(401, "not_authorised", "Not administrator user");
        (await Admin.GetAsync(Path("vhosts", virtualHost))).AssertStatus(404);
    }

    [Fact]
    public async Task Management_user_on_nodes_is_not_monitor_user()
    {
        var user = await CreateUserAsync(tags: "management");
        using var client = Fixture.Client(user, "secret");

        (await client.GetAsync("api/nodes")).AssertError(401, "not_authorised", "Not monitor user");
    }

    [Fact]
    public async Task Monitoring_user_reads_nodes()
    {
        var user = await CreateUserAsync(tags: "monitoring");
        using var client = Fixture.Client(user, "secret");

        var nodes = (await client.GetJsonAsync("api/nodes")).AsArray();

        Assert.Single(nodes);
    }

    [Fact]
    public async Task Monitoring_user_sees_every_vhost_but_the_objects_only_of_those_it_has_permissions_on()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        var user = await CreateUserAsync(tags: "monitoring");
        using var client = Fixture.Client(user, "secret");

        Assert.Contains((await client.GetJsonAsync("api/vhosts")).AsArray(), v => v!["name"]!.GetValue<string>() == virtualHost);
        (await client.GetAsync(Path("queues", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        (await client.GetAsync(Path("exchanges", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        (await client.GetAsync(Path("bindings", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        Assert.DoesNotContain((await client.GetJsonAsync("api/queues")).AsArray(), q => q!["vhost"]!.GetValue<string>() == virtualHost);
        Assert.DoesNotContain((await client.GetJsonAsync("api/exchanges")).AsArray(), e => e!["vhost"]!.GetValue<string>() == virtualHost);

        await GrantAsync(virtualHost, user);
        Assert.Contains((await client.GetJsonAsync("api/queues")).AsArray(), q => q!["vhost"]!.GetValue<string>() == virtualHost);
        Assert.Single((await client.GetJsonAsync(Path("queues", virtualHost))).AsArray());
    }

    [Fact]
    public async Task Administrator_sees_the_objects_of_a_vhost_it_has_no_permissions_on()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        (await Admin.DeleteAsync(Path("permissions", virtualHost, Fixture.AdminUser))).AssertStatus(204);

        Assert.Single((await Admin.GetJsonAsync(Path("queues", virtualHost))).AsArray());
        Assert.Contains((await Admin.GetJsonAsync("api/queues")).AsArray(), q => q!["vhost"]!.GetValue<string>() == virtualHost);
        (await Admin.GetAsync(Path("queues", virtualHost, "q"))).AssertStatus(200);
    }

    [Fact]
    public async Task Management_user_without_permissions_on_a_vhost_is_not_authorised_to_access_it()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        var user = await CreateUserAsync(tags: "management");
        using var client = Fixture.Client(user, "secret");

        (await client.GetAsync(Path("queues", virtualHost))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        (await client.GetAsync(Path("queues", virtualHost, "q"))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        (await client.PutAsync(Path("queues", virtualHost, "other"))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
        (await client.GetAsync(Path("exchanges", virtualHost, "amq.direct"))).AssertError(401, "not_authorised", "User not authorised to access virtual host");
    }

    [Fact]
    public async Task Management_user_sees_only_the_vhosts_it_has_permissions_on()
    {
        var visible = await CreateVirtualHostAsync();
        var hidden = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "management");
        await GrantAsync(visible, user);
        using var client = Fixture.Client(user, "secret");

        var names = (await client.GetJsonAsync("api/vhosts")).AsArray().Select(v => v!["name"]!.GetValue<string>()).ToList();

        Assert.Equal([visible], names);
        Assert.DoesNotContain(hidden, names);
        (await client.GetJsonAsync(Path("queues", visible))).AsArray();
    }

    [Fact]
    public async Task Management_user_with_configure_permission_on_a_pattern_declares_only_matching_queues()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "management");
        await GrantAsync(virtualHost, user, configure: "^mine-.*");
        using var client = Fixture.Client(user, "secret");

        (await client.PutAsync(Path("queues", virtualHost, "mine-1"))).AssertStatus(201);
        (await client.PutAsync(Path("queues", virtualHost, "theirs-1"))).AssertError(401, "not_authorised", "Access refused.");
    }

    [Fact]
    public async Task Whoami_names_the_user_and_its_tags()
    {
        var user = await CreateUserAsync(tags: "management,policymaker");
        using var client = Fixture.Client(user, "secret");

        var me = await client.GetJsonAsync("api/whoami");
        var admin = await Admin.GetJsonAsync("api/whoami");

        Assert.Equal(user, me["name"]!.GetValue<string>());
        Assert.Equal(["management", "policymaker"], me["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(Fixture.AdminUser, admin["name"]!.GetValue<string>());
        Assert.Contains("administrator", admin["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Management_user_reading_one_vhost_is_not_administrator_even_with_permissions()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "management");
        await GrantAsync(virtualHost, user);
        using var client = Fixture.Client(user, "secret");

        (await client.GetAsync(Path("vhosts", virtualHost))).AssertError(401, "not_authorised", "Not administrator user");
    }
}
