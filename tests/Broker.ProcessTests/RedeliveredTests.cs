using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// The redelivered flag across restarts: messages delivered (and not acked) before a kill -9 come back
/// with redelivered=true, never-delivered ones with redelivered=false. Delivered markers are written
/// without a sync of their own, so only deliveries made well before the kill count: a persistent
/// message published and confirmed afterwards makes the store write everything before it.
/// </summary>
public sealed class RedeliveredTests(ITestOutputHelper output)
{
    private const string Queue = "redelivered";
    private const int Count = 200;
    private const int Sentinel = 1000;

    [Fact]
    public async Task Delivered_messages_come_back_redelivered_after_kill_9_and_others_do_not()
    {
        using var context = new ProcessTestContext(output, "redelivered");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var connection = await Amqp.ConnectAsync(broker);
            var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
            await publisher.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
            await Amqp.PublishConfirmedAsync(publisher, "", Queue, Enumerable.Range(0, Count).Select(id => (Amqp.Persistent(), TestMessages.Body(id, 300))));

            // ids 0..29 by basic.get, 30..59 by a consumer (prefetch 30, then cancelled), both left unacked;
            // 60..69 by basic.get and nacked with requeue (back in the queue, delivered once).
            var getter = await connection.CreateChannelAsync();
            for (var i = 0; i < 30; i++)
            {
                var got = await Amqp.GetAsync(getter, Queue);
                context.Check(got?.Id == i, $"basic.get #{i} gave {(got is null ? "nothing" : TestMessages.Describe(got.Body))}");
            }

            var consuming = await connection.CreateChannelAsync();
            var consumer = await QueueConsumer.StartAsync(consuming, Queue, prefetch: 30);
            var consumed = await consumer.TakeAsync(30, Amqp.Patience);
            await consuming.BasicCancelAsync(consumer.ConsumerTag);
            context.Check(consumed.Select(d => d.Id).SequenceEqual(Enumerable.Range(30, 30).Select(i => (long?)i)), "the consumer did not get ids 30..59");
            await using (var nacking = await connection.CreateChannelAsync())
            {
                var nacked = new List<Delivery>();
                for (var i = 0; i < 10; i++)
                {
                    nacked.Add(await Amqp.GetAsync(nacking, Queue) ?? throw context.Failure("the queue ran dry"));
                }

                await nacking.BasicNackAsync(nacked[^1].DeliveryTag, multiple: true, requeue: true);
                _ = await Amqp.MessageCountAsync(nacking, Queue);
            }

            // Round trips, then a confirmed persistent publish: the store writes the delivered markers
            // queued before it no later than it syncs that message.
            _ = await Amqp.MessageCountAsync(getter, Queue);
            _ = await Amqp.MessageCountAsync(consuming, Queue);
            await publisher.BasicPublishAsync("", Queue, mandatory: false, Amqp.Persistent(), TestMessages.Body(Sentinel, 300));
            broker.Kill();
            connection.Dispose();

            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            {
                var deliveries = await Amqp.ReadQueueAsync(check, Queue, ack: false);
                var problems = Check(deliveries, delivered: id => id < 70);
                context.Report($"after kill -9: {deliveries.Count} messages, {deliveries.Count(d => d.Redelivered)} redelivered; recovered: {restarted.Recovered}");
                context.Check(problems.Count == 0, "after kill -9:\n  " + string.Join("\n  ", problems.Take(30)));
            }

            // Everything was delivered in that run (and requeued when the connection closed): after a
            // graceful restart every message is redelivered.
            await restarted.StopGracefullyAsync();
            var again = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(again))
            {
                var deliveries = await Amqp.ReadQueueAsync(check, Queue, ack: false);
                var problems = Check(deliveries, delivered: _ => true);
                context.Check(problems.Count == 0, "after reading everything and a graceful restart:\n  " + string.Join("\n  ", problems.Take(30)));
            }

            await again.StopGracefullyAsync();
        });
    }

    private static List<string> Check(List<Delivery> deliveries, Func<long, bool> delivered)
    {
        var problems = new List<string>();
        var ids = deliveries.Select(d => d.Id ?? -1).ToList();
        var expected = Enumerable.Range(0, Count).Select(i => (long)i).Append(Sentinel).ToList();
        if (!ids.SequenceEqual(expected))
        {
            problems.Add($"the queue holds [{string.Join(",", ids)}], expected 0..{Count - 1} then {Sentinel}");
        }

        foreach (var delivery in deliveries)
        {
            if (delivery.Id is { } id && delivery.Redelivered != delivered(id))
            {
                problems.Add($"id {id}: redelivered={delivery.Redelivered}, expected {delivered(id)}");
            }
        }

        return problems;
    }
}
