using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Messages;

/// <summary>
/// Every queue holding a message keeps a reference; the last release returns the message to the pool.
/// The pool hands out the most recently returned message first, so renting shows whether (and how many
/// times) a message went back.
/// </summary>
public class MessageReferenceTests
{
    private readonly Host _host = new();

    /// <summary>Rents <paramref name="count"/> messages and keeps them, so nothing else goes back to the pool.</summary>
    private List<Message> RentMany(int count) => [.. Enumerable.Range(0, count).Select(i => TestMessages.New(_host.Engine, $"probe{i}"))];

    [Fact]
    public void A_released_message_is_reused_by_the_next_rent()
    {
        var message = TestMessages.New(_host.Engine, "m");
        var other = TestMessages.New(_host.Engine, "other");

        message.Release();
        var next = RentMany(2);

        Assert.Same(message, next[0]);
        Assert.NotSame(message, next[1]);
        Assert.NotSame(other, next[1]);
        Assert.Equal("probe0", TestMessages.Id(next[0]));
    }

    [Fact]
    public void A_message_routed_to_two_queues_and_acked_in_both_is_released_exactly_once()
    {
        var q1 = _host.Queue("q1");
        var q2 = _host.Queue("q2");
        var message = TestMessages.New(_host.Engine, "m");
        Assert.Equal(EnqueueResult.Enqueued, q1.Enqueue(message, new FlushBatch()));
        Assert.Equal(EnqueueResult.Enqueued, q2.Enqueue(message, new FlushBatch()));
        message.Release();

        Assert.True(q1.TryGet(noAck: false, out var e1, out _));
        Assert.True(q2.TryGet(noAck: false, out var e2, out _));
        q1.Settle(e1, SettleAction.Ack, new FlushBatch());

        // Still held by q2's delivery.
        var probe = RentMany(1);
        Assert.NotSame(message, probe[0]);
        Assert.Equal("m", TestMessages.Id(e2.Message));

        q2.Settle(e2, SettleAction.Ack, new FlushBatch());

        // Back in the pool once: the next rent reuses it, the one after does not.
        var after = RentMany(2);
        Assert.Same(message, after[0]);
        Assert.NotSame(message, after[1]);
    }

    [Fact]
    public void Requeue_keeps_the_reference_and_a_later_ack_releases_it()
    {
        var queue = _host.Queue("q");
        var message = TestMessages.New(_host.Engine, "m");
        queue.Enqueue(message, new FlushBatch());
        message.Release();

        Assert.True(queue.TryGet(noAck: false, out var first, out _));
        queue.Settle(first, SettleAction.Requeue, new FlushBatch());
        Assert.NotSame(message, RentMany(1)[0]);

        Assert.True(queue.TryGet(noAck: false, out var second, out _));
        Assert.Equal("m", TestMessages.Id(second.Message));
        queue.Settle(second, SettleAction.Ack, new FlushBatch());
        Assert.Same(message, RentMany(1)[0]);
    }

    [Fact]
    public void No_ack_delivery_releases_the_queue_reference()
    {
        var queue = _host.Queue("q");
        var channel = new FakeSession();
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "c", noAck: true)).IsError);
        var message = TestMessages.New(_host.Engine, "m");

        queue.Enqueue(message, new FlushBatch());
        Assert.Equal("m", Assert.Single(channel.Deliveries).MessageId);
        message.Release();

        Assert.Same(message, RentMany(1)[0]);
    }

    [Theory]
    [InlineData("purge")]
    [InlineData("delete")]
    [InlineData("discard")]
    public void Purge_delete_and_discard_release_the_queue_reference(string how)
    {
        var queue = _host.Queue("q");
        var message = TestMessages.New(_host.Engine, "m");
        queue.Enqueue(message, new FlushBatch());
        message.Release();

        switch (how)
        {
            case "purge":
                Assert.Equal(1, queue.Purge());
                break;
            case "delete":
                Assert.Equal(1, _host.VHost.DeleteQueue("q", false, false, _host.Connection).Value);
                break;
            default:
                Assert.True(queue.TryGet(noAck: false, out var entry, out _));
                queue.Settle(entry, SettleAction.Discard, new FlushBatch());
                break;
        }

        Assert.Same(message, RentMany(1)[0]);
    }

    [Fact]
    public void Requeueing_into_a_deleted_queue_releases_the_reference()
    {
        var queue = _host.Queue("q");
        var message = TestMessages.New(_host.Engine, "m");
        queue.Enqueue(message, new FlushBatch());
        message.Release();
        Assert.True(queue.TryGet(noAck: false, out var entry, out _));
        _host.VHost.DeleteQueue(queue);

        queue.Settle(entry, SettleAction.Requeue, new FlushBatch());

        Assert.Same(message, RentMany(1)[0]);
    }

    [Fact]
    public void A_message_keeps_its_parts_and_accepts_exactly_its_body_length()
    {
        var message = _host.Engine.Messages.Rent("ex"u8, "rk"u8, [0x10, 0x00, 0x02], bodyLength: 5, persistent: true, priority: 3);

        Assert.False(message.IsComplete);
        Assert.True(message.AppendBody("hel"u8));
        Assert.False(message.AppendBody("lo!"u8));
        Assert.True(message.AppendBody("lo"u8));
        Assert.True(message.IsComplete);
        Assert.False(message.AppendBody("x"u8));

        Assert.Equal("ex"u8.ToArray(), message.Exchange.ToArray());
        Assert.Equal("rk"u8.ToArray(), message.RoutingKey.ToArray());
        Assert.Equal([0x10, 0x00, 0x02], message.Properties.ToArray());
        Assert.Equal("hello"u8.ToArray(), message.Body.ToArray());
        Assert.Equal(5, message.BodyLength);
        Assert.Equal(2 + 2 + 3 + 5, message.Size);
        Assert.True(message.IsPersistent);
        Assert.Equal(3, message.Priority);
    }

    [Fact]
    public void A_message_body_can_arrive_from_a_multi_segment_payload()
    {
        var message = _host.Engine.Messages.Rent(""u8, "k"u8, [0, 0], bodyLength: 6, persistent: false, priority: 0);
        var first = new Segment("abc"u8.ToArray());
        var last = first.Append("def"u8.ToArray());

        Assert.True(message.AppendBody(new System.Buffers.ReadOnlySequence<byte>(first, 0, last, 3)));

        Assert.True(message.IsComplete);
        Assert.Equal("abcdef"u8.ToArray(), message.Body.ToArray());
    }

    [Fact]
    public void A_reused_message_carries_only_its_new_content()
    {
        var old = _host.Engine.Messages.Rent("old-exchange"u8, "old-key"u8, [0x80, 0x00, 3, (byte)'a', (byte)'b', (byte)'c'], 3, persistent: true, priority: 9);
        old.AppendBody("xyz"u8);
        old.Release();

        var reused = _host.Engine.Messages.Rent(""u8, "k"u8, [0, 0], 0, persistent: false, priority: 0);

        Assert.Same(old, reused);
        Assert.True(reused.Exchange.IsEmpty);
        Assert.Equal("k"u8.ToArray(), reused.RoutingKey.ToArray());
        Assert.Equal([0, 0], reused.Properties.ToArray());
        Assert.True(reused.Body.IsEmpty);
        Assert.True(reused.IsComplete);
        Assert.False(reused.IsPersistent);
        Assert.Equal(0, reused.Priority);
    }

    [Fact]
    public void The_pool_keeps_at_most_its_capacity()
    {
        var pool = new MessagePool(capacity: 2);
        var messages = Enumerable.Range(0, 3).Select(_ => pool.Rent(""u8, "k"u8, [], 0, false, 0)).ToList();
        foreach (var message in messages)
        {
            message.Release();
        }

        var again = Enumerable.Range(0, 3).Select(_ => pool.Rent(""u8, "k"u8, [], 0, false, 0)).ToList();

        Assert.Same(messages[1], again[0]);
        Assert.Same(messages[0], again[1]);
        Assert.DoesNotContain(again[2], messages);
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex = 0)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
