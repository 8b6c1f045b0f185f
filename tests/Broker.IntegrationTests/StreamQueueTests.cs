using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// Streams over AMQP 0-9-1: an append-only log each consumer reads from its own offset, deliveries
/// carrying x-stream-offset, acknowledgements that give credit back without removing anything, and
/// RabbitMQ's restrictions with its codes and texts. Checked against RabbitMQ 3.10.8; filtering is a
/// 3.13 feature those tests cannot check there (they say so and return early).
/// </summary>
public sealed class StreamQueueTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static Dictionary<string, object?> Stream(params (string Key, object? Value)[] more)
    {
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "stream" };
        foreach (var (key, value) in more)
        {
            arguments[key] = value;
        }

        return arguments;
    }

    private async Task<string> DeclareStreamAsync(params (string Key, object? Value)[] arguments)
    {
        var name = QueueName("stream");
        await Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, Stream(arguments));
        return name;
    }

    /// <summary>A stream holding m0..m(count-1), each confirmed before the next is sent (one chunk each in RabbitMQ).</summary>
    private async Task<string> StreamWithAsync(int count)
    {
        var stream = await DeclareStreamAsync();
        for (var i = 0; i < count; i++)
        {
            await SendAsync("", stream, $"m{i}");
        }

        return stream;
    }

    /// <summary>A consumer on a new channel with a prefetch, starting at <paramref name="offset"/> (no argument when null).</summary>
    private async Task<(IChannel Channel, CollectingConsumer Consumer)> ReadFromAsync(string stream, object? offset, ushort prefetch = 100, IDictionary<string, object?>? more = null)
    {
        var channel = await NewChannelAsync();
        await channel.BasicQosAsync(0, prefetch, global: false);
        var arguments = new Dictionary<string, object?>(more ?? new Dictionary<string, object?>());
        if (offset is not null)
        {
            arguments["x-stream-offset"] = offset;
        }

        var consumer = await channel.ConsumeAsync(stream, arguments: arguments);
        return (channel, consumer);
    }

    private static long StreamOffset(Delivery delivery) => Convert.ToInt64(delivery.Properties.Headers!["x-stream-offset"]);

    private static async Task<List<string>> TextsAsync(CollectingConsumer consumer, int count) =>
        [.. (await consumer.NextAsync(count)).Select(d => d.Text)];

    [Fact]
    public async Task A_consumer_from_first_reads_everything_in_order_with_each_offset()
    {
        var stream = await StreamWithAsync(5);

        var (_, consumer) = await ReadFromAsync(stream, "first");

        var deliveries = await consumer.NextAsync(5);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], deliveries.Select(d => d.Text));
        Assert.Equal([0L, 1L, 2L, 3L, 4L], deliveries.Select(StreamOffset));
        Assert.All(deliveries, d => Assert.Equal((false, "", stream), (d.Redelivered, d.Exchange, d.RoutingKey)));
        await consumer.AssertNoMoreAsync();
    }

    [Theory]
    [InlineData(2, new[] { "m2", "m3", "m4" })]
    [InlineData(-5, new[] { "m0", "m1", "m2", "m3", "m4" })]
    public async Task A_numeric_offset_starts_there_or_at_the_nearest_end(long offset, string[] expected)
    {
        var stream = await StreamWithAsync(5);

        var (_, consumer) = await ReadFromAsync(stream, offset);

        Assert.Equal(expected, await TextsAsync(consumer, expected.Length));
        await consumer.AssertNoMoreAsync();
    }

    [Fact]
    public async Task Last_starts_at_the_last_message()
    {
        var stream = await StreamWithAsync(5);

        var (_, consumer) = await ReadFromAsync(stream, "last");

        Assert.Equal(["m4"], await TextsAsync(consumer, 1));
        await consumer.AssertNoMoreAsync();
    }

    [Fact]
    public async Task An_offset_past_the_end_waits_for_that_offset()
    {
        var stream = await StreamWithAsync(3);
        var (_, consumer) = await ReadFromAsync(stream, 6L);

        for (var i = 3; i < 8; i++)
        {
            await SendAsync("", stream, $"m{i}");
        }

        var deliveries = await consumer.NextAsync(2);
        Assert.Equal([("m6", 6L), ("m7", 7L)], deliveries.Select(d => (d.Text, StreamOffset(d))));
        await consumer.AssertNoMoreAsync();
    }

    [Theory]
    [InlineData("next")]
    [InlineData(null)]
    public async Task Next_waits_for_new_messages(object? offset)
    {
        var stream = await StreamWithAsync(3);
        var (_, consumer) = await ReadFromAsync(stream, offset);
        await consumer.ConsumeOk;
        await consumer.AssertNoMoreAsync();

        await SendAsync("", stream, "new");

        var delivery = await consumer.NextAsync();
        Assert.Equal(("new", 3L), (delivery.Text, StreamOffset(delivery)));
    }

    [Fact]
    public async Task A_timestamp_or_an_interval_starts_at_the_first_message_appended_since()
    {
        var stream = await StreamWithAsync(3);
        var hourAgo = new AmqpTimestamp(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());

        var (_, byTimestamp) = await ReadFromAsync(stream, hourAgo);
        var (_, byInterval) = await ReadFromAsync(stream, "1h");
        var (_, future) = await ReadFromAsync(stream, new AmqpTimestamp(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()));

        Assert.Equal(["m0", "m1", "m2"], await TextsAsync(byTimestamp, 3));
        Assert.Equal(["m0", "m1", "m2"], await TextsAsync(byInterval, 3));
        await future.AssertNoMoreAsync();
    }

    [Fact]
    public async Task Consumers_read_at_their_own_pace_and_acks_remove_nothing()
    {
        var stream = await StreamWithAsync(4);
        var (fastChannel, fast) = await ReadFromAsync(stream, "first");
        var (_, slow) = await ReadFromAsync(stream, "first", prefetch: 1);

        var all = await fast.NextAsync(4);
        await fastChannel.BasicAckAsync(all[^1].DeliveryTag, multiple: true);
        var first = await slow.NextAsync();
        await slow.AssertNoMoreAsync();

        Assert.Equal("m0", first.Text);
        var (_, late) = await ReadFromAsync(stream, "first");
        Assert.Equal(["m0", "m1", "m2", "m3"], await TextsAsync(late, 4));
    }

    [Fact]
    public async Task An_ack_gives_credit_back()
    {
        var stream = await StreamWithAsync(3);
        var (channel, consumer) = await ReadFromAsync(stream, "first", prefetch: 1);

        var first = await consumer.NextAsync();
        await consumer.AssertNoMoreAsync();
        await channel.BasicAckAsync(first.DeliveryTag, multiple: false);

        Assert.Equal("m1", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Closing_a_channel_with_unacknowledged_deliveries_leaves_the_stream_as_it_was()
    {
        var stream = await StreamWithAsync(2);
        var (channel, consumer) = await ReadFromAsync(stream, "first");
        await consumer.NextAsync(2);

        await channel.CloseAsync();

        var (_, again) = await ReadFromAsync(stream, "first");
        var deliveries = await again.NextAsync(2);
        Assert.Equal(["m0", "m1"], deliveries.Select(d => d.Text));
        Assert.All(deliveries, d => Assert.False(d.Redelivered));
    }

    [Fact]
    public async Task A_consumer_without_a_prefetch_is_refused_with_406()
    {
        var stream = await DeclareStreamAsync();

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - consumer prefetch count is not set for 'queue '{stream}' in vhost '/''",
            () => Channel.ConsumeAsync(stream));
    }

    [Fact]
    public async Task An_automatically_acknowledging_consumer_closes_the_connection_with_540()
    {
        var stream = await DeclareStreamAsync();
        await Channel.BasicQosAsync(0, 10, global: false);

        await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues queue '{stream}' in vhost '/'",
            () => Channel.ConsumeAsync(stream, autoAck: true));
    }

    [Fact]
    public async Task A_consumer_on_a_channel_with_a_global_prefetch_closes_the_connection_with_540()
    {
        var stream = await DeclareStreamAsync();
        await Channel.BasicQosAsync(0, 10, global: false);
        await Channel.BasicQosAsync(0, 10, global: true);

        await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - queue '{stream}' in vhost '/' does not support global qos",
            () => Channel.ConsumeAsync(stream));
    }

    [Fact]
    public async Task Basic_get_closes_the_connection_with_540()
    {
        var stream = await DeclareStreamAsync();

        await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - basic.get not supported by stream queues queue '{stream}' in vhost '/'",
            () => Channel.BasicGetAsync(stream, autoAck: false));
    }

    [Fact]
    public async Task Purge_closes_the_connection_with_540()
    {
        var stream = await DeclareStreamAsync();

        await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - queue.purge not supported by stream queues queue '{stream}' in vhost '/'",
            () => Channel.QueuePurgeAsync(stream));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reject_and_nack_close_the_connection_with_540(bool nack)
    {
        var stream = await StreamWithAsync(1);
        var (channel, consumer) = await ReadFromAsync(stream, "first");
        var delivery = await consumer.NextAsync();

        await Connection.AssertConnectionErrorAsync(540, $"NOT_IMPLEMENTED - basic.nack and basic.reject not supported by stream queues queue '{stream}' in vhost '/'",
            async () =>
            {
                if (nack)
                {
                    await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true);
                }
                else
                {
                    await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false);
                }

                await channel.BasicQosAsync(0, 10, global: false);
            });
    }

    [Fact]
    public async Task An_offset_string_that_is_no_interval_is_refused()
    {
        var stream = await DeclareStreamAsync();
        await Channel.BasicQosAsync(0, 10, global: false);
        var arguments = new Dictionary<string, object?> { ["x-stream-offset"] = "yesterday" };

        if (Fixture.IsExternal)
        {
            // RabbitMQ 3.10 crashes the channel (541, the connection goes); later versions answer the 406 we send.
            var refused = await Assert.ThrowsAnyAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() => Channel.ConsumeAsync(stream, arguments: arguments));
            Assert.Contains(refused.ShutdownReason!.ReplyCode, new ushort[] { 406, 541 });
            return;
        }

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - failed consuming from stream queue '{stream}' in vhost '/': invalid_max_age",
            () => Channel.ConsumeAsync(stream, arguments: arguments));
    }

    [Theory]
    [InlineData(false, false, false, "non-durable")]
    [InlineData(true, true, false, "exclusive-owner")]
    [InlineData(true, false, true, "auto-delete")]
    public async Task Streams_are_durable_shared_and_kept(bool durable, bool exclusive, bool autoDelete, string property)
    {
        var name = QueueName("stream");

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid property '{property}' for queue '{name}' in vhost '/'",
            () => Channel.QueueDeclareAsync(name, durable, exclusive, autoDelete, Stream()));
    }

    [Theory]
    [InlineData("x-message-ttl", 1000, " of queue type rabbit_stream_queue")]
    [InlineData("x-max-age", "1week", ": invalid_max_age")]
    public async Task Arguments_streams_do_not_take_are_refused_with_406(string key, object value, string problem)
    {
        var name = QueueName("stream");

        await Channel.AssertChannelErrorAsync(406, $"PRECONDITION_FAILED - invalid arg '{key}' for queue '{name}' in vhost '/'{problem}",
            () => Channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, Stream((key, value))));
    }

    [Fact]
    public async Task A_server_named_stream_is_refused_with_406()
    {
        await Channel.AssertChannelErrorAsync(406, "PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_stream_queue",
            () => Channel.QueueDeclareAsync("", durable: true, exclusive: false, autoDelete: false, Stream()));
    }

    [Fact]
    public async Task Retention_by_size_removes_whole_old_segments()
    {
        var stream = await DeclareStreamAsync(("x-max-length-bytes", 2_000), ("x-stream-max-segment-size-bytes", 500));
        var body = new string('x', 200);
        for (var i = 0; i < 40; i++)
        {
            await SendAsync("", stream, $"{i:D2}{body}");
        }

        var (_, consumer) = await ReadFromAsync(stream, "first");

        // Offsets need not be dense (RabbitMQ's segments start with a chunk of their own): the bodies count.
        var first = await consumer.NextAsync();
        var firstIndex = int.Parse(first.Text[..2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(firstIndex > 20, $"the stream still starts at message {firstIndex} after 40 messages of 200 bytes with a 2,000-byte limit");
        var rest = await consumer.NextAsync(39 - firstIndex);
        Assert.Equal(Enumerable.Range(firstIndex + 1, 39 - firstIndex), rest.Select(d => int.Parse(d.Text[..2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(rest.Select(StreamOffset).Prepend(StreamOffset(first)).Order().SequenceEqual(rest.Select(StreamOffset).Prepend(StreamOffset(first))), "offsets go up");
        await consumer.AssertNoMoreAsync();
    }

    [Fact]
    public async Task A_filtered_consumer_gets_the_messages_whose_filter_value_matches()
    {
        var stream = await DeclareStreamAsync();
        foreach (var (body, filter) in new[] { ("a1", "a"), ("b1", "b"), ("none", null), ("a2", "a") })
        {
            var headers = filter is null ? null : new Dictionary<string, object?> { ["x-stream-filter-value"] = filter };
            await SendAsync("", stream, body, new BasicProperties { Headers = headers });
        }

        if (Fixture.IsExternal)
        {
            // Stream filtering is RabbitMQ 3.13's: 3.10 ignores the arguments and delivers everything.
            return;
        }

        var (_, onlyA) = await ReadFromAsync(stream, "first", more: new Dictionary<string, object?> { ["x-stream-filter"] = "a" });
        var (_, aOrUnfiltered) = await ReadFromAsync(stream, "first", more: new Dictionary<string, object?>
        {
            ["x-stream-filter"] = new List<object?> { "a", "c" },
            ["x-stream-match-unfiltered"] = true,
        });

        Assert.Equal(["a1", "a2"], await TextsAsync(onlyA, 2));
        await onlyA.AssertNoMoreAsync();
        Assert.Equal(["a1", "none", "a2"], await TextsAsync(aOrUnfiltered, 3));
    }

    [Fact]
    public async Task Passive_declare_reports_the_messages_the_stream_holds()
    {
        var stream = await StreamWithAsync(3);

        var count = (await Channel.QueueDeclarePassiveAsync(stream)).MessageCount;

        // RabbitMQ 3.10 reports 0 for streams; 4.x (and we) report what the stream holds.
        Assert.Equal(Fixture.IsExternal ? 0u : 3u, count);
    }
}
