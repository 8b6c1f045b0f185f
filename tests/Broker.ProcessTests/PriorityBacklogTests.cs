using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Priority queues page to disk like ordinary queues: a long backlog spread over ten priorities keeps
/// the broker's resident memory bounded and drains highest priority first, FIFO within a priority; after
/// kill -9 a durable priority queue comes back in that order, delivered messages marked redelivered.
/// </summary>
public sealed class PriorityBacklogTests(ITestOutputHelper output)
{
    private const int MaxPriority = 9;
    private const int BodySize = 1024;

    private static readonly Dictionary<string, object?> PriorityArguments = new() { ["x-max-priority"] = MaxPriority };

    /// <summary>Spreads ids over the ten priorities unevenly, so that levels interleave in every order.</summary>
    private static byte PriorityOf(long id) => (byte)((id * 7 + id / 11) % (MaxPriority + 1));

    private static BasicProperties Persistent(long id) => new() { DeliveryMode = DeliveryModes.Persistent, Priority = PriorityOf(id) };

    /// <summary>The order RabbitMQ delivers ids 0..count-1 in: priority descending, then publish order.</summary>
    private static List<long> DeliveryOrder(int count) =>
        [.. Enumerable.Range(0, count).Select(i => (long)i).OrderByDescending(PriorityOf).ThenBy(id => id)];

    [Fact]
    public async Task Two_hundred_thousand_priority_messages_backlog_in_bounded_memory_and_drain_by_priority()
    {
        const int Count = 200_000;

        // 200,000 bodies of 1 KiB are 195 MiB: kept in memory (as priority queues were) RSS grows by more
        // than that. Paged, it grew by about 110 MiB at most, mostly during the drain (an ordinary queue
        // with the same load: about 87 MiB).
        const long AllowedGrowth = 144L * 1024 * 1024;
        using var context = new ProcessTestContext(output, "priority-backlog");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using var connection = await Amqp.ConnectAsync(broker);
            await using (var setup = await connection.CreateChannelAsync())
            {
                await setup.QueueDeclareAsync("priority-backlog", durable: true, exclusive: false, autoDelete: false, PriorityArguments);
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

            var publisher = await WindowedPublisher.CreateAsync(connection, window: 2000);
            for (var id = 0; id < Count; id++)
            {
                await publisher.PublishAsync("", "priority-backlog", Persistent(id), TestMessages.Body(id, BodySize));
            }

            await publisher.WaitForConfirmsAsync();
            context.Check(publisher.Nacked == 0, $"{publisher.Nacked} publishes were nacked");
            await publisher.Channel.CloseAsync();
            await Task.Delay(500);
            var endRss = broker.ReadResidentBytes();
            maxRss = Math.Max(maxRss, endRss);

            var expected = DeliveryOrder(Count);
            await using (var channel = await connection.CreateChannelAsync())
            {
                var count = await Amqp.MessageCountAsync(channel, "priority-backlog");
                context.Check(count == Count, $"queue.declare reports {count} messages after {Count} confirmed publishes");
                var consumer = await QueueConsumer.StartAsync(channel, "priority-backlog", prefetch: 1000);
                for (var n = 0; n < Count; n++)
                {
                    var delivery = await consumer.NextAsync(Amqp.Patience);
                    if (delivery.Id != expected[n])
                    {
                        throw context.Failure($"delivery #{n} is {TestMessages.Describe(delivery.Body)} (priority {delivery.Properties.Priority}), expected id {expected[n]} (priority {PriorityOf(expected[n])})");
                    }

                    if (n % 500 == 499 || n == Count - 1)
                    {
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
                    }
                }

                context.Check(await Amqp.MessageCountAsync(channel, "priority-backlog") == 0, "the queue is not empty after the drain");
            }

            await sampling.CancelAsync();
            await sampler;
            context.Report($"{Count} persistent messages of {BodySize} bytes over {MaxPriority + 1} priorities: RSS {Mib(baseRss)} at start, {Mib(endRss)} with the backlog, {Mib(maxRss)} max sampled, VmHWM {Mib(broker.ReadPeakResidentBytes())}");
            context.Check(maxRss < baseRss + AllowedGrowth,
                $"the broker's RSS reached {Mib(maxRss)} (start {Mib(baseRss)}): more than {Mib(AllowedGrowth)} above the start for a backlog that should be on disk");
            await broker.StopGracefullyAsync();
        });
    }

    [Fact]
    public async Task A_paged_durable_priority_queue_comes_back_in_priority_order_after_kill_9()
    {
        const int Count = 30_000;
        const int Delivered = 50;
        const int Sentinel = 1_000_000;
        using var context = new ProcessTestContext(output, "priority-kill");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var connection = await Amqp.ConnectAsync(broker);
            var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
            await publisher.QueueDeclareAsync("priority-kill", durable: true, exclusive: false, autoDelete: false, PriorityArguments);
            await Amqp.PublishConfirmedAsync(publisher, "", "priority-kill", Enumerable.Range(0, Count).Select(id => (Persistent(id), TestMessages.Body(id, BodySize))), window: 256);

            // The first 50 in delivery order are taken and left unacknowledged: they come back redelivered.
            var expected = DeliveryOrder(Count);
            var getter = await connection.CreateChannelAsync();
            for (var n = 0; n < Delivered; n++)
            {
                var got = await Amqp.GetAsync(getter, "priority-kill");
                context.Check(got?.Id == expected[n], $"basic.get #{n} gave {(got is null ? "nothing" : TestMessages.Describe(got.Body))}, expected id {expected[n]}");
            }

            // A round trip, then a confirmed persistent publish: the store writes the delivered markers
            // queued before it no later than it syncs that message (priority 0: it goes last).
            _ = await Amqp.MessageCountAsync(getter, "priority-kill");
            await publisher.BasicPublishAsync("", "priority-kill", mandatory: false, Amqp.Persistent(), TestMessages.Body(Sentinel, BodySize));
            broker.Kill();
            connection.Dispose();

            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            {
                var deliveries = await Amqp.ReadQueueAsync(check, "priority-kill", ack: true);
                var ids = deliveries.Select(d => d.Id ?? -1).ToList();
                var problems = new List<string>();
                if (!ids.SequenceEqual(expected.Append(Sentinel)))
                {
                    var at = ids.Zip(expected.Append(Sentinel)).TakeWhile(pair => pair.First == pair.Second).Count();
                    problems.Add($"{ids.Count} messages; the order departs from priority then publish order at #{at}: [{string.Join(",", ids.Skip(at).Take(10))}...], expected [{string.Join(",", expected.Append(Sentinel).Skip(at).Take(10))}...]");
                }

                var wrongFlags = deliveries.Select((d, n) => (d, n)).Where(x => x.d.Redelivered != (x.n < Delivered)).Take(10).ToList();
                if (wrongFlags.Count > 0)
                {
                    problems.Add("redelivered flags wrong for " + string.Join(", ", wrongFlags.Select(x => $"#{x.n} (id {x.d.Id}: {x.d.Redelivered})")));
                }

                context.Report($"after kill -9: {deliveries.Count} messages, {deliveries.Count(d => d.Redelivered)} redelivered; recovered: {restarted.Recovered}");
                context.Check(problems.Count == 0, "after kill -9:\n  " + string.Join("\n  ", problems));
            }

            // All acked: nothing comes back after a graceful restart.
            await restarted.StopGracefullyAsync();
            var again = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(again))
            {
                await using var channel = await check.CreateChannelAsync();
                var left = await Amqp.MessageCountAsync(channel, "priority-kill");
                context.Check(left == 0, $"{left} messages came back after all were acked");
            }

            await again.StopGracefullyAsync();
        });
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
