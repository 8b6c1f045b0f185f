using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Declaring a queue with x-dead-letter-exchange needs read permission on the queue and write permission
/// on the exchange, besides configure (rabbit_channel). Users come from a definitions file, since that is
/// how this broker gets users other than the default one. The texts are RabbitMQ 3.10's, taken from a
/// node with the same permissions (set with rabbitmqctl set_permissions).
/// </summary>
public sealed class DeadLetterPermissionTests(ITestOutputHelper output)
{
    private const string Definitions = """
        {
          "vhosts": [ { "name": "/" } ],
          "users": [
            { "name": "no-read", "password": "pw", "tags": "" },
            { "name": "no-write", "password": "pw", "tags": "" }
          ],
          "permissions": [
            { "user": "no-read", "vhost": "/", "configure": ".*", "write": "^$", "read": "^$" },
            { "user": "no-write", "vhost": "/", "configure": ".*", "write": "^$", "read": ".*" }
          ]
        }
        """;

    [Theory]
    [InlineData("no-read", "ACCESS_REFUSED - access to queue 'with-dlx' in vhost '/' refused for user 'no-read'")]
    [InlineData("no-write", "ACCESS_REFUSED - access to exchange 'dlx' in vhost '/' refused for user 'no-write'")]
    public async Task A_dead_letter_exchange_needs_read_on_the_queue_and_write_on_the_exchange(string user, string expected)
    {
        using var context = new ProcessTestContext(output, "dead-letter-permissions");
        await context.RunAsync(async () =>
        {
            var file = context.DataDirectory + "-definitions.json";
            await File.WriteAllTextAsync(file, Definitions);
            try
            {
                var broker = await context.StartBrokerAsync(null, "--load-definitions", file);
                await using var connection = await Amqp.ConnectAsync(new Uri($"amqp://{user}:pw@127.0.0.1:{broker.Port}/"));
                await using (var plain = await connection.CreateChannelAsync())
                {
                    // Configure alone is enough without a dead-letter exchange.
                    await plain.QueueDeclareAsync("without-dlx", durable: false, exclusive: false, autoDelete: false);
                }

                await using var channel = await connection.CreateChannelAsync();
                string? text = null;
                try
                {
                    await channel.QueueDeclareAsync("with-dlx", durable: false, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-dead-letter-exchange"] = "dlx" });
                }
                catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 403)
                {
                    text = ex.ShutdownReason.ReplyText;
                }

                context.Check(text == expected, $"queue.declare with a dead-letter exchange: got '{text ?? "declare-ok"}', expected 403 '{expected}'");
                await broker.StopGracefullyAsync();
            }
            finally
            {
                File.Delete(file);
            }
        });
    }
}
