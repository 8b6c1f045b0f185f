using System.Diagnostics;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// A long backlog without consumers: the broker keeps a bounded head of each queue in memory and the
/// rest in the queue's log, so its resident memory stays far below what the messages would take, and
/// every message still comes out, in order.
/// </summary>
public sealed class BacklogMemoryTests(ITestOutputHelper output)
{
    private const string Queue = "backlog";
    private const int Count = 300_000;
    private const int BodySize = 200;

    /// <summary>300,000 bodies of 200 bytes are 57 MiB; kept in memory with their bookkeeping they take well over twice that.</summary>
    private const long AllowedGrowth = 64L * 1024 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Three_hundred_thousand_messages_backlog_in_bounded_memory_and_drain_in_order(bool persistent)
    {
        using var context = new ProcessTestContext(output, persistent ? "backlog-persistent" : "backlog-transient");
        await context.RunAsync(async () =>
        {
            // Persistent messages in a durable queue, or transient ones in a non-durable queue (paged out
            // to the data directory's transient/ area, which a restart throws away).
            var kind = persistent ? "persistent messages in a durable queue" : "transient messages in a non-durable queue";
            var files = Path.Combine(context.DataDirectory, persistent ? "queues" : "transient");
            var broker = await context.StartBrokerAsync();
            await using var connection = await Amqp.ConnectAsync(broker);
            await using (var setup = await connection.CreateChannelAsync())
            {
                await setup.QueueDeclareAsync(Queue, durable: persistent, exclusive: false, autoDelete: false);
            }

            var baseRss = broker.ReadResidentBytes();
            long maxRss = baseRss;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    maxRss = Math.Max(maxRss, broker.ReadResidentBytes());
                    await Task.Delay(100);
                }
            });

            var clock = Stopwatch.StartNew();
            var publisher = await WindowedPublisher.CreateAsync(connection, window: 2000);
            var properties = persistent ? Amqp.Persistent() : Amqp.Transient();
            for (var id = 0; id < Count; id++)
            {
                await publisher.PublishAsync("", Queue, properties, TestMessages.Body(id, BodySize));
            }

            await publisher.WaitForConfirmsAsync();
            var published = clock.Elapsed;
            context.Check(publisher.Nacked == 0, $"{publisher.Nacked} publishes were nacked");
            await publisher.Channel.CloseAsync();
            await Task.Delay(500);
            maxRss = Math.Max(maxRss, broker.ReadResidentBytes());
            var endRss = broker.ReadResidentBytes();
            var queueBytes = ProcessTestContext.DirectorySize(files);

            // Drain: prefetch 1000, multiple acks every 500, ids must come 0, 1, 2... intact.
            clock.Restart();
            await using (var channel = await connection.CreateChannelAsync())
            {
                var count = await Amqp.MessageCountAsync(channel, Queue);
                context.Check(count == Count, $"queue.declare reports {count} messages after {Count} confirmed publishes");
                var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 1000);
                for (long expected = 0; expected < Count; expected++)
                {
                    Delivery delivery;
                    try
                    {
                        delivery = await consumer.NextAsync(Amqp.Patience);
                    }
                    catch (TimeoutException ex)
                    {
                        throw context.Failure($"the drain stalled after {expected} of {Count} messages: {ex.Message}");
                    }

                    if (delivery.Id != expected)
                    {
                        throw context.Failure($"message #{expected} of the drain is {TestMessages.Describe(delivery.Body)}, expected id {expected}");
                    }

                    if (expected % 500 == 499 || expected == Count - 1)
                    {
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
                    }
                }

                context.Check(await Amqp.MessageCountAsync(channel, Queue) == 0, "the queue is not empty after the drain");
            }

            var drained = clock.Elapsed;
            await sampling.CancelAsync();
            await sampler;
            context.Report($"{Count} {kind}, {BodySize} bytes each ({Count * (long)BodySize / 1048576.0:F1} MiB of bodies): published and confirmed in {published.TotalSeconds:F1} s, drained in {drained.TotalSeconds:F1} s");
            context.Report($"RSS: {Mib(baseRss)} at start, {Mib(endRss)} with the backlog, {Mib(maxRss)} max sampled, VmHWM {Mib(broker.ReadPeakResidentBytes())}; {Path.GetFileName(files)}/ with the backlog {Mib(queueBytes)}");
            context.Check(maxRss < baseRss + AllowedGrowth,
                $"the broker's RSS reached {Mib(maxRss)} (start {Mib(baseRss)}): more than {Mib(AllowedGrowth)} above the start for a backlog that should be on disk");
            if (persistent)
            {
                await broker.StopGracefullyAsync();
                return;
            }

            // A crash, then a restart: the non-durable queue and its paging files are gone.
            broker.Kill();
            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            {
                var channel = await check.CreateChannelAsync();
                var gone = false;
                try
                {
                    await channel.QueueDeclarePassiveAsync(Queue);
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
                {
                    gone = true;
                }

                context.Check(gone, "the non-durable queue exists after kill -9 and a restart");
                context.Check(ProcessTestContext.DirectorySize(files) == 0, $"{files} still holds {ProcessTestContext.DirectorySize(files)} bytes after the restart");
            }

            await restarted.StopGracefullyAsync();
        });
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
