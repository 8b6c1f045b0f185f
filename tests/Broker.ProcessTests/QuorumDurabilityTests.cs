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

    [Fact]
    public async Task Delivery_counts_survive_kill_9_so_the_limit_still_stops_a_poison_message()
    {
        using var context = new ProcessTestContext(output, "quorum-delivery-count");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var connection = await Amqp.ConnectAsync(broker);
            var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
            await publisher.QueueDeclareAsync(DeadLetters, durable: true, exclusive: false, autoDelete: false);
            await publisher.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-delivery-limit"] = 2,
                ["x-dead-letter-exchange"] = "",
                ["x-dead-letter-routing-key"] = DeadLetters,
            });
            await Amqp.PublishConfirmedAsync(publisher, "", Queue, [(Amqp.Persistent(), TestMessages.Body(0, 100))]);

            // Returned twice: the limit of 2 allows no more.
            var consumer = await connection.CreateChannelAsync();
            for (var i = 0; i < 2; i++)
            {
                var got = await Amqp.GetAsync(consumer, Queue) ?? throw context.Failure("the queue ran dry");
                await consumer.BasicNackAsync(got.DeliveryTag, multiple: false, requeue: true);
            }

            // A confirmed publish after the returns: the store writes the return records no later than it.
            _ = await Amqp.MessageCountAsync(consumer, Queue);
            await Amqp.PublishConfirmedAsync(publisher, "", Queue, [(Amqp.Persistent(), TestMessages.Body(1, 100))]);
            broker.Kill();
            connection.Dispose();

            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            await using (var channel = await check.CreateChannelAsync())
            {
                var poison = await Amqp.GetAsync(channel, Queue) ?? throw context.Failure("the returned message is gone after kill -9");
                var count = poison.Properties.Headers is { } headers && headers.TryGetValue("x-delivery-count", out var value) ? Convert.ToInt64(value) : 0;
                context.Check(poison.Id == 0 && poison.Redelivered && count == 2, $"after kill -9 the message came back as id {poison.Id}, redelivered {poison.Redelivered}, x-delivery-count {count}; expected id 0, true, 2");
                await channel.BasicNackAsync(poison.DeliveryTag, multiple: false, requeue: true);
                _ = await Amqp.MessageCountAsync(channel, Queue);
                context.Check(await Amqp.MessageCountAsync(channel, DeadLetters) == 1, "the third return did not dead-letter the message");
            }

            await restarted.StopGracefullyAsync();
        });
    }
}
