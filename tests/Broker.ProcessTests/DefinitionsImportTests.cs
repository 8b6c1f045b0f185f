using System.Text;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// --load-definitions, RabbitMQ's load_definitions: a definitions file (RabbitMQ's JSON) is imported at
/// start; on a fresh data directory it replaces the default user and vhost. What it created is durable
/// like anything else: vhosts, users and permissions survive kill -9 without the file, and importing
/// the file again on the next start changes nothing.
/// </summary>
public sealed class DefinitionsImportTests(ITestOutputHelper output)
{
    /// <summary>
    /// Exported by RabbitMQ 3.10 (rabbitmqctl export_definitions) for the password "guest": an imported
    /// RabbitMQ hash must log in as it did there.
    /// </summary>
    private const string RabbitMqHashOfGuest = "3pXT7SUru5zhhSRzzQx7OqKSkliRaKlXDDTgomxa91TJ451C";

    private static readonly string Definitions = $$"""
        {
          "rabbit_version": "3.10.8",
          "users": [
            { "name": "app", "password": "s3cret", "tags": "" },
            { "name": "ops", "password_hash": "{{RabbitMqHashOfGuest}}", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"] }
          ],
          "vhosts": [ { "name": "orders" } ],
          "permissions": [
            { "user": "app", "vhost": "orders", "configure": "^$", "write": "^events$", "read": "^order-log$" },
            { "user": "ops", "vhost": "orders", "configure": ".*", "write": ".*", "read": ".*" }
          ],
          "policies": [],
          "exchanges": [
            { "name": "events", "vhost": "orders", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {} }
          ],
          "queues": [
            { "name": "order-log", "vhost": "orders", "durable": true, "auto_delete": false, "arguments": { "x-max-length": 1000 } }
          ],
          "bindings": [
            { "source": "events", "vhost": "orders", "destination": "order-log", "destination_type": "queue", "routing_key": "order.*", "arguments": {} }
          ]
        }
        """;

    [Fact]
    public async Task Imported_users_vhosts_permissions_and_topology_work_and_survive_kill_9()
    {
        using var context = new ProcessTestContext(output, "definitions-import");
        await context.RunAsync(async () =>
        {
            var file = Path.Combine(context.DataDirectory + "-definitions.json");
            await File.WriteAllTextAsync(file, Definitions);
            try
            {
                var broker = await context.StartBrokerAsync(null, "--load-definitions", file);
                context.Check(broker.Log.Contains("imported definitions from", StringComparison.Ordinal), "the broker did not log the import");
                context.Check(await Amqp.LoginRefusedAsync(UriOf(broker, "guest", "guest", "/")), "guest, whom an import on a fresh data directory replaces, could log in");

                // app may publish to events and read order-log, nothing else.
                await using (var app = await Amqp.ConnectAsync(UriOf(broker, "app", "s3cret", "orders")))
                await using (var channel = await app.CreateChannelAsync(Amqp.Confirming))
                {
                    await channel.BasicPublishAsync("events", "order.created", mandatory: true, Amqp.Persistent(), Encoding.UTF8.GetBytes("order 1"));
                    var got = await channel.BasicGetAsync("order-log", autoAck: false);
                    context.Check(got is not null && Encoding.UTF8.GetString(got.Body.Span) == "order 1", "the message published to the imported topic exchange is not in the imported queue");
                    await channel.BasicNackAsync(got!.DeliveryTag, multiple: false, requeue: true);
                    var refused = false;
                    try
                    {
                        await channel.QueueDeclareAsync("app-own", durable: false, exclusive: false, autoDelete: false);
                    }
                    catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 403)
                    {
                        refused = true;
                    }

                    context.Check(refused, "app declared a queue although its imported configure permission is ^$");
                }

                broker.Kill();

                // Without the file: everything it created is in the data directory.
                var restarted = await context.StartBrokerAsync();
                context.Check(await Amqp.LoginRefusedAsync(UriOf(restarted, "guest", "guest", "/")), "guest could log in after a restart without the file");
                await using (var ops = await Amqp.ConnectAsync(UriOf(restarted, "ops", "guest", "orders")))
                await using (var channel = await ops.CreateChannelAsync())
                {
                    var message = await channel.BasicGetAsync("order-log", autoAck: false);
                    context.Check(message is not null && Encoding.UTF8.GetString(message.Body.Span) == "order 1", "the persistent message in the imported queue did not survive kill -9");
                    await channel.BasicNackAsync(message!.DeliveryTag, multiple: false, requeue: true);
                }

                await restarted.StopGracefullyAsync();

                // With the file again: nothing doubles, the binding still routes once.
                var again = await context.StartBrokerAsync(null, "--load-definitions", file);
                await using (var app = await Amqp.ConnectAsync(UriOf(again, "app", "s3cret", "orders")))
                await using (var channel = await app.CreateChannelAsync(Amqp.Confirming))
                {
                    await channel.BasicPublishAsync("events", "order.paid", mandatory: true, Amqp.Persistent(), Encoding.UTF8.GetBytes("order 2"));
                }

                await using (var ops = await Amqp.ConnectAsync(UriOf(again, "ops", "guest", "orders")))
                await using (var channel = await ops.CreateChannelAsync())
                {
                    var count = await Amqp.MessageCountAsync(channel, "order-log");
                    context.Check(count == 2, $"order-log holds {count} messages after a second import and one more publish, expected 2");
                }

                await again.StopGracefullyAsync();
            }
            finally
            {
                File.Delete(file);
            }
        });
    }

    [Theory]
    [InlineData("{ \"vhosts\": [ { \"name\": \"a\" } ", "definitions file")]
    [InlineData("{ \"queues\": [ { \"name\": \"q\", \"vhost\": \"nowhere\", \"durable\": true } ] }", "vhost 'nowhere', which does not exist")]
    [InlineData("{ \"users\": [ { \"name\": \"old\", \"password_hash\": \"x\", \"hashing_algorithm\": \"rabbit_password_hashing_bcrypt\" } ] }", "rabbit_password_hashing_bcrypt")]
    [InlineData("{ \"vhosts\": [ { \"name\": \"/\" } ], \"exchanges\": [ { \"name\": \"e\", \"vhost\": \"/\", \"type\": \"no-such-type\", \"durable\": true } ] }", "exchange 'e'")]
    public async Task A_definitions_file_the_broker_cannot_apply_stops_the_start_with_a_message(string content, string expected)
    {
        using var context = new ProcessTestContext(output, "definitions-import-bad");
        await context.RunAsync(async () =>
        {
            var file = Path.Combine(context.DataDirectory + "-definitions.json");
            await File.WriteAllTextAsync(file, content);
            try
            {
                var broker = await context.RunBrokerUntilExitAsync(null, "--load-definitions", file);
                context.Check(broker.ExitCode != 0, $"the broker exited with {broker.ExitCode} on a definitions file it cannot apply");
                context.Check(broker.Log.Contains(expected, StringComparison.Ordinal), $"the broker's log does not say '{expected}'");
            }
            finally
            {
                File.Delete(file);
            }
        });
    }

    private static Uri UriOf(BrokerProcess broker, string user, string password, string vhost) =>
        new($"amqp://{user}:{password}@127.0.0.1:{broker.Port}/{Uri.EscapeDataString(vhost)}");
}
