using System.Diagnostics;
using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// A long stream read by consumers: the broker holds its index and what consumers have unacknowledged,
/// never the stream, so its resident memory stays far below the stream's size while two consumers
/// read it all from the first offset, each at its own pace.
/// </summary>
public sealed class StreamMemoryTests(ITestOutputHelper output)
{
    private const string Stream = "long-stream";
    private const int Count = 300_000;
    private const int BodySize = 200;

    /// <summary>300,000 bodies of 200 bytes are 57 MiB; held in memory with their bookkeeping they take well over twice that.</summary>
    private const long AllowedGrowth = 64L * 1024 * 1024;

    [Fact]
    public async Task Three_hundred_thousand_messages_are_written_and_read_twice_in_bounded_memory()
    {
        using var context = new ProcessTestContext(output, "stream-memory");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using var connection = await Amqp.ConnectAsync(broker);
            await using (var setup = await connection.CreateChannelAsync())
            {
                await setup.QueueDeclareAsync(Stream, durable: true, exclusive: false, autoDelete: false,
                    new Dictionary<string, object?> { ["x-queue-type"] = "stream", ["x-stream-max-segment-size-bytes"] = 16 * 1024 * 1024 });
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
            for (var id = 0; id < Count; id++)
            {
                await publisher.PublishAsync("", Stream, Amqp.Persistent(), TestMessages.Body(id, BodySize));
            }

            await publisher.WaitForConfirmsAsync();
            var published = clock.Elapsed;
            context.Check(publisher.Nacked == 0, $"{publisher.Nacked} publishes were nacked");

            clock.Restart();
            var readers = await Task.WhenAll(ReadAllAsync(context, connection, prefetch: 1000), ReadAllAsync(context, connection, prefetch: 50));
            var read = clock.Elapsed;
            await sampling.CancelAsync();
            await sampler;
            context.Report($"{Count} messages of {BodySize} bytes: published and confirmed in {published.TotalSeconds:F1} s, read twice concurrently in {read.TotalSeconds:F1} s ({string.Join(", ", readers)})");
            context.Report($"RSS: {Mib(baseRss)} at start, {Mib(maxRss)} max sampled, VmHWM {Mib(broker.ReadPeakResidentBytes())}; queues/ {Mib(ProcessTestContext.DirectorySize(Path.Combine(context.DataDirectory, "queues")))}");
            context.Check(maxRss < baseRss + AllowedGrowth,
                $"the broker's RSS reached {Mib(maxRss)} (start {Mib(baseRss)}): more than {Mib(AllowedGrowth)} above the start for a stream that should be read from disk");
            await broker.StopGracefullyAsync();
        });
    }

    /// <summary>Reads the whole stream from the first offset, checking ids come 0, 1, 2...; returns how long it took.</summary>
    private static async Task<string> ReadAllAsync(ProcessTestContext context, RabbitMQ.Client.IConnection connection, ushort prefetch)
    {
        var clock = Stopwatch.StartNew();
        await using var channel = await connection.CreateChannelAsync();
        var consumer = await QueueConsumer.StartAsync(channel, Stream, prefetch, arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" });
        for (long expected = 0; expected < Count; expected++)
        {
            var delivery = await consumer.NextAsync(Amqp.Patience);
            if (delivery.Id != expected)
            {
                throw context.Failure($"message #{expected} read with prefetch {prefetch} is {TestMessages.Describe(delivery.Body)}");
            }

            if (expected % (prefetch / 2) == (prefetch / 2) - 1 || expected == Count - 1)
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
            }
        }

        return $"prefetch {prefetch}: {clock.Elapsed.TotalSeconds:F1} s";
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
