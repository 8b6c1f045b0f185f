using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Messages of a queue with x-message-ttl that expired while the broker was stopped are gone once it is
/// back, without any traffic to the queue: RabbitMQ 3.10 drops them when it starts the queue (checked
/// with stop_app/start_app: 3 persistent messages with a 2 s TTL, 0 left after the restart).
/// </summary>
public sealed class ExpiryAfterRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Messages_that_expired_while_stopped_are_dropped_at_start()
    {
        using var context = new ProcessTestContext(output, "expiry-after-restart");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker))
            await using (var channel = await connection.CreateChannelAsync(Amqp.Confirming))
            {
                await channel.QueueDeclareAsync("short-lived", durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-message-ttl"] = 2000 });
                for (var i = 0; i < 3; i++)
                {
                    await channel.BasicPublishAsync("", "short-lived", mandatory: false, Amqp.Persistent(), TestMessages.Body(i, 16));
                }
            }

            await broker.StopGracefullyAsync();
            await Task.Delay(2500);

            var restarted = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(restarted))
            await using (var channel = await connection.CreateChannelAsync())
            {
                var deadline = DateTime.UtcNow.AddSeconds(10);
                uint count;
                while ((count = await Amqp.MessageCountAsync(channel, "short-lived")) > 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }

                context.Check(count == 0, $"{count} messages whose TTL ran out while the broker was stopped are still in the queue 10 s after the start");
            }

            await restarted.StopGracefullyAsync();
        });
    }
}
