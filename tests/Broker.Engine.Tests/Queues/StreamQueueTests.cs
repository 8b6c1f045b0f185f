using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Queues;
using Broker.Engine.Queues.Stream;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Queues;

/// <summary>
/// A stream over an in-memory log with a clock moved by hand: where consumers start for each
/// x-stream-offset, the offsets deliveries carry, credit, filters, and retention by size and age.
/// Deliveries come from the stream's pump on the thread pool, so tests wait for them.
/// </summary>
public class StreamQueueTests
{
    private readonly ManualClock _clock = new();
    private readonly Host _host;
    private readonly FakeDeliveryTarget _target = new();
    private readonly Session _session;

    public StreamQueueTests()
    {
        _host = new Host(new EngineOptions { Time = _clock });
        _session = new Session(_host.VHost, _host.Connection, _target);
        _session.SetPrefetch(1000, global: false);
    }

    private StreamQueue Stream(string name = "s", params (string Key, object? Value)[] arguments) =>
        Assert.IsType<StreamQueue>(_host.Queue(name, durable: true, arguments: Host.Args([("x-queue-type", "stream"), .. arguments])));

    private void Append(StreamQueue stream, int from, int count, string? filterValue = null, int bodySize = 0)
    {
        for (var i = from; i < from + count; i++)
        {
            var properties = new BasicProperties
            {
                Headers = filterValue is null ? null : new FieldTable { { "x-stream-filter-value", System.Text.Encoding.UTF8.GetBytes(filterValue) } },
            }.Encode();
            var message = _host.Engine.Messages.Rent(""u8, System.Text.Encoding.UTF8.GetBytes($"m{i}"), properties, bodySize, persistent: true, priority: 0);
            message.AppendBody(new byte[bodySize]);
            Assert.Equal(EnqueueResult.Enqueued, stream.Enqueue(message, new FlushBatch()));
            message.Release();
        }
    }

    private Consumer Consume(StreamQueue stream, object? offset, string tag = "c", params (string Key, object? Value)[] more)
    {
        var arguments = Host.Args(more);
        if (offset is not null)
        {
            arguments.Add("x-stream-offset", offset);
        }

        var result = _session.Consume(stream, tag, noAck: false, exclusive: false, arguments);
        Assert.False(result.IsError, result.Error.Text);
        stream.Pump(new FlushBatch());
        return result.Value!;
    }

    /// <summary>Waits until <paramref name="count"/> deliveries were written (or fails), then a little longer to see none follow.</summary>
    private List<WrittenDelivery> Delivered(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_target.Deliveries.Count < count && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Thread.Sleep(50);
        var deliveries = _target.Deliveries;
        Assert.Equal(count, deliveries.Count);
        return deliveries;
    }

    private static List<string> Ids(List<WrittenDelivery> deliveries) => [.. deliveries.Select(d => d.MessageId)];

    [Fact]
    public void First_reads_everything_with_each_offset_in_the_annotation()
    {
        var stream = Stream();
        Append(stream, 0, 3);

        Consume(stream, "first");

        var deliveries = Delivered(3);
        Assert.Equal(["m0", "m1", "m2"], Ids(deliveries));
        Assert.Equal([0L, 1L, 2L], deliveries.Select(d => d.Annotation.Value));
        Assert.All(deliveries, d => Assert.Equal(DeliveryAnnotationKind.StreamOffset, d.Annotation.Kind));
    }

    [Theory]
    [InlineData("last", new[] { "m4" })]
    [InlineData("next", new string[0])]
    [InlineData(3L, new[] { "m3", "m4" })]
    [InlineData(-10L, new[] { "m0", "m1", "m2", "m3", "m4" })]
    [InlineData(7L, new string[0])]
    public void Each_offset_spec_starts_where_RabbitMQ_starts(object offset, string[] expected)
    {
        var stream = Stream();
        Append(stream, 0, 5);

        Consume(stream, offset);

        Assert.Equal(expected, Ids(Delivered(expected.Length)));
    }

    [Fact]
    public void An_offset_past_the_end_is_waited_for()
    {
        var stream = Stream();
        Append(stream, 0, 2);
        Consume(stream, 4L);

        Append(stream, 2, 4);

        Assert.Equal(["m4", "m5"], Ids(Delivered(2)));
    }

    [Fact]
    public void A_numeric_offset_deep_in_a_long_stream_is_found_through_the_index()
    {
        var stream = Stream();
        Append(stream, 0, 3 * StreamIndex.PointInterval);

        Consume(stream, 2500L, more: [("x-priority", 0)]);

        var deliveries = Delivered((3 * StreamIndex.PointInterval) - 2500);
        Assert.Equal(2500L, deliveries[0].Annotation.Value);
        Assert.Equal($"m{(3 * StreamIndex.PointInterval) - 1}", deliveries[^1].MessageId);
    }

    [Fact]
    public void A_timestamp_or_an_interval_starts_at_the_first_message_appended_since()
    {
        var stream = Stream();
        Append(stream, 0, 3);
        _clock.Advance(TimeSpan.FromHours(2));
        Append(stream, 3, 2);

        Consume(stream, "1h", "by-interval");
        Consume(stream, new AmqpTimestamp((ulong)_clock.GetUtcNow().AddMinutes(-30).ToUnixTimeSeconds()), "by-timestamp");

        var deliveries = Delivered(4);
        Assert.Equal(["m3", "m4"], deliveries.Where(d => d.ConsumerTag == "by-interval").Select(d => d.MessageId));
        Assert.Equal(["m3", "m4"], deliveries.Where(d => d.ConsumerTag == "by-timestamp").Select(d => d.MessageId));
    }

    [Fact]
    public void Deliveries_stop_at_the_prefetch_and_resume_as_acks_give_credit_back()
    {
        var stream = Stream();
        Append(stream, 0, 5);
        _session.SetPrefetch(2, global: false);

        Consume(stream, "first");
        Assert.Equal(["m0", "m1"], Ids(Delivered(2)));

        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(2, multiple: true, taken).IsError);
        _session.Settle(taken, SettleAction.Ack, new FlushBatch());

        Assert.Equal(["m0", "m1", "m2", "m3"], Ids(Delivered(4)));
        Assert.Equal(5, stream.MessageCount);
    }

    [Fact]
    public void A_filter_selects_by_the_filter_value_and_optionally_takes_unfiltered_messages()
    {
        var stream = Stream();
        Append(stream, 0, 1, "a");
        Append(stream, 1, 1, "b");
        Append(stream, 2, 1);
        Append(stream, 3, 1, "a");

        Consume(stream, "first", "only-a", ("x-stream-filter", Host.Str("a")));
        Consume(stream, "first", "b-or-none", ("x-stream-filter", new List<object?> { Host.Str("b") }), ("x-stream-match-unfiltered", true));

        var deliveries = Delivered(4);
        Assert.Equal(["m0", "m3"], deliveries.Where(d => d.ConsumerTag == "only-a").Select(d => d.MessageId));
        Assert.Equal(["m1", "m2"], deliveries.Where(d => d.ConsumerTag == "b-or-none").Select(d => d.MessageId));
    }

    [Fact]
    public void Retention_by_size_drops_whole_segments_when_one_fills()
    {
        // Segments of about 1,000 bytes: 10 messages of 100 bytes each; at most 2,500 bytes kept.
        var stream = Stream("s", ("x-stream-max-segment-size-bytes", 1_000), ("x-max-length-bytes", 2_500));

        Append(stream, 0, 55, bodySize: 100 - 4);

        Assert.InRange(stream.MessageCount, 25, 35);
        Consume(stream, "first");
        var deliveries = Delivered((int)stream.MessageCount);
        Assert.Equal("m54", deliveries[^1].MessageId);
        Assert.Equal(55 - stream.MessageCount, deliveries[0].Annotation.Value);
    }

    [Fact]
    public void Retention_by_age_drops_segments_older_than_the_limit()
    {
        var stream = Stream("s", ("x-stream-max-segment-size-bytes", 1_000), ("x-max-age", "1h"));
        Append(stream, 0, 30, bodySize: 96);
        _clock.Advance(TimeSpan.FromHours(2));

        Append(stream, 30, 11, bodySize: 96);

        Consume(stream, "first");
        var first = Delivered((int)stream.MessageCount)[0];
        // Whole segments go: old messages sharing a segment with new ones stay.
        Assert.InRange(first.Annotation.Value, 10, 30);
    }

    [Fact]
    public void A_consumer_needs_a_prefetch_and_manual_acks()
    {
        var stream = Stream();
        var session = new Session(_host.VHost, _host.Connection, new FakeDeliveryTarget());

        Host.AssertError(session.Consume(stream, "c", noAck: false, exclusive: false, new FieldTable()).Error, ErrorKind.PreconditionFailed,
            "consumer prefetch count is not set for 'queue 's' in vhost '/''");
        session.SetPrefetch(10, global: false);
        Host.AssertError(session.Consume(stream, "c", noAck: true, exclusive: false, new FieldTable()).Error, ErrorKind.NotImplemented,
            "automatic acknowledgement not supported by stream queues queue 's' in vhost '/'");
    }
}
