using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Confirmed messages held by a durable x-delayed-message exchange, transient ones too, survive kill -9: after the
/// restart each is delivered once, no earlier than its due time, in due-time order; once routed and acked
/// they do not come back after another restart. The plugin (not packaged in Debian, so RabbitMQ cannot
/// run this) keeps delayed messages in a disc_copies Mnesia table and re-arms its timer at start
/// (rabbit_delayed_message.erl v3.13.0, init/1 and handle_cast(go)).
/// </summary>
public sealed class DelayedMessageRestartTests(ITestOutputHelper output)
{
    private const string Exchange = "delayed-restart";
    private const string Queue = "delayed-restart-target";
    private const int Count = 1000;
    private const int Seed = 20261201;

    /// <summary>Due times are computed on the client; the broker's may differ by the publish's travel time.</summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Confirmed_delayed_messages_survive_kill_9_and_arrive_in_due_order()
    {
        using var context = new ProcessTestContext(output, "delayed-restart");
        await context.RunAsync(async () =>
        {
            var random = new Random(Seed);
            var due = new DateTime[Count];
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker))
            await using (var channel = await connection.CreateChannelAsync(Amqp.Confirming))
            {
                await channel.ExchangeDeclareAsync(Exchange, "x-delayed-message", durable: true, autoDelete: false, new Dictionary<string, object?> { ["x-delayed-type"] = "direct" });
                await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
                await channel.QueueBindAsync(Queue, Exchange, "k");
                var pending = new List<Task>();
                for (var id = 0; id < Count; id++)
                {
                    var delay = 6000 + random.Next(4000);
                    var properties = id % 2 == 0 ? Amqp.Transient() : Amqp.Persistent();
                    properties.Headers = new Dictionary<string, object?> { ["x-delay"] = delay };
                    due[id] = DateTime.UtcNow.AddMilliseconds(delay);
                    pending.Add(channel.BasicPublishAsync(Exchange, "k", mandatory: false, properties, TestMessages.Body(id, 64)).AsTask());
                }

                await Task.WhenAll(pending);
                context.Check(await Amqp.MessageCountAsync(channel, Queue) == 0, "a delayed message reached the queue before its delay");
            }

            broker.Kill();
            var restarted = await context.StartBrokerAsync();
            var delivered = new List<(long Id, DateTime At)>();
            await using (var connection = await Amqp.ConnectAsync(restarted))
            await using (var channel = await connection.CreateChannelAsync())
            {
                var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 0, autoAck: true);
                while (delivered.Count < Count)
                {
                    var delivery = await consumer.NextAsync(Amqp.Patience);
                    context.Check(delivery.Id is not null, $"a body does not verify: {TestMessages.Describe(delivery.Body)}");
                    delivered.Add((delivery.Id!.Value, DateTime.UtcNow));
                }

                context.Check(await consumer.TryNextAsync(TimeSpan.FromMilliseconds(500)) is null, "more deliveries than messages published");
            }

            var seen = new HashSet<long>();
            for (var i = 0; i < delivered.Count; i++)
            {
                var (id, at) = delivered[i];
                context.Check(seen.Add(id), $"message {id} was delivered twice");
                context.Check(at >= due[id] - Tolerance, $"message {id} arrived {(due[id] - at).TotalMilliseconds:F0} ms before its due time");
                if (i > 0)
                {
                    var previous = delivered[i - 1].Id;
                    context.Check(due[previous] <= due[id] + Tolerance, $"message {previous} (due {due[previous]:HH:mm:ss.fff}) came before message {id} (due {due[id]:HH:mm:ss.fff})");
                }
            }

            context.Report($"{Count} delayed messages recovered after kill -9 ({restarted.Recovered?.Messages} recovered records) and delivered in due order");

            // Routed, delivered and acked: a graceful restart brings none of them back.
            await restarted.StopGracefullyAsync();
            var last = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(last))
            await using (var channel = await connection.CreateChannelAsync())
            {
                var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 0, autoAck: true);
                var stray = await consumer.TryNextAsync(TimeSpan.FromSeconds(1));
                context.Check(stray is null, $"a routed delayed message came back after a restart: {(stray is null ? "" : TestMessages.Describe(stray.Body))}");
            }

            await last.StopGracefullyAsync();
        });
    }
}
