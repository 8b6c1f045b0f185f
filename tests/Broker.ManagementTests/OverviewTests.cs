using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client;

namespace Broker.ManagementTests;

/// <summary>/api/overview and /api/nodes: versions, totals and message stats as RabbitMQ 3.10 reports them.</summary>
public sealed class OverviewTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Overview_names_the_RabbitMQ_version_the_node_and_the_amqp_listener()
    {
        var overview = await Admin.GetJsonAsync("api/overview");

        Assert.StartsWith("3.", overview["rabbitmq_version"]!.GetValue<string>());
        Assert.StartsWith("3.", overview["management_version"]!.GetValue<string>());
        Assert.Contains('@', overview["node"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.String, overview["cluster_name"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, overview["product_version"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, overview["erlang_version"]!.GetValueKind());
        Assert.Equal("basic", overview["rates_mode"]!.GetValue<string>());
        var amqp = overview["listeners"]!.AsArray().Single(l => l!["protocol"]!.GetValue<string>() == "amqp");
        Assert.Equal(Fixture.AmqpUri.Port, amqp!["port"]!.GetValue<int>());
        Assert.Equal(overview["node"]!.GetValue<string>(), amqp["node"]!.GetValue<string>());
        var types = overview["exchange_types"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Superset(new HashSet<string> { "direct", "fanout", "topic", "headers" }, types.ToHashSet());
    }

    [Fact]
    public async Task Overview_totals_are_numbers_for_the_administrator()
    {
        var overview = await Admin.GetJsonAsync("api/overview");

        foreach (var key in new[] { "channels", "connections", "consumers", "exchanges", "queues" })
        {
            Assert.Equal(JsonValueKind.Number, overview["object_totals"]![key]!.GetValueKind());
        }

        foreach (var key in new[] { "messages", "messages_ready", "messages_unacknowledged" })
        {
            Assert.Equal(JsonValueKind.Number, overview["queue_totals"]![key]!.GetValueKind());
            Assert.Equal(JsonValueKind.Number, overview["queue_totals"]![key + "_details"]!["rate"]!.GetValueKind());
        }

        Assert.True(overview["object_totals"]!["exchanges"]!.GetValue<int>() >= 7, "every vhost has at least the 7 built-in exchanges");
    }

    /// <summary>
    /// A management user's overview counts only what is in its vhosts and its own connections, so the
    /// numbers are exact even on a shared broker.
    /// </summary>
    [Fact]
    public async Task Overview_of_a_management_user_counts_its_vhost_objects_messages_and_publishes()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var user = await CreateUserAsync(tags: "management");
        await GrantAsync(virtualHost, user);
        await DeclareQueueAsync(virtualHost, "q");
        using var client = Fixture.Client(user, "secret");
        var connection = await ConnectAsync(virtualHost, user: user, password: "secret");
        await PublishAsync(connection, "q", "1", "2", "3");
        var consuming = await connection.CreateChannelAsync();
        await consuming.BasicQosAsync(0, 1, false);
        await consuming.BasicConsumeAsync("q", autoAck: false, new AsyncEventingBasicConsumerStub(consuming));

        JsonNode? overview = null;
        await EventuallyAsync(async () =>
        {
            overview = await client.GetJsonAsync("api/overview");
            return overview["queue_totals"]?["messages"]?.GetValue<long>() == 3
                && overview["queue_totals"]?["messages_unacknowledged"]?.GetValue<long>() == 1
                && overview["object_totals"]?["channels"]?.GetValue<long>() == 1
                && overview["message_stats"]?["publish"]?.GetValue<long>() == 3;
        }, "the overview counts the vhost's queue, messages, connection and publishes");

        var totals = overview!["object_totals"]!;
        Assert.Equal(1, totals["connections"]!.GetValue<int>());
        Assert.Equal(1, totals["queues"]!.GetValue<int>());
        Assert.Equal(7, totals["exchanges"]!.GetValue<int>());
        Assert.Equal(2, overview["queue_totals"]!["messages_ready"]!.GetValue<long>());
        Assert.Equal(3, overview["message_stats"]!["confirm"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.Number, overview["message_stats"]!["publish_details"]!["rate"]!.GetValueKind());
    }

    [Fact]
    public async Task Nodes_list_this_node_with_memory_disk_and_process_figures()
    {
        var overview = await Admin.GetJsonAsync("api/overview");
        var nodes = (await Admin.GetJsonAsync("api/nodes")).AsArray();

        var node = Assert.Single(nodes)!;
        Assert.Equal(overview["node"]!.GetValue<string>(), node["name"]!.GetValue<string>());
        Assert.True(node["running"]!.GetValue<bool>());
        Assert.Equal("disc", node["type"]!.GetValue<string>());
        Assert.False(node["mem_alarm"]!.GetValue<bool>());
        Assert.False(node["disk_free_alarm"]!.GetValue<bool>());
        foreach (var key in new[] { "mem_used", "mem_limit", "disk_free", "disk_free_limit", "fd_used", "proc_used", "uptime", "processors" })
        {
            Assert.True(node[key]!.GetValue<long>() > 0, $"{key} is positive");
        }

        var one = await Admin.GetJsonAsync(Path("nodes", node["name"]!.GetValue<string>()));
        Assert.Equal(node["name"]!.GetValue<string>(), one["name"]!.GetValue<string>());
    }

    /// <summary>A consumer that leaves its deliveries unacknowledged.</summary>
    private sealed class AsyncEventingBasicConsumerStub(IChannel channel) : AsyncDefaultBasicConsumer(channel);
}
