using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// After a restart the queue reads its messages back from the log in batches. Records acked before the
/// restart stay in their segment until the whole segment is settled, so the first live record can be
/// megabytes into the log: reading must skip them and still find every message.
/// </summary>
public sealed class RecoveryReadTests(ITestOutputHelper output)
{
    private const string Queue = "acked-prefix";

    [Theory]
    [InlineData(1000, 10_000, 600)]
    [InlineData(200, 100_000, 130)]
    public async Task Messages_behind_megabytes_of_acked_records_are_all_delivered_after_a_graceful_restart(int count, int bodySize, int acked)
    {
        using var context = new ProcessTestContext(output, "acked-prefix");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker))
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
                await using var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
                await Amqp.PublishConfirmedAsync(publisher, "", Queue, Enumerable.Range(0, count).Select(id => (Amqp.Persistent(), TestMessages.Body(id, bodySize))));
                var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 100);
                for (var i = 0; i < acked; i++)
                {
                    var delivery = await consumer.NextAsync(Amqp.Patience);
                    context.Check(delivery.Id == i, $"before the restart: expected id {i}, got {TestMessages.Describe(delivery.Body)}");
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                }

                await channel.BasicCancelAsync(consumer.ConsumerTag);
            }

            await broker.StopGracefullyAsync();
            context.Report($"{count} messages of {bodySize} bytes, the first {acked} acked ({(long)acked * bodySize / 1048576.0:F1} MiB), graceful restart; data: "
                + string.Join(", ", Directory.GetFiles(Path.Combine(context.DataDirectory, "queues"), "*", SearchOption.AllDirectories).Order().Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length}")));

            var restarted = await context.StartBrokerAsync();
            context.Report($"recovered: {restarted.Recovered}");
            await using (var connection = await Amqp.ConnectAsync(restarted))
            {
                await using var channel = await connection.CreateChannelAsync();
                var before = await Amqp.MessageCountAsync(channel, Queue);
                context.Check(before == count - acked, $"queue.declare reports {before} messages after the restart, expected {count - acked}");
                var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 100);
                var received = new List<long>();
                try
                {
                    while (received.Count < count - acked)
                    {
                        var delivery = await consumer.NextAsync(TimeSpan.FromSeconds(10));
                        received.Add(delivery.Id ?? -1);
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                    }
                }
                catch (TimeoutException)
                {
                    await using var other = await connection.CreateChannelAsync();
                    var after = await Amqp.MessageCountAsync(other, Queue);
                    throw context.Failure($"after the restart the queue reported {before} messages but delivered only {received.Count} "
                        + $"(ids {(received.Count == 0 ? "none" : $"{received[0]}..{received[^1]}")}) and then nothing for 10 s; "
                        + $"queue.declare now reports {after} ready messages");
                }

                context.Check(received.SequenceEqual(Enumerable.Range(acked, count - acked).Select(i => (long)i)),
                    $"after the restart got ids {string.Join(",", received.Take(10))}..., expected {acked}..{count - 1} in order");
            }

            await restarted.StopGracefullyAsync();
        });
    }
}
