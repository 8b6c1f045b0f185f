using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// A stream written by a confirming publisher is killed with SIGKILL mid-write: after the restart it
/// holds every confirmed message exactly once, in publish order with rising offsets, and appends go
/// on after the highest recovered offset.
/// </summary>
public sealed class StreamCrashTests(ITestOutputHelper output)
{
    private const string Stream = "stream-crash";

    private static readonly Dictionary<string, object?> StreamArguments = new()
    {
        ["x-queue-type"] = "stream",
        ["x-stream-max-segment-size-bytes"] = 64 * 1024,
    };

    [Fact]
    public async Task Confirmed_messages_survive_kill_9_in_order_and_offsets_continue()
    {
        using var context = new ProcessTestContext(output, "stream-crash");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var connection = await Amqp.ConnectAsync(broker);
            var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
            await publisher.QueueDeclareAsync(Stream, durable: true, exclusive: false, autoDelete: false, StreamArguments);

            // A reader follows the writes: what it is given before the crash must still be there after it,
            // at the same offsets (a stream hands out only what a crash cannot take back).
            var reader = await connection.CreateChannelAsync();
            var follower = await QueueConsumer.StartAsync(reader, Stream, prefetch: 2000, autoAck: false, arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" });

            // Batches of 50, each confirmed before the next: everything below `confirmed` is on disk.
            var confirmed = 0;
            var killAfter = Task.Delay(TimeSpan.FromMilliseconds(700));
            while (!killAfter.IsCompleted)
            {
                await Amqp.PublishConfirmedAsync(publisher, "", Stream, Enumerable.Range(confirmed, 50).Select(id => (Amqp.Transient(), TestMessages.Body(id, 200))));
                confirmed += 50;
            }

            // One more batch in flight while the broker dies.
            var inFlight = Amqp.PublishConfirmedAsync(publisher, "", Stream, Enumerable.Range(confirmed, 50).Select(id => (Amqp.Transient(), TestMessages.Body(id, 200))));
            broker.Kill();
            try
            {
                await inFlight;
            }
            catch (Exception)
            {
                // unconfirmed: may or may not be there
            }

            var seen = new List<(long? Id, long Offset)>();
            while (await follower.TryNextAsync(TimeSpan.FromMilliseconds(50)) is { } early)
            {
                seen.Add((early.Id, Convert.ToInt64(early.Properties.Headers!["x-stream-offset"])));
            }

            connection.Dispose();
            context.Report($"confirmed {confirmed} messages before kill -9; a reader had been given {seen.Count}");

            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            {
                var channel = await check.CreateChannelAsync();
                var consumer = await QueueConsumer.StartAsync(channel, Stream, prefetch: 1000, arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" });
                var deliveries = new List<Delivery>();
                while (await consumer.TryNextAsync(TimeSpan.FromSeconds(2)) is { } delivery)
                {
                    deliveries.Add(delivery);
                    if (deliveries.Count % 500 == 0)
                    {
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
                    }
                }

                var ids = deliveries.Select(d => d.Id ?? -1).ToList();
                var offsets = deliveries.Select(d => Convert.ToInt64(d.Properties.Headers!["x-stream-offset"])).ToList();
                context.Report($"after kill -9: {ids.Count} messages; recovered: {restarted.Recovered}");
                context.Check(ids.Count >= confirmed, $"only {ids.Count} messages came back; {confirmed} were confirmed");
                context.Check(ids.SequenceEqual(Enumerable.Range(0, ids.Count).Select(i => (long)i)), $"ids out of order or duplicated: [{string.Join(",", ids.Take(30))}...]");
                context.Check(offsets.SequenceEqual(Enumerable.Range(0, offsets.Count).Select(i => (long)i)), "offsets are not 0, 1, 2, ...");
                context.Check(seen.All(s => s.Offset < ids.Count && ids[(int)s.Offset] == s.Id),
                    $"a message given to a reader before the crash is not at its offset after it ({seen.Count} seen, {ids.Count} recovered)");

                // Appends go on after what was recovered.
                await using var publisherAfter = await check.CreateChannelAsync(Amqp.Confirming);
                await Amqp.PublishConfirmedAsync(publisherAfter, "", Stream, [(Amqp.Transient(), TestMessages.Body(ids.Count, 200))]);
                var next = await consumer.NextAsync(Amqp.Patience);
                context.Check(next.Id == ids.Count && Convert.ToInt64(next.Properties.Headers!["x-stream-offset"]) == ids.Count,
                    $"the first message after the restart has id {next.Id} at offset {next.Properties.Headers!["x-stream-offset"]}, expected {ids.Count}");
            }

            await restarted.StopGracefullyAsync();
        });
    }
}
