using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>/api/vhosts: create (201, then 204), show, list, delete (204, then 404), and what deletion does to connections.</summary>
public sealed class VirtualHostTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Put_creates_201_then_204_and_get_shows_it()
    {
        var name = UniqueName("vh");
        TrackVirtualHost(name);

        (await Admin.PutAsync(Path("vhosts", name))).AssertStatus(201);
        (await Admin.PutAsync(Path("vhosts", name))).AssertStatus(204);
        var json = await Admin.GetJsonAsync(Path("vhosts", name));

        Assert.Equal(name, json["name"]!.GetValue<string>());
        Assert.False(json["tracing"]!.GetValue<bool>());
        Assert.Equal("running", json["cluster_state"]!.AsObject().Single().Value!.GetValue<string>());
        var listed = (await Admin.GetJsonAsync("api/vhosts")).AsArray().Select(v => v!["name"]!.GetValue<string>());
        Assert.Contains(name, listed);
    }

    [Fact]
    public async Task Creating_a_vhost_gives_its_creator_full_permissions_there()
    {
        var name = UniqueName("vh");
        TrackVirtualHost(name);

        (await Admin.PutAsync(Path("vhosts", name))).AssertStatus(201);
        var permissions = await Admin.GetJsonAsync(Path("permissions", name, Fixture.AdminUser));

        Assert.Equal((".*", ".*", ".*"), (permissions["configure"]!.GetValue<string>(), permissions["write"]!.GetValue<string>(), permissions["read"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Delete_is_204_then_404_and_the_vhost_is_gone()
    {
        var name = await CreateVirtualHostAsync();
        await DeclareQueueAsync(name, "q");

        (await Admin.DeleteAsync(Path("vhosts", name))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("vhosts", name))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("vhosts", name))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("queues", name, "q"))).AssertError(404, "Object Not Found", "Not Found");
        Assert.DoesNotContain(name, (await Admin.GetJsonAsync("api/vhosts")).AsArray().Select(v => v!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Deleting_a_vhost_closes_its_connections_with_connection_forced()
    {
        var name = await CreateVirtualHostAsync();
        var connection = await ConnectAsync(name);
        var other = await ConnectAsync("/");

        (await Admin.DeleteAsync(Path("vhosts", name))).AssertStatus(204);
        var reason = await connection.WaitForCloseAsync();

        Assert.Equal(320, reason.ReplyCode);

        // RabbitMQ says "is deleted", or "is down" when the vhost's processes stop before its connections are closed.
        Assert.Contains(reason.ReplyText, new[] { $"CONNECTION_FORCED - vhost '{name}' is deleted", $"CONNECTION_FORCED - vhost '{name}' is down" });
        Assert.True(other.IsOpen, "a connection to another vhost stays open");
    }

    [Fact]
    public async Task Vhost_shows_message_counts_of_its_queues()
    {
        var name = await CreateVirtualHostAsync();
        await DeclareQueueAsync(name, "a");
        await DeclareQueueAsync(name, "b");
        await PublishOverApiAsync(name, "a", "1");
        await PublishOverApiAsync(name, "b", "2");
        await PublishOverApiAsync(name, "b", "3");

        var json = await EventuallyAsync(Path("vhosts", name), v => v["messages"]?.GetValue<long>() == 3, "the vhost counts 3 messages");

        Assert.Equal(3, json["messages_ready"]!.GetValue<long>());
        Assert.Equal(0, json["messages_unacknowledged"]!.GetValue<long>());
    }
}
