using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Acks across a restart: acked messages stay gone after a graceful stop (RabbitMQ: always) and may come
/// back after a crash only if their ack was still in flight; delivered but unacked messages come back
/// redelivered; confirmed ones are never lost.
/// </summary>
public sealed class AckDurabilityTests(ITestOutputHelper output)
{
    private const string Queue = "acks";
    private const int Count = 1000;
    private const int Acked = 500;
    private const int BodySize = 200;

    [Fact]
    public async Task Acks_across_kill_9_lose_no_confirmed_message_and_unacked_ones_come_back_redelivered()
    {
        using var context = new ProcessTestContext(output, "acks-crash");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (await PublishConsumeAndAckHalfAsync(broker, sentinel: true))
            {
                broker.Kill();
            }

            var restarted = await context.StartBrokerAsync();
            var (back, redeliveredOfAcked) = await CheckAfterRestartAsync(context, restarted, sentinel: true, ackedMayComeBack: true);
            context.Report($"kill -9: {Count} published and confirmed, {Acked} acked (each confirmed by a round trip), {Count - Acked} delivered and unacked; "
                + $"after restart {back} of the acked ones came back ({redeliveredOfAcked} of those redelivered); recovered: {restarted.Recovered}");
            await restarted.StopGracefullyAsync();
        });
    }

    [Fact]
    public async Task Acked_messages_never_come_back_after_a_graceful_restart()
    {
        using var context = new ProcessTestContext(output, "acks-graceful");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (await PublishConsumeAndAckHalfAsync(broker, sentinel: false))
            {
                await broker.StopGracefullyAsync();
            }

            var restarted = await context.StartBrokerAsync();
            var (back, _) = await CheckAfterRestartAsync(context, restarted, sentinel: false, ackedMayComeBack: false);
            context.Report($"graceful: {Acked} acked, {back} came back; recovered: {restarted.Recovered}");
            await restarted.StopGracefullyAsync();
        });
    }

    /// <summary>
    /// Publishes ids 0..Count-1 (persistent, confirmed), consumes them all, acks ids 0..Acked-1 one by one
    /// and makes a round trip on the same channel; the rest stay delivered and unacked (the consumer is
    /// cancelled, its channel stays open). With
    /// <paramref name="sentinel"/>, then publishes one more persistent message (id Count) and waits for
    /// its confirm: the store writes the delivered markers and acks before it syncs that message.
    /// </summary>
    private static async Task<IConnection> PublishConsumeAndAckHalfAsync(BrokerProcess broker, bool sentinel)
    {
        var connection = await Amqp.ConnectAsync(broker, "acks");
        var setup = await connection.CreateChannelAsync();
        await setup.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
        await Amqp.PublishConfirmedAsync(publisher, "", Queue, Enumerable.Range(0, Count).Select(id => (Amqp.Persistent(), TestMessages.Body(id, BodySize))));

        var consuming = await connection.CreateChannelAsync();
        var consumer = await QueueConsumer.StartAsync(consuming, Queue, prefetch: 0);
        var deliveries = await consumer.TakeAsync(Count, Amqp.Patience);
        for (var i = 0; i < Acked; i++)
        {
            // Individual acks, the first ones alternately multiple to settle pairs.
            await consuming.BasicAckAsync(deliveries[i].DeliveryTag, multiple: i % 2 == 1 && i < 100);
        }

        _ = await Amqp.MessageCountAsync(consuming, Queue);
        await consuming.BasicCancelAsync(consumer.ConsumerTag);
        if (sentinel)
        {
            await publisher.BasicPublishAsync("", Queue, mandatory: false, Amqp.Persistent(), TestMessages.Body(Count, BodySize));
        }

        // The connection stays open: the broker is stopped or killed with the messages still unacked.
        return connection;
    }

    /// <summary>Reads the queue after the restart; returns how many acked messages came back.</summary>
    private static async Task<(int AckedBack, int AckedBackRedelivered)> CheckAfterRestartAsync(ProcessTestContext context, BrokerProcess broker, bool sentinel, bool ackedMayComeBack)
    {
        await using var connection = await Amqp.ConnectAsync(broker, "check");
        await using var channel = await connection.CreateChannelAsync();
        var count = (int)await Amqp.MessageCountAsync(channel, Queue);
        var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 0);
        var deliveries = await consumer.TakeAsync(count, Amqp.Patience);
        await using (var other = await connection.CreateChannelAsync())
        {
            context.Check(await Amqp.GetAsync(other, Queue) is null, $"queue.declare said {count} messages but there are more");
        }

        var problems = new List<string>();
        var seen = new HashSet<long>();
        var ackedBack = 0;
        var ackedBackRedelivered = 0;
        long previous = -1;
        foreach (var delivery in deliveries)
        {
            if (delivery.Id is not { } id)
            {
                problems.Add($"corrupted body: {TestMessages.Describe(delivery.Body)}");
                continue;
            }

            if (!seen.Add(id))
            {
                problems.Add($"id {id} twice");
            }

            if (id <= previous)
            {
                problems.Add($"id {id} after id {previous}: out of order");
            }

            previous = id;
            if (id < Acked)
            {
                ackedBack++;
                ackedBackRedelivered += delivery.Redelivered ? 1 : 0;
                if (!ackedMayComeBack)
                {
                    problems.Add($"id {id} was acked before the graceful stop but came back (redelivered={delivery.Redelivered})");
                }
            }
            else if (id < Count && !delivery.Redelivered)
            {
                problems.Add($"id {id} was delivered (unacked) before the stop but came back with redelivered=false");
            }
            else if (id == Count && delivery.Redelivered)
            {
                problems.Add($"id {id} (sentinel, never delivered) came back with redelivered=true");
            }
        }

        var missing = Enumerable.Range(Acked, Count - Acked + (sentinel ? 1 : 0)).Where(id => !seen.Contains(id)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} confirmed, unacked messages are missing: {string.Join(", ", missing.Take(20))}");
        }

        context.Check(problems.Count == 0, $"after the restart ({deliveries.Count} messages in the queue):\n  " + string.Join("\n  ", problems.Take(40)));
        return (ackedBack, ackedBackRedelivered);
    }
}
