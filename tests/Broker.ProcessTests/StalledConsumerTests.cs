using Broker.ProcessTests.Infrastructure;
using Broker.RawClient;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// A no-ack consumer that stops reading its socket: the broker stops delivering to it once its socket
/// and a small output buffer are full, leaves the rest in the queue (on disk past the queue's head), and
/// its memory does not grow with what the consumer did not take.
/// </summary>
public sealed class StalledConsumerTests(ITestOutputHelper output)
{
    private const string Queue = "stalled";
    private const int Count = 200_000;
    private const int BodySize = 1024;

    /// <summary>
    /// 200,000 bodies of 1 KiB are 195 MiB; buffering them for the consumer would take more than that. The
    /// queue's head in memory (up to 32 MiB of bodies), the buffer pools and the garbage collector's slack
    /// account for what the broker legitimately grows by.
    /// </summary>
    private const long AllowedGrowth = 100L * 1024 * 1024;

    /// <summary>What may sit in socket buffers (ours, the kernel's on both sides) and in flight: generous.</summary>
    private const int AllowedInFlight = 20_000;

    [Fact]
    public async Task A_consumer_that_never_reads_gets_no_more_than_its_socket_takes_and_the_rest_stays_queued()
    {
        using var context = new ProcessTestContext(output, "stalled-consumer");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using var connection = await Amqp.ConnectAsync(broker);
            await using (var setup = await connection.CreateChannelAsync())
            {
                await setup.QueueDeclareAsync(Queue, durable: false, exclusive: false, autoDelete: false);
            }

            var baseRss = broker.ReadResidentBytes();
            await using var stalled = await RawAmqpConnection.ConnectAsync(broker.Uri, new RawConnectOptions { ReceiveBufferSize = 16 * 1024 });
            await stalled.OpenChannelAsync(1);
            await stalled.ConsumeAsync(1, Queue, noAck: true);
            long maxRss = baseRss;
            var publisher = await WindowedPublisher.CreateAsync(connection, window: 2000);
            for (var id = 0; id < Count; id++)
            {
                await publisher.PublishAsync("", Queue, Amqp.Transient(), TestMessages.Body(id, BodySize));
                if (id % 10_000 == 0)
                {
                    maxRss = Math.Max(maxRss, broker.ReadResidentBytes());
                }
            }

            await publisher.WaitForConfirmsAsync();
            context.Check(publisher.Nacked == 0, $"{publisher.Nacked} publishes were nacked");
            await Task.Delay(500);
            maxRss = Math.Max(maxRss, broker.ReadResidentBytes());

            await using var channel = await connection.CreateChannelAsync();
            var queued = await Amqp.MessageCountAsync(channel, Queue);
            context.Report($"{Count} messages of {BodySize} bytes published past a consumer that never reads: {Count - queued} handed to its socket, {queued} still queued; RSS {Mib(baseRss)} before, {Mib(maxRss)} max");
            context.Check(queued >= Count - AllowedInFlight, $"only {queued} of {Count} messages are still queued: {Count - queued} were handed to a consumer that reads nothing");
            context.Check(maxRss < baseRss + AllowedGrowth, $"the broker's RSS reached {Mib(maxRss)} (before {Mib(baseRss)}) while its consumer read nothing");

            // The consumer goes away; what it never got is still there, in order, for the next one.
            await stalled.DisposeAsync();
            var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 1000);
            var first = (await consumer.NextAsync(Amqp.Patience)).Id;
            context.Check(first == Count - queued, $"the first message after the stalled consumer is {first}, expected {Count - queued}");
            for (long expected = Count - queued + 1; expected < Count; expected++)
            {
                var delivery = await consumer.NextAsync(Amqp.Patience);
                if (delivery.Id != expected)
                {
                    throw context.Failure($"message {TestMessages.Describe(delivery.Body)} came where {expected} was expected");
                }

                if (expected % 500 == 0 || expected == Count - 1)
                {
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
                }
            }

            await broker.StopGracefullyAsync();
        });
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
