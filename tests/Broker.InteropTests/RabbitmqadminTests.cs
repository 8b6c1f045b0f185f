using System.Globalization;
using System.Text.Json.Nodes;

namespace Broker.InteropTests;

/// <summary>
/// rabbitmqadmin 3.10 (RabbitMQ's management CLI, from Debian's rabbitmq-server package, unpacked by
/// install-clients.sh into clients/rabbitmqadmin) against the management API: each test works in a
/// vhost of its own, made and deleted with rabbitmqadmin itself.
/// </summary>
public sealed class RabbitmqadminTests(ManagementBrokerFixture fixture, ITestOutputHelper output) : IClassFixture<ManagementBrokerFixture>, IAsyncLifetime
{
    private readonly string _virtualHost = $"interop.rabbitmqadmin.{Guid.NewGuid():N}"[..40];

    private static string Script => Path.Combine(ClientRunner.ClientsDirectory, "rabbitmqadmin");

    /// <summary>Runs rabbitmqadmin against the broker (in the test's vhost unless <paramref name="virtualHost"/> says otherwise).</summary>
    private async Task<ClientResult> RunAsync(string[] arguments, string? virtualHost = null)
    {
        string[] connection = [Script, "-H", fixture.Host, "-P", fixture.Port.ToString(CultureInfo.InvariantCulture), "-u", fixture.User, "-p", fixture.Password, "-V", virtualHost ?? _virtualHost];
        var result = await ClientRunner.RunAsync(ClientRunner.Python, [.. connection, .. arguments], ClientRunner.ClientsDirectory, TimeSpan.FromSeconds(30));
        output.WriteLine(result.Describe());
        return result;
    }

    /// <summary>Runs rabbitmqadmin, which must succeed; returns its standard output.</summary>
    private async Task<string> AdminAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        if (result.TimedOut || result.ExitCode != 0)
        {
            Assert.Fail($"rabbitmqadmin {string.Join(' ', arguments)} failed\n{result.Describe()}");
        }

        return result.StandardOutput;
    }

    /// <summary>The rows of a tab-separated listing (-f tsv), without its header line.</summary>
    private async Task<List<string>> RowsAsync(params string[] arguments)
    {
        var text = await AdminAsync(["-f", "tsv", .. arguments]);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        return lines.Count == 0 || lines[0] == "No items" ? [] : lines[1..];
    }

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Script), $"{Script} is missing: run tests/Broker.InteropTests/install-clients.sh");
        Assert.Equal("vhost declared\n", (await RunAsync(["declare", "vhost", $"name={_virtualHost}"], "/")).StandardOutput);
        Assert.Equal("permission declared\n", await AdminAsync("declare", "permission", $"vhost={_virtualHost}", $"user={fixture.User}", "configure=.*", "write=.*", "read=.*"));
    }

    public async Task DisposeAsync()
    {
        await RunAsync(["delete", "vhost", $"name={_virtualHost}"], "/");
        fixture.ThrowIfBrokerErrors(GetType().Name);
    }

    [Fact]
    public async Task Lists_vhosts_users_permissions_and_the_node()
    {
        var user = $"interop.rabbitmqadmin.user.{Guid.NewGuid():N}"[..40];

        Assert.Equal("user declared\n", await AdminAsync("declare", "user", $"name={user}", "password=s3cret", "tags=management,monitoring"));
        Assert.Equal("permission declared\n", await AdminAsync("declare", "permission", $"vhost={_virtualHost}", $"user={user}", "configure=^c", "write=^w", "read=^r"));
        var vhosts = await RowsAsync("list", "vhosts", "name");
        var users = await RowsAsync("list", "users", "name", "tags");
        var permissions = await RowsAsync("list", "permissions", "vhost", "user", "configure", "write", "read");
        var nodes = await RowsAsync("list", "nodes", "type", "running");
        var overview = await RowsAsync("show", "overview", "rabbitmq_version");
        Assert.Equal("user deleted\n", await AdminAsync("delete", "user", $"name={user}"));
        var usersAfter = await RowsAsync("list", "users", "name");

        Assert.Contains(_virtualHost, vhosts);
        Assert.Contains($"{user}\tmanagement monitoring", users);
        Assert.Contains($"{_virtualHost}\t{user}\t^c\t^w\t^r", permissions);
        Assert.Equal(["disc\tTrue"], nodes);
        Assert.StartsWith("3.", Assert.Single(overview));
        Assert.DoesNotContain(user, usersAfter);
    }

    [Fact]
    public async Task Declares_a_queue_an_exchange_and_a_binding_and_lists_them()
    {
        Assert.Equal("queue declared\n", await AdminAsync("declare", "queue", "name=q", "durable=true", """arguments={"x-max-length":10}"""));
        Assert.Equal("exchange declared\n", await AdminAsync("declare", "exchange", "name=x", "type=topic"));
        Assert.Equal("binding declared\n", await AdminAsync("declare", "binding", "source=x", "destination=q", "routing_key=a.#"));

        Assert.Equal(["q\tTrue\tFalse"], await RowsAsync("list", "queues", "name", "durable", "auto_delete"));
        Assert.Contains("x\ttopic\tTrue", await RowsAsync("list", "exchanges", "name", "type", "durable"));
        Assert.Equal(["\tq\tq", "x\tq\ta.#"], await RowsAsync("list", "bindings", "source", "destination", "routing_key"));
    }

    [Fact]
    public async Task A_redeclaration_with_another_durable_flag_fails_with_RabbitMQs_reason()
    {
        await AdminAsync("declare", "queue", "name=q", "durable=true");

        var result = await RunAsync(["declare", "queue", "name=q", "durable=false"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"*** inequivalent arg 'durable' for queue 'q' in vhost '{_virtualHost}': received 'false' but current is 'true'", result.StandardError);
    }

    [Fact]
    public async Task Publishes_and_gets_messages()
    {
        await AdminAsync("declare", "queue", "name=q", "durable=false");
        await AdminAsync("declare", "exchange", "name=x", "type=topic");
        await AdminAsync("declare", "binding", "source=x", "destination=q", "routing_key=a.#");

        Assert.Equal("Message published\n", await AdminAsync("publish", "exchange=x", "routing_key=a.b", "payload=hello"));
        Assert.Equal("Message published\n", await AdminAsync("publish", "routing_key=q", "payload=second message", """properties={"content_type":"text/plain"}"""));
        Assert.Equal("Message published but NOT routed\n", await AdminAsync("publish", "exchange=x", "routing_key=b.b", "payload=lost"));
        var peeked = await RowsAsync("get", "queue=q", "ackmode=ack_requeue_true", "count=2");
        var taken = JsonNode.Parse(await AdminAsync("-f", "raw_json", "get", "queue=q", "ackmode=ack_requeue_false", "count=5"))!.AsArray();
        var left = await RowsAsync("get", "queue=q", "ackmode=ack_requeue_false");

        // tsv columns: routing_key, exchange, message_count, payload, payload_bytes, payload_encoding, properties, redelivered
        Assert.Equal(["a.b\tx\t1\thello\t5\tstring\t\tFalse", "q\t\t0\tsecond message\t14\tstring\t\tFalse"], peeked);
        Assert.Equal(["hello", "second message"], taken.Select(m => m!["payload"]!.GetValue<string>()));
        Assert.Equal([true, true], taken.Select(m => m!["redelivered"]!.GetValue<bool>()));
        Assert.Equal("text/plain", taken[1]!["properties"]!["content_type"]!.GetValue<string>());
        Assert.Empty(left);
    }

    [Fact]
    public async Task Deletes_a_binding_by_its_properties_key_purges_and_deletes_a_queue_and_an_exchange()
    {
        await AdminAsync("declare", "queue", "name=q", "durable=false");
        await AdminAsync("declare", "exchange", "name=x", "type=topic");
        await AdminAsync("declare", "binding", "source=x", "destination=q", "routing_key=a.#");
        await AdminAsync("publish", "routing_key=q", "payload=1");
        var key = (await RowsAsync("list", "bindings", "source", "properties_key")).Single(row => row.StartsWith("x\t", StringComparison.Ordinal))[2..];

        Assert.Equal("binding deleted\n", await AdminAsync("delete", "binding", "source=x", "destination_type=queue", "destination=q", $"properties_key={key}"));
        Assert.Equal(["\tq\tq"], await RowsAsync("list", "bindings", "source", "destination", "routing_key"));
        Assert.Equal("queue purged\n", await AdminAsync("purge", "queue", "name=q"));
        Assert.Empty(await RowsAsync("get", "queue=q", "ackmode=ack_requeue_false"));
        Assert.Equal("queue deleted\n", await AdminAsync("delete", "queue", "name=q"));
        Assert.Equal("exchange deleted\n", await AdminAsync("delete", "exchange", "name=x"));
        var again = await RunAsync(["delete", "queue", "name=q"]);

        Assert.Equal("a.%23", key);
        Assert.Empty(await RowsAsync("list", "queues", "name"));
        Assert.DoesNotContain("x", await RowsAsync("list", "exchanges", "name"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"*** Not found: /api/queues/{_virtualHost}/q", again.StandardError);
    }

    [Fact]
    public async Task Exports_and_imports_definitions()
    {
        await AdminAsync("declare", "queue", "name=dq", "durable=true", """arguments={"x-message-ttl":60000}""");
        await AdminAsync("declare", "exchange", "name=dx", "type=fanout", "durable=true");
        await AdminAsync("declare", "binding", "source=dx", "destination=dq");
        var file = Path.Combine(Path.GetTempPath(), $"{_virtualHost}.json");
        try
        {
            Assert.StartsWith("Exported definitions for ", await AdminAsync("export", file));
            var exported = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            await AdminAsync("delete", "queue", "name=dq");
            await AdminAsync("delete", "exchange", "name=dx");
            Assert.StartsWith("Uploaded definitions from ", await AdminAsync("import", file));

            Assert.StartsWith("3.", exported["rabbit_version"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"dq","durable":true,"auto_delete":false,"arguments":{"x-message-ttl":60000}}]"""), exported["queues"]), exported.ToJsonString());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"dx","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}]"""), exported["exchanges"]), exported.ToJsonString());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"source":"dx","destination":"dq","destination_type":"queue","routing_key":"","arguments":{}}]"""), exported["bindings"]), exported.ToJsonString());
            Assert.Equal(["dq\tTrue"], await RowsAsync("list", "queues", "name", "durable"));
            Assert.Contains("dx\tfanout", await RowsAsync("list", "exchanges", "name", "type"));
            Assert.Contains("dx\tdq\t", await RowsAsync("list", "bindings", "source", "destination", "routing_key"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
