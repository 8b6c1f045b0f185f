using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Quorum queues keep every message, whatever its delivery mode (RabbitMQ's quorum queues ignore it):
/// after a kill -9 every confirmed message is back in order, and the queue's delivery limit still
/// applies to what it recovered.
/// </summary>
public sealed class QuorumDurabilityTests(ITestOutputHelper output)
{
    private const string Queue = "quorum-durability";
    private const string DeadLetters = "quorum-durability-dlq";
    private const int Count = 300;

    [Fact]
    public async Task Confirmed_messages_of_any_delivery_mode_survive_kill_9_and_the_limit_still_applies()
    {
        using var context = new ProcessTestContext(output, "quorum-durability");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var connection = await Amqp.ConnectAsync(broker);
            var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
            await publisher.QueueDeclareAsync(DeadLetters, durable: true, exclusive: false, autoDelete: false);
            await publisher.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-delivery-limit"] = 0,
                ["x-dead-letter-exchange"] = "",
                ["x-dead-letter-routing-key"] = DeadLetters,
            });

            // Even ids transient, odd ids persistent: all of them are confirmed only once on disk.
            await Amqp.PublishConfirmedAsync(publisher, "", Queue,
                Enumerable.Range(0, Count).Select(id => (id % 2 == 0 ? Amqp.Transient() : Amqp.Persistent(), TestMessages.Body(id, 200))));
            broker.Kill();
            connection.Dispose();

            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            {
                var deliveries = await Amqp.ReadQueueAsync(check, Queue, ack: false);
                var ids = deliveries.Select(d => d.Id ?? -1).ToList();
                context.Report($"after kill -9: {ids.Count} messages; recovered: {restarted.Recovered}");
                context.Check(ids.SequenceEqual(Enumerable.Range(0, Count).Select(i => (long)i)),
                    $"after kill -9 the quorum queue holds [{string.Join(",", ids.Take(40))}...] ({ids.Count}), expected 0..{Count - 1}");
                context.Check(deliveries.All(d => d.Properties.DeliveryMode == (d.Id % 2 == 0 ? DeliveryModes.Transient : DeliveryModes.Persistent)),
                    "a recovered message's delivery mode changed");
            }

            // The connection above closed with everything unacknowledged: each message came back once,
            // past its limit of 0, so all of them were dead-lettered.
            await using (var check = await Amqp.ConnectAsync(restarted))
            await using (var channel = await check.CreateChannelAsync())
            {
                context.Check(await Amqp.MessageCountAsync(channel, Queue) == 0, "the quorum queue still holds messages past their delivery limit");
                context.Check(await Amqp.MessageCountAsync(channel, DeadLetters) == Count, "not every message was dead-lettered at its delivery limit");
            }

            await restarted.StopGracefullyAsync();
        });
    }
}
