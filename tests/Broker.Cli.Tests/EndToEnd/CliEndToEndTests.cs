using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.Cli.Tests.EndToEnd;

/// <summary>
/// The CLI against a real management API (BROKER_TEST_MANAGEMENT_URI): RabbitMQ 3.10 pins what the
/// commands send and read, and the same tests then hold the broker's own API to it.
/// </summary>
public sealed class CliEndToEndTests
{
    [ManagementFact]
    public async Task Queues_exchanges_bindings_and_messages_from_declare_to_delete()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("objects");
        var v = vhost.Name;
        const string Queue = "orders q/1?#%";
        await ManagementApi.MustAsync("declare", "queue", Queue, "--vhost", v, "--type", "quorum", "--arguments", """{"x-delivery-limit": 3}""");
        await ManagementApi.MustAsync("declare", "exchange", "shop", "--vhost", v, "--type", "topic");
        await ManagementApi.MustAsync("declare", "binding", "--vhost", v, "--source", "shop", "--destination", Queue, "--routing-key", "order.#");

        var published = await ManagementApi.MustAsync("publish", "--vhost", v, "--exchange", "shop", "--routing-key", "order.created", "--payload", "hello");
        Assert.Equal("published, routed\n", published.Out);
        var unrouted = await ManagementApi.MustAsync("publish", "--vhost", v, "--exchange", "shop", "--routing-key", "invoice.created", "--payload", "x");
        Assert.Equal("published, but not routed: no queue took it\n", unrouted.Out);

        var queues = await ManagementApi.EventuallyAsync(r => Squeeze(r.OutLines[^1]) == $"{Queue} quorum 1 1 0 0", "list", "queues", "--vhost", v);
        Assert.Equal(["name type messages messages_ready messages_unacknowledged consumers", $"{Queue} quorum 1 1 0 0"], queues.OutLines.Select(Squeeze));

        var json = await ManagementApi.MustAsync("list", "queues", "--vhost", v, "--format", "json");
        using (var document = JsonDocument.Parse(json.Out))
        {
            var queue = Assert.Single(document.RootElement.EnumerateArray());
            Assert.Equal(Queue, queue.GetProperty("name").GetString());
            Assert.Equal(3, queue.GetProperty("arguments").GetProperty("x-delivery-limit").GetInt32());
        }

        var bindings = await ManagementApi.MustAsync("list", "bindings", "--vhost", v);
        Assert.Contains($"shop {Queue} queue order.# {{}}", bindings.OutLines.Select(Squeeze));

        var got = await ManagementApi.MustAsync("get", "queue", Queue, "--vhost", v);
        Assert.Equal("order.created shop false 0 5 string hello", Squeeze(got.OutLines[1]));

        await ManagementApi.MustAsync("purge", "queue", Queue, "--vhost", v);
        Assert.Equal($"queue '{Queue}' in vhost '{v}' is empty\n", (await ManagementApi.MustAsync("get", "queue", Queue, "--vhost", v)).Out);

        await ManagementApi.MustAsync("delete", "binding", "--vhost", v, "--source", "shop", "--destination", Queue, "--routing-key", "order.#");
        Assert.DoesNotContain((await ManagementApi.MustAsync("list", "bindings", "--vhost", v)).OutLines, l => l.StartsWith("shop", StringComparison.Ordinal));
        await ManagementApi.MustAsync("delete", "queue", Queue, "--vhost", v);
        await ManagementApi.MustAsync("delete", "exchange", "shop", "--vhost", v);

        var gone = await ManagementApi.RunAsync("delete", "queue", Queue, "--vhost", v);
        Assert.Equal(ExitCodes.Failed, gone.ExitCode);
        Assert.StartsWith($"broker admin: DELETE /api/queues/{v}/orders%20q%2F1%3F%23%25: 404", gone.Error, StringComparison.Ordinal);
    }

    [ManagementFact]
    public async Task Declaring_again_is_accepted_when_equivalent_and_refused_when_not()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("redeclare");

        Assert.StartsWith("declared", (await ManagementApi.MustAsync("declare", "queue", "q", "--vhost", vhost.Name)).Out, StringComparison.Ordinal);
        Assert.EndsWith("exists already\n", (await ManagementApi.MustAsync("declare", "queue", "q", "--vhost", vhost.Name)).Out, StringComparison.Ordinal);
        var different = await ManagementApi.RunAsync("declare", "queue", "q", "--vhost", vhost.Name, "--durable=false");

        Assert.Equal(ExitCodes.Failed, different.ExitCode);
        Assert.Contains(": 400 bad_request: inequivalent arg 'durable'", different.Error, StringComparison.Ordinal);
    }

    [ManagementFact]
    public async Task Lists_page_through_the_api()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("paging");
        for (var i = 0; i < 5; i++)
        {
            await ManagementApi.MustAsync("declare", "queue", $"q{i}", "--vhost", vhost.Name, "--durable=false");
        }

        var table = await ManagementApi.MustAsync("list", "queues", "--vhost", vhost.Name, "--page-size", "2", "--columns", "name");
        var json = await ManagementApi.MustAsync("list", "queues", "--vhost", vhost.Name, "--page-size", "2", "--format", "json");

        Assert.Equal(["name", "q0", "q1", "q2", "q3", "q4"], table.OutLines);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(["q0", "q1", "q2", "q3", "q4"], document.RootElement.EnumerateArray().Select(q => q.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
    }

    [ManagementFact]
    public async Task Definitions_import_and_export_per_vhost()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("definitions");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """
                {"queues":[{"name":"imported","durable":true,"auto_delete":false,"arguments":{"x-max-length":10}}],
                 "exchanges":[{"name":"imported-x","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
                 "bindings":[{"source":"imported-x","destination":"imported","destination_type":"queue","routing_key":"","arguments":{}}]}
                """);
            await ManagementApi.MustAsync("import", "definitions", file, "--vhost", vhost.Name);

            Assert.Contains("imported", (await ManagementApi.MustAsync("list", "queues", "--vhost", vhost.Name, "--columns", "name")).OutLines);

            await ManagementApi.MustAsync("export", "definitions", file, "--vhost", vhost.Name);
            using var exported = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            var queue = Assert.Single(exported.RootElement.GetProperty("queues").EnumerateArray());
            Assert.Equal("imported", queue.GetProperty("name").GetString());
            Assert.Equal(10, queue.GetProperty("arguments").GetProperty("x-max-length").GetInt32());
            Assert.Contains(exported.RootElement.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("source").GetString() == "imported-x");

            var whole = await ManagementApi.MustAsync("export", "definitions");
            using var all = JsonDocument.Parse(whole.Out);
            Assert.Contains(all.RootElement.GetProperty("vhosts").EnumerateArray(), v => v.GetProperty("name").GetString() == vhost.Name);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [ManagementFact]
    public async Task Users_permissions_and_policies()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("access");
        var user = ManagementApi.UniqueName("user");
        try
        {
            Assert.Equal($"added user '{user}'\n", (await ManagementApi.MustAsync("add", "user", user, "--password", "s3cret", "--tags", "management")).Out);
            var users = await ManagementApi.MustAsync("list", "users", "--format", "json");
            using (var document = JsonDocument.Parse(users.Out))
            {
                var added = Assert.Single(document.RootElement.EnumerateArray(), u => u.GetProperty("name").GetString() == user);
                Assert.Equal(["management"], added.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            }

            // Without permissions in the vhost, the new user is refused there: 77.
            var refused = await ManagementApi.RunAsync("--user", user, "--password", "s3cret", "list", "queues", "--vhost", vhost.Name);
            Assert.Equal(ExitCodes.NotAuthorised, refused.ExitCode);

            await ManagementApi.MustAsync("set", "permissions", user, "--vhost", vhost.Name, "--configure", "", "--write", "^out", "--read", ".*");
            Assert.Contains($"{user} ^out .*", (await ManagementApi.MustAsync("list", "permissions", "--vhost", vhost.Name)).OutLines.Select(Squeeze));
            await ManagementApi.MustAsync("--user", user, "--password", "s3cret", "list", "queues", "--vhost", vhost.Name);

            var wrongPassword = await ManagementApi.RunAsync("--user", user, "--password", "wrong", "status");
            Assert.Equal(ExitCodes.NotAuthorised, wrongPassword.ExitCode);
            Assert.Equal("broker admin: GET /api/overview: 401 not_authorized: Login failed\n", wrongPassword.Error);

            await ManagementApi.MustAsync("set", "policy", "limit", "--vhost", vhost.Name, "--pattern", "^tmp\\.", "--definition", """{"max-length": 5}""", "--priority", "2", "--apply-to", "queues");
            Assert.Equal(["name pattern apply-to priority definition", "limit ^tmp\\. queues 2 {\"max-length\":5}"], (await ManagementApi.MustAsync("list", "policies", "--vhost", vhost.Name)).OutLines.Select(Squeeze));

            var invalid = await ManagementApi.RunAsync("set", "policy", "bad", "--vhost", vhost.Name, "--pattern", ".", "--definition", """{"no-such-key": 1}""");
            Assert.Equal(ExitCodes.Failed, invalid.ExitCode);
            Assert.Contains("400 bad_request", invalid.Error, StringComparison.Ordinal);
            Assert.Single(invalid.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            await ManagementApi.MustAsync("delete", "policy", "limit", "--vhost", vhost.Name);
            await ManagementApi.MustAsync("delete", "permissions", user, "--vhost", vhost.Name);
            Assert.Equal(["name pattern apply-to priority definition"], (await ManagementApi.MustAsync("list", "policies", "--vhost", vhost.Name)).OutLines.Select(Squeeze));
        }
        finally
        {
            await ManagementApi.RunAsync("delete", "user", user);
        }

        Assert.Equal(ExitCodes.Failed, (await ManagementApi.RunAsync("delete", "user", user)).ExitCode);
    }

    [ManagementFact]
    public async Task Status_and_health_checks()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("health");
        var status = await ManagementApi.MustAsync("status");
        Assert.Matches(@"^product\s+\S+ \d+\.\d+", status.OutLines[0]);
        Assert.Contains(status.OutLines, l => l.StartsWith("queues ", StringComparison.Ordinal));
        using (var overview = JsonDocument.Parse((await ManagementApi.MustAsync("status", "--format", "json")).Out))
        {
            Assert.True(overview.RootElement.TryGetProperty("object_totals", out _));
        }

        Assert.Equal("ok: alarms\n", (await ManagementApi.MustAsync("check", "alarms")).Out);
        Assert.Equal("ok: local alarms\n", (await ManagementApi.MustAsync("check", "local-alarms")).Out);
        Assert.Equal("ok: virtual hosts\n", (await ManagementApi.MustAsync("check", "virtual-hosts")).Out);
        Assert.Equal($"ok: aliveness of vhost '{vhost.Name}'\n", (await ManagementApi.MustAsync("check", "aliveness", vhost.Name)).Out);
        var managementPort = new Uri(ManagementApi.Uri).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"ok: listener on port {managementPort}\n", (await ManagementApi.MustAsync("check", "port-listener", managementPort)).Out);

        var noListener = await ManagementApi.RunAsync("check", "port-listener", "1");
        Assert.Equal(ExitCodes.Failed, noListener.ExitCode);
        Assert.StartsWith("broker admin: check failed: listener on port 1: No active listener; listening on: ", noListener.Error, StringComparison.Ordinal);
        Assert.Contains(managementPort, noListener.Error, StringComparison.Ordinal);

        var noVhost = await ManagementApi.RunAsync("check", "aliveness", ManagementApi.UniqueName("missing"));
        Assert.Equal(ExitCodes.Failed, noVhost.ExitCode);
        Assert.Contains(": 404 ", noVhost.Error, StringComparison.Ordinal);
    }

    [ManagementFact(NeedsAmqp = true)]
    public async Task Connections_channels_and_consumers_are_listed_and_a_connection_is_closed_with_the_reason()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("connections");
        var clientName = ManagementApi.UniqueName("client");
        var factory = new ConnectionFactory { Uri = new Uri(ManagementApi.AmqpUri), VirtualHost = vhost.Name, ClientProvidedName = clientName };
        await using var connection = await factory.CreateConnectionAsync();
        var closed = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, reason) =>
        {
            closed.TrySetResult(reason);
            return Task.CompletedTask;
        };
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("work", durable: false, exclusive: false, autoDelete: false);
        await channel.BasicQosAsync(0, 7, false);
        await channel.BasicConsumeAsync("work", autoAck: false, "cli-test-consumer", new AsyncEventingBasicConsumer(channel));

        var connections = await ManagementApi.EventuallyAsync(r => r.Out.Contains(clientName, StringComparison.Ordinal), "list", "connections", "--vhost", vhost.Name, "--format", "json");
        string name;
        using (var document = JsonDocument.Parse(connections.Out))
        {
            var listed = Assert.Single(document.RootElement.EnumerateArray());
            Assert.Equal(clientName, listed.GetProperty("client_properties").GetProperty("connection_name").GetString());
            name = listed.GetProperty("name").GetString()!;
        }

        Assert.Contains((await ManagementApi.MustAsync("list", "connections", "--vhost", vhost.Name)).OutLines.Select(Squeeze), l => l.StartsWith($"{name} {clientName} ", StringComparison.Ordinal));
        var consumers = await ManagementApi.EventuallyAsync(r => r.OutLines.Length > 1, "list", "consumers", "--vhost", vhost.Name);
        Assert.Equal($"work cli-test-consumer {name} (1) true 7 false", Squeeze(consumers.OutLines[1]));
        var channels = await ManagementApi.EventuallyAsync(r => r.OutLines.Length > 1 && Squeeze(r.OutLines[1]).EndsWith(" 1 0 7", StringComparison.Ordinal), "list", "channels", "--vhost", vhost.Name);
        Assert.StartsWith($"{name} (1) ", Squeeze(channels.OutLines[1]), StringComparison.Ordinal);

        Assert.Equal($"closed connection '{name}'\n", (await ManagementApi.MustAsync("close", "connection", name, "--reason", "closed by the cli test")).Out);
        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(320, reason.ReplyCode);
        Assert.Contains("closed by the cli test", reason.ReplyText, StringComparison.Ordinal);
    }

    [ManagementFact]
    public async Task Tracing_is_switched_on_and_off_per_vhost()
    {
        await using var vhost = await ManagementApi.CreateVhostAsync("tracing");

        await ManagementApi.MustAsync("set", "tracing", "on", "--vhost", vhost.Name);
        Assert.Contains($"{vhost.Name} true", (await ManagementApi.MustAsync("list", "vhosts", "--columns", "name,tracing")).OutLines.Select(Squeeze));
        await ManagementApi.MustAsync("set", "tracing", "off", "--vhost", vhost.Name);
        Assert.Contains($"{vhost.Name} false", (await ManagementApi.MustAsync("list", "vhosts", "--columns", "name,tracing")).OutLines.Select(Squeeze));
    }

    // Table lines with their alignment spaces squeezed to one, to compare contents, not widths.
    private static string Squeeze(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
