using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client;

namespace Broker.ManagementTests;

/// <summary>/api/connections, /api/channels and /api/consumers: what RabbitMQ.Client's connections look like, and closing them.</summary>
public sealed class ConnectionTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    /// <summary>The connection whose client-provided name is <paramref name="clientName"/>, once its statistics show <paramref name="channels"/> channels.</summary>
    private async Task<JsonNode> FindConnectionAsync(string virtualHost, string clientName, int channels = 0)
    {
        JsonNode? found = null;
        await EventuallyAsync(Path("vhosts", virtualHost, "connections"), list =>
        {
            found = list.AsArray().SingleOrDefault(c => c!["user_provided_name"]?.GetValue<string>() == clientName);
            return found?["channels"]?.GetValue<int>() == channels;
        }, $"connection '{clientName}' is listed with {channels} channel(s)");
        return found!;
    }

    [Fact]
    public async Task Connection_shows_its_client_provided_name_vhost_user_and_channels()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var clientName = UniqueName("conn");
        var connection = await ConnectAsync(virtualHost, clientName);
        await connection.CreateChannelAsync();

        var json = await FindConnectionAsync(virtualHost, clientName, channels: 1);

        Assert.Equal(clientName, json["client_properties"]!["connection_name"]!.GetValue<string>());
        Assert.Equal("RabbitMQ", json["client_properties"]!["product"]!.GetValue<string>());
        Assert.Equal(virtualHost, json["vhost"]!.GetValue<string>());
        Assert.Equal(Fixture.Factory().UserName, json["user"]!.GetValue<string>());
        Assert.Equal("running", json["state"]!.GetValue<string>());
        Assert.Equal("AMQP 0-9-1", json["protocol"]!.GetValue<string>());
        Assert.Equal("PLAIN", json["auth_mechanism"]!.GetValue<string>());
        Assert.Equal("network", json["type"]!.GetValue<string>());
        Assert.False(json["ssl"]!.GetValue<bool>());
        Assert.Equal(Fixture.AmqpUri.Port, json["port"]!.GetValue<int>());
        Assert.Equal(30, json["timeout"]!.GetValue<int>());
        var name = json["name"]!.GetValue<string>();
        Assert.Equal($"{json["peer_host"]!.GetValue<string>()}:{json["peer_port"]!.GetValue<int>()} -> {json["host"]!.GetValue<string>()}:{Fixture.AmqpUri.Port}", name);
        Assert.True(json["connected_at"]!.GetValue<long>() > 1_600_000_000_000, "connected_at is in milliseconds since the epoch");
    }

    [Fact]
    public async Task Connection_is_found_by_name()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var clientName = UniqueName("conn");
        await ConnectAsync(virtualHost, clientName);
        var listed = await FindConnectionAsync(virtualHost, clientName);

        var one = await Admin.GetJsonAsync(Path("connections", listed["name"]!.GetValue<string>()));

        Assert.Equal(listed["name"]!.GetValue<string>(), one["name"]!.GetValue<string>());
        Assert.Equal(clientName, one["user_provided_name"]!.GetValue<string>());
        Assert.Contains(
            (await Admin.GetJsonAsync("api/connections")).AsArray(),
            c => c!["name"]!.GetValue<string>() == listed["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_connection_and_channel_are_404()
    {
        (await Admin.GetAsync(Path("connections", "127.0.0.1:1 -> 127.0.0.1:2"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.DeleteAsync(Path("connections", "127.0.0.1:1 -> 127.0.0.1:2"))).AssertError(404, "Object Not Found", "Not Found");
        (await Admin.GetAsync(Path("channels", "127.0.0.1:1 -> 127.0.0.1:2 (1)"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Delete_closes_the_connection_with_connection_forced_closed_via_management_plugin()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var clientName = UniqueName("conn");
        var connection = await ConnectAsync(virtualHost, clientName);
        var name = (await FindConnectionAsync(virtualHost, clientName))["name"]!.GetValue<string>();

        (await Admin.DeleteAsync(Path("connections", name))).AssertStatus(204);
        var reason = await connection.WaitForCloseAsync();

        Assert.Equal(ShutdownInitiator.Peer, reason.Initiator);
        Assert.Equal(320, reason.ReplyCode);
        Assert.Equal("CONNECTION_FORCED - Closed via management plugin", reason.ReplyText);
        await EventuallyAsync(async () => (await Admin.GetAsync(Path("connections", name))).Status == 404, "the closed connection is no longer listed");
    }

    [Fact]
    public async Task X_Reason_header_sets_the_close_text()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var clientName = UniqueName("conn");
        var connection = await ConnectAsync(virtualHost, clientName);
        var name = (await FindConnectionAsync(virtualHost, clientName))["name"]!.GetValue<string>();

        (await Admin.DeleteAsync(Path("connections", name), new Dictionary<string, string> { ["X-Reason"] = "maintenance window" })).AssertStatus(204);
        var reason = await connection.WaitForCloseAsync();

        Assert.Equal(320, reason.ReplyCode);
        Assert.Equal("CONNECTION_FORCED - maintenance window", reason.ReplyText);
    }

    [Fact]
    public async Task Channels_show_confirm_mode_prefetch_consumers_and_unacknowledged_messages()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");
        await PublishOverApiAsync(virtualHost, "q", "2");
        var clientName = UniqueName("conn");
        var connection = await ConnectAsync(virtualHost, clientName);
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicQosAsync(0, 5, false);
        await channel.BasicConsumeAsync("q", autoAck: false, new AsyncDefaultBasicConsumer(channel));
        var connectionName = (await FindConnectionAsync(virtualHost, clientName, channels: 1))["name"]!.GetValue<string>();

        var channels = await EventuallyAsync(
            Path("connections", connectionName, "channels"),
            list => list.AsArray().SingleOrDefault()?["messages_unacknowledged"]?.GetValue<int>() == 2,
            "the channel holds two unacknowledged deliveries");

        var json = Assert.Single(channels.AsArray())!;
        Assert.Equal($"{connectionName} (1)", json["name"]!.GetValue<string>());
        Assert.Equal(1, json["number"]!.GetValue<int>());
        Assert.True(json["confirm"]!.GetValue<bool>());
        Assert.False(json["transactional"]!.GetValue<bool>());
        Assert.Equal(5, json["prefetch_count"]!.GetValue<int>());
        Assert.Equal(0, json["global_prefetch_count"]!.GetValue<int>());
        Assert.Equal(1, json["consumer_count"]!.GetValue<int>());
        Assert.Equal(virtualHost, json["vhost"]!.GetValue<string>());
        Assert.Equal(connectionName, json["connection_details"]!["name"]!.GetValue<string>());
        Assert.Equal("running", json["state"]!.GetValue<string>());
        var one = await Admin.GetJsonAsync(Path("channels", json["name"]!.GetValue<string>()));
        Assert.Equal(json["name"]!.GetValue<string>(), one["name"]!.GetValue<string>());
        Assert.Contains((await Admin.GetJsonAsync(Path("vhosts", virtualHost, "channels"))).AsArray(), c => c!["name"]!.GetValue<string>() == json["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Consumers_show_tag_queue_channel_ack_mode_and_prefetch()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        var clientName = UniqueName("conn");
        var connection = await ConnectAsync(virtualHost, clientName);
        var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 3, false);
        await channel.BasicConsumeAsync("q", autoAck: false, consumerTag: "my-consumer", noLocal: false, exclusive: true, arguments: null, new AsyncDefaultBasicConsumer(channel));
        var connectionName = (await FindConnectionAsync(virtualHost, clientName, channels: 1))["name"]!.GetValue<string>();

        var consumers = await EventuallyAsync(Path("consumers", virtualHost), list => list.AsArray().Count == 1, "one consumer in the vhost");

        var consumer = Assert.Single(consumers.AsArray())!;
        Assert.Equal("my-consumer", consumer["consumer_tag"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["name"] = "q", ["vhost"] = virtualHost }, consumer["queue"]), consumer["queue"]!.ToJsonString());
        Assert.True(consumer["ack_required"]!.GetValue<bool>());
        Assert.True(consumer["exclusive"]!.GetValue<bool>());
        Assert.Equal(3, consumer["prefetch_count"]!.GetValue<int>());
        Assert.True(consumer["active"]!.GetValue<bool>());
        Assert.Empty(consumer["arguments"]!.AsObject());
        var details = consumer["channel_details"]!;
        Assert.Equal(connectionName, details["connection_name"]!.GetValue<string>());
        Assert.Equal($"{connectionName} (1)", details["name"]!.GetValue<string>());
        Assert.Equal(1, details["number"]!.GetValue<int>());
        Assert.Equal(Fixture.Factory().UserName, details["user"]!.GetValue<string>());
        Assert.Contains((await Admin.GetJsonAsync("api/consumers")).AsArray(), c => c!["queue"]!["vhost"]!.GetValue<string>() == virtualHost);
    }

    [Fact]
    public async Task Management_user_sees_only_its_own_connections()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "management");
        await GrantAsync(virtualHost, user);
        var mine = UniqueName("mine");
        var theirs = UniqueName("theirs");
        await ConnectAsync(virtualHost, mine, user, "secret");
        await ConnectAsync(virtualHost, theirs);
        await FindConnectionAsync(virtualHost, mine);
        await FindConnectionAsync(virtualHost, theirs);
        using var client = Fixture.Client(user, "secret");

        var names = (await client.GetJsonAsync("api/connections")).AsArray().Select(c => c!["user_provided_name"]?.GetValue<string>()).ToList();

        Assert.Equal([mine], names);
    }
}
