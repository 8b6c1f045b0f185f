using System.Diagnostics;
using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Segments whose records are all acked are deleted: a few hundred megabytes flowing through a durable
/// queue with a consumer keeping up leave only a few 8 MiB segments on disk.
/// </summary>
public sealed class SegmentReclamationTests(ITestOutputHelper output)
{
    private const string Queue = "reclamation";
    private const int Count = 2000;
    private const int BodySize = 100_000;
    private const long SegmentSize = 8L * 1024 * 1024;
    private const int MaxLag = 100;

    [Fact]
    public async Task Acked_segments_are_deleted_while_200_MB_flow_through_a_durable_queue()
    {
        using var context = new ProcessTestContext(output, "reclamation");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var queues = Path.Combine(context.DataDirectory, "queues");
            await using var connection = await Amqp.ConnectAsync(broker);
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);

            long maxBytes = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    maxBytes = Math.Max(maxBytes, ProcessTestContext.DirectorySize(queues));
                    await Task.Delay(50);
                }
            });

            // The consumer acks each message; the publisher keeps at most 50 unconfirmed and at most
            // MaxLag published but not yet acked: the queue itself never holds more than ~10 MB.
            var clock = Stopwatch.StartNew();
            using var lag = new SemaphoreSlim(MaxLag);
            var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 20);
            var consuming = Task.Run(async () =>
            {
                for (long expected = 0; expected < Count; expected++)
                {
                    var delivery = await consumer.NextAsync(Amqp.Patience);
                    if (delivery.Id != expected)
                    {
                        throw new InvalidOperationException($"message #{expected} is {TestMessages.Describe(delivery.Body)}");
                    }

                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                    lag.Release();
                }
            });
            var publisher = await WindowedPublisher.CreateAsync(connection, window: 50);
            for (var id = 0; id < Count; id++)
            {
                if (!await lag.WaitAsync(Amqp.Patience))
                {
                    throw context.Failure($"the consumer did not ack message {id - MaxLag} within {Amqp.Patience.TotalSeconds} s");
                }

                await publisher.PublishAsync("", Queue, Amqp.Persistent(), TestMessages.Body(id, BodySize));
            }

            await publisher.WaitForConfirmsAsync();
            await consuming;
            _ = await Amqp.MessageCountAsync(channel, Queue);
            var elapsed = clock.Elapsed;

            // The writer deletes dead segments on its next passes: give it a moment.
            var settled = Stopwatch.StartNew();
            var size = ProcessTestContext.DirectorySize(queues);
            while (size > 2 * SegmentSize && settled.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
                size = ProcessTestContext.DirectorySize(queues);
            }

            await sampling.CancelAsync();
            await sampler;
            context.Report($"{Count} messages of {BodySize} bytes ({Count * (long)BodySize / 1048576.0:F0} MiB) published, consumed and acked in {elapsed.TotalSeconds:F1} s; "
                + $"queues/ at most {maxBytes / 1048576.0:F1} MiB while flowing, {size / 1048576.0:F1} MiB after {settled.Elapsed.TotalSeconds:F1} s:\n"
                + ProcessTestContext.ListDirectory(queues));
            context.Check(size <= 2 * SegmentSize, $"queues/ holds {size} bytes after everything was acked, expected at most two segments ({2 * SegmentSize})");
            context.Check(maxBytes <= 5 * SegmentSize, $"queues/ grew to {maxBytes} bytes with at most {MaxLag} messages ({MaxLag * (long)BodySize} bytes) unacked at any time, expected at most five segments ({5 * SegmentSize})");
            await broker.StopGracefullyAsync();
        });
    }
}
