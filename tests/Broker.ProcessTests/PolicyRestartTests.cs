using System.Text;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// A policy and an operator policy from a definitions file take effect on the queues they match and,
/// like every definition, survive kill -9: the restarted broker, without the file, still applies them.
/// </summary>
public sealed class PolicyRestartTests(ITestOutputHelper output)
{
    private const string Definitions = """
        {
          "users": [ { "name": "guest", "password": "guest", "tags": "administrator" } ],
          "vhosts": [ { "name": "/" } ],
          "permissions": [ { "user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*" } ],
          "policies": [
            { "vhost": "/", "name": "work-limit", "pattern": "^work$", "apply-to": "queues", "priority": 1,
              "definition": { "max-length": 2, "dead-letter-exchange": "", "dead-letter-routing-key": "dead", "ha-mode": "all" } }
          ],
          "parameters": [
            { "vhost": "/", "component": "operator_policy", "name": "cap",
              "value": { "pattern": "^capped$", "apply-to": "queues", "priority": 0, "definition": { "max-length": 1 } } }
          ],
          "queues": [
            { "name": "work", "vhost": "/", "durable": true, "auto_delete": false, "arguments": {} },
            { "name": "dead", "vhost": "/", "durable": true, "auto_delete": false, "arguments": {} },
            { "name": "capped", "vhost": "/", "durable": true, "auto_delete": false, "arguments": {} }
          ]
        }
        """;

    [Fact]
    public async Task Policies_from_a_definitions_file_apply_and_survive_kill_9()
    {
        using var context = new ProcessTestContext(output, "policy-restart");
        await context.RunAsync(async () =>
        {
            var file = context.DataDirectory + "-definitions.json";
            await File.WriteAllTextAsync(file, Definitions);
            try
            {
                var broker = await context.StartBrokerAsync(null, "--load-definitions", file);
                context.Check(broker.Log.Contains("1 policies, 1 operator policies", StringComparison.Ordinal), "the broker did not log the imported policies");
                await using (var connection = await Amqp.ConnectAsync(broker))
                {
                    await PublishAsync(connection, "work", "m1", "m2", "m3");
                    await PublishAsync(connection, "capped", "c1", "c2");
                    context.Check(await BodiesAsync(connection, "work") is ["m2", "m3"], "the max-length policy did not keep the newest two");
                    context.Check(await BodiesAsync(connection, "dead") is ["m1"], "what the policy dropped was not dead-lettered to its target");
                    context.Check(await BodiesAsync(connection, "capped") is ["c2"], "the operator policy did not cap the queue at one");
                }

                broker.Kill();

                var restarted = await context.StartBrokerAsync();
                context.Check(!restarted.Log.Contains("not restored", StringComparison.Ordinal), "a stored policy was not restored");
                await using (var connection = await Amqp.ConnectAsync(restarted))
                {
                    await PublishAsync(connection, "work", "m4");
                    await PublishAsync(connection, "capped", "c3");
                    var work = await BodiesAsync(connection, "work");
                    context.Check(work.Count == 2 && work[^1] == "m4", $"after kill -9 the queue holds [{string.Join(", ", work)}]: the max-length policy is gone");
                    context.Check(await BodiesAsync(connection, "capped") is ["c3"], "after kill -9 the operator policy no longer caps the queue");
                    context.Check(await BodiesAsync(connection, "dead") is ["m1", "m2"], "after kill -9 what the policy drops is no longer dead-lettered to its target");
                }

                await restarted.StopGracefullyAsync();
            }
            finally
            {
                File.Delete(file);
            }
        });
    }

    private static async Task PublishAsync(IConnection connection, string queue, params string[] bodies)
    {
        await using var channel = await connection.CreateChannelAsync(Amqp.Confirming);
        await Amqp.PublishConfirmedAsync(channel, "", queue, bodies.Select(b => (Amqp.Persistent(), Encoding.UTF8.GetBytes(b))));
    }

    /// <summary>The queue's messages in order, left in it (read without acknowledging).</summary>
    private static async Task<List<string>> BodiesAsync(IConnection connection, string queue) =>
        [.. (await Amqp.ReadQueueAsync(connection, queue, ack: false)).Select(d => Encoding.UTF8.GetString(d.Body))];
}
