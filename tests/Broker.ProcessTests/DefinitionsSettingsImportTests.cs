using System.Text.Json.Nodes;
using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// --load-definitions with what RabbitMQ's definitions carry beside topology: the parameters the broker
/// keeps without using are named in its log, and everything survives kill -9 into the snapshot.
/// </summary>
public sealed class DefinitionsSettingsImportTests(ITestOutputHelper output)
{
    private const string Definitions = """
        {
          "rabbit_version": "3.10.8",
          "users": [ { "name": "app", "password_hash": "", "tags": ["monitoring"], "limits": { "max-channels": 20 } } ],
          "vhosts": [ { "name": "/" }, { "name": "orders", "description": "orders", "tags": ["prod"], "metadata": { "description": "orders", "tags": ["prod"], "default_queue_type": "quorum" } } ],
          "topic_permissions": [ { "user": "app", "vhost": "orders", "exchange": "amq.topic", "write": "^orders\\.", "read": "" } ],
          "parameters": [
            { "value": { "max-queues": 50 }, "vhost": "orders", "component": "vhost-limits", "name": "limits" },
            { "value": { "uri": "amqp://upstream" }, "vhost": "orders", "component": "federation-upstream", "name": "up1" }
          ],
          "global_parameters": [ { "name": "cluster_name", "value": "rabbit@elsewhere" } ]
        }
        """;

    [Fact]
    public async Task Kept_parameters_are_reported_and_every_setting_survives_kill_9()
    {
        using var context = new ProcessTestContext(output, "definitions-settings");
        await context.RunAsync(async () =>
        {
            var file = Path.Combine(context.DataDirectory + "-definitions.json");
            await File.WriteAllTextAsync(file, Definitions);
            try
            {
                var broker = await context.StartBrokerAsync(null, "--load-definitions", file);
                context.Check(
                    broker.Log.Contains("not used by this broker: parameter federation-upstream 'up1' in vhost 'orders', global parameter 'cluster_name'", StringComparison.Ordinal),
                    "the broker did not name the parameters it keeps without using them");
                broker.Kill();

                var restarted = await context.StartBrokerAsync();
                await restarted.StopGracefullyAsync();

                var snapshot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(context.DataDirectory, "definitions.json")))!.AsObject();
                var expected = JsonNode.Parse(Definitions)!.AsObject();
                foreach (var section in (string[])["topic_permissions", "parameters", "global_parameters"])
                {
                    context.Check(JsonNode.DeepEquals(snapshot[section], expected[section]), $"{section} in the snapshot: {snapshot[section]?.ToJsonString()}");
                }

                var app = snapshot["users"]!.AsArray().Single(u => u!["name"]!.GetValue<string>() == "app")!;
                context.Check(app["limits"]!.ToJsonString() == """{"max-channels":20}""", $"app's limits in the snapshot: {app["limits"]?.ToJsonString()}");
                var orders = snapshot["vhosts"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "orders")!;
                context.Check(orders["default_queue_type"]?.GetValue<string>() == "quorum", $"the orders vhost in the snapshot: {orders.ToJsonString()}");
            }
            finally
            {
                File.Delete(file);
            }
        });
    }
}
