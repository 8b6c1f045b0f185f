using System.Buffers.Binary;
using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// A no-ack consumer that stops reading its socket: RabbitMQ stops delivering to it once its socket and
/// its own buffers are full (checked with 3.10: about 3,900 of 200,000 1 KiB messages went to the
/// socket), the rest stays in the queue, in order, for the next consumer.
/// </summary>
public sealed class SlowConsumerTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private const int Count = 50_000;
    private const int BodySize = 1024;

    /// <summary>What may sit in socket buffers (the kernel's on both sides, the broker's own) and in flight: generous.</summary>
    private const int AllowedInFlight = 20_000;

    [Fact]
    public async Task A_no_ack_consumer_that_stops_reading_gets_what_its_socket_takes_and_the_rest_stays_queued_in_order()
    {
        var queue = await DeclareQueueAsync();
        await using (var stalled = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { ReceiveBufferSize = 16 * 1024 }))
        {
            await stalled.OpenChannelAsync(1);
            await stalled.ConsumeAsync(1, queue, noAck: true);

            await using var publisher = await NewChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            var pending = new List<Task>(1000);
            for (var id = 0; id < Count; id++)
            {
                var body = new byte[BodySize];
                BinaryPrimitives.WriteInt32BigEndian(body, id);
                pending.Add(publisher.BasicPublishAsync("", queue, body).AsTask());
                if (pending.Count == pending.Capacity)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }

            await Task.WhenAll(pending);
            var queued = (int)(await Channel.QueueDeclarePassiveAsync(queue)).MessageCount;
            Assert.True(queued >= Count - AllowedInFlight, $"only {queued} of {Count} messages are still queued: {Count - queued} were handed to a consumer that reads nothing");
        }

        // The stalled consumer is gone: what it never got comes to the next one, in publish order.
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var first = BinaryPrimitives.ReadInt32BigEndian((await consumer.NextAsync()).Body);
        Assert.True(first > 0, "the stalled consumer took no message at all");
        for (var expected = first + 1; expected < Count; expected++)
        {
            Assert.Equal(expected, BinaryPrimitives.ReadInt32BigEndian((await consumer.NextAsync()).Body));
        }
    }
}
