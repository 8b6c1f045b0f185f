using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.Queues.Classic;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Queues;

/// <summary>
/// Priority queues with a head of four messages: what does not fit waits in the tail of its priority
/// level and comes back in RabbitMQ's order (higher priority first, FIFO within a priority), with
/// requeues, expiry at the head, drop-head and purge behaving as when everything was in memory.
/// </summary>
public class PriorityPagingTests
{
    private readonly Host _host = new(new EngineOptions
    {
        QueueLimits = new QueueLimits { HeadMaxCount = 4, RefillBelow = 2, RefillBatchCount = 3, RefillBatchBytes = 1024 * 1024 },
    });

    private ClassicQueue PriorityQueue(string name = "pq", params (string Key, object? Value)[] arguments) =>
        (ClassicQueue)_host.Queue(name, arguments: Host.Args([("x-max-priority", 5), .. arguments]));

    private void Publish(MessageQueue queue, string id, byte priority, long ttl = -1) => Publish(_host, queue, id, priority, ttl);

    private static void Publish(Host host, MessageQueue queue, string id, byte priority, long ttl = -1)
    {
        // The id is the body: a dead-lettered message carries the dead-letter routing key.
        var bytes = System.Text.Encoding.UTF8.GetBytes(id);
        var message = host.Engine.Messages.Rent(""u8, bytes, [0x00, 0x00], bytes.Length, persistent: false, priority);
        Assert.True(message.AppendBody(bytes));
        message.TimeToLive = ttl;
        queue.Enqueue(message, new FlushBatch());
        message.Release();
    }

    /// <summary>Publishes "iN/pP" for each priority in turn and returns the ids in the order RabbitMQ delivers them.</summary>
    private List<string> PublishMixed(MessageQueue queue, params byte[] priorities)
    {
        for (var i = 0; i < priorities.Length; i++)
        {
            Publish(queue, $"i{i}/p{priorities[i]}", priorities[i]);
        }

        return [.. Enumerable.Range(0, priorities.Length).OrderByDescending(i => Math.Min(priorities[i], (byte)5)).ThenBy(i => i).Select(i => $"i{i}/p{priorities[i]}")];
    }

    private static List<(string Id, long Remaining)> GetAll(MessageQueue queue)
    {
        var taken = new List<(string, long)>();
        while (queue.TryGet(noAck: true, out var entry, out var remaining))
        {
            taken.Add((System.Text.Encoding.UTF8.GetString(entry.Message.Body), remaining));
            entry.Message.Release();
        }

        return taken;
    }

    private static byte[] Pattern(int count) => [.. Enumerable.Range(0, count).Select(i => (byte)((i * 7 + i / 3) % 7))];

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Basic_get_takes_higher_priorities_first_across_the_head_and_the_tails()
    {
        var queue = PriorityQueue();
        var expected = PublishMixed(queue, Pattern(60));

        Assert.True(queue.TailCount >= 50, $"only {queue.TailCount} of 60 messages went to the tails");
        Assert.Equal(60, queue.MessageCount);
        var taken = GetAll(queue);

        Assert.Equal(expected, taken.Select(t => t.Id));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => 59L - i), taken.Select(t => t.Remaining));
        Assert.Equal(0, queue.TailCount);
    }

    [Fact]
    public void A_higher_priority_arriving_when_the_head_is_full_of_lower_ones_goes_first()
    {
        var queue = PriorityQueue();
        for (var i = 0; i < 10; i++)
        {
            Publish(queue, $"low{i}", 0);
        }

        Publish(queue, "high0", 5);
        Publish(queue, "high1", 5);
        Publish(queue, "mid0", 2);

        Assert.Equal(["high0", "high1", "mid0", .. Enumerable.Range(0, 10).Select(i => $"low{i}")], GetAll(queue).Select(t => t.Id));
    }

    [Fact]
    public void A_consumer_receives_a_paged_backlog_in_priority_order()
    {
        var queue = PriorityQueue();
        var expected = PublishMixed(queue, Pattern(100));
        var session = new FakeSession();
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, session, "c", noAck: true)).IsError);

        queue.Pump(new FlushBatch());
        WaitFor(() => session.Deliveries.Count == 100);

        Assert.Equal(expected, session.Ids());

        Assert.Equal(0, queue.MessageCount);
    }

    [Fact]
    public void Requeued_messages_go_back_to_their_place_within_their_priority_ahead_of_the_tails()
    {
        var queue = PriorityQueue();
        var expected = PublishMixed(queue, Pattern(30));
        var taken = new List<QueueEntry>();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(queue.TryGet(noAck: false, out var entry, out _));
            taken.Add(entry);
        }

        // Returned newest first, as a nack with multiple does not promise any order.
        taken.Reverse();
        queue.Settle(taken.ToArray(), SettleAction.Requeue, new FlushBatch());

        var again = new List<(string Id, bool Redelivered)>();
        while (queue.TryGet(noAck: true, out var entry, out _))
        {
            again.Add((TestMessages.Id(entry.Message), entry.Redelivered));
        }

        Assert.Equal(expected, again.Select(t => t.Id));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i < 5), again.Select(t => t.Redelivered));
    }

    [Fact]
    public void Expiry_happens_at_the_head_only_a_lower_level_expires_once_the_levels_above_are_empty()
    {
        var queue = PriorityQueue();
        for (var i = 0; i < 10; i++)
        {
            Publish(queue, $"high{i}", 5);
        }

        // Expired at once but behind the high priority backlog: still counted, as in RabbitMQ.
        Publish(queue, "low-ttl", 1, ttl: 1);
        Publish(queue, "low", 0);
        Thread.Sleep(20);
        queue.Pump(new FlushBatch());
        Assert.Equal(12, queue.MessageCount);

        var taken = GetAll(queue);

        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"high{i}"), "low"], taken.Select(t => t.Id));
    }

    [Fact]
    public void A_queue_ttl_empties_every_level_and_tail_by_itself()
    {
        var queue = PriorityQueue(arguments: ("x-message-ttl", 50));
        PublishMixed(queue, Pattern(40));
        Assert.True(queue.TailCount > 0);

        WaitFor(() => queue.MessageCount == 0);

        Assert.Equal(0, queue.TailCount);
    }

    [Fact]
    public void Expired_messages_are_dead_lettered_highest_priority_first()
    {
        var dead = _host.Queue("dead");
        // A TTL long enough that every message is in before the first expires (with 50 ms a loaded
        // machine let early ones expire while later, higher-priority ones were still being published).
        var queue = PriorityQueue(arguments: [("x-message-ttl", 1000), ("x-dead-letter-exchange", Host.Str("")), ("x-dead-letter-routing-key", Host.Str("dead"))]);
        var expected = PublishMixed(queue, Pattern(20));

        WaitFor(() => queue.MessageCount == 0 && dead.MessageCount == 20);

        Assert.Equal(expected, GetAll(dead).Select(t => t.Id));
    }

    [Fact]
    public void Drop_head_drops_the_next_message_to_deliver_the_oldest_of_the_highest_priority()
    {
        // RabbitMQ 3.10: x-max-length 3 with a0, b5, c0, d5, e3 published keeps e3, a0, c0 (b5 and d5 dropped).
        var dead = _host.Queue("dead");
        var queue = PriorityQueue(arguments: [("x-max-length", 3), ("x-dead-letter-exchange", Host.Str("")), ("x-dead-letter-routing-key", Host.Str("dead"))]);
        foreach (var (id, priority) in new[] { ("a0", 0), ("b5", 5), ("c0", 0), ("d5", 5), ("e3", 3) })
        {
            Publish(queue, id, (byte)priority);
        }

        Assert.Equal(["e3", "a0", "c0"], GetAll(queue).Select(t => t.Id));
        Assert.Equal(["b5", "d5"], GetAll(dead).Select(t => t.Id));
    }

    [Fact]
    public void Drop_head_on_a_paged_backlog_keeps_what_a_queue_in_memory_would()
    {
        var queue = PriorityQueue(arguments: ("x-max-length", 12));
        var priorities = Pattern(50);
        var model = new List<(int Index, int Level)>();
        for (var i = 0; i < priorities.Length; i++)
        {
            Publish(queue, $"i{i}/p{priorities[i]}", priorities[i]);
            model.Add((i, Math.Min(priorities[i], (byte)5)));
            if (model.Count > 12)
            {
                var head = model.OrderByDescending(m => m.Level).ThenBy(m => m.Index).First();
                model.Remove(head);
            }
        }

        var expected = model.OrderByDescending(m => m.Level).ThenBy(m => m.Index).Select(m => $"i{m.Index}/p{priorities[m.Index]}");
        Assert.Equal(12, queue.MessageCount);
        Assert.Equal(expected, GetAll(queue).Select(t => t.Id));
    }

    [Fact]
    public void Purge_counts_and_drops_every_level_head_and_tail_and_the_queue_pages_again_afterwards()
    {
        var queue = PriorityQueue();
        PublishMixed(queue, Pattern(40));

        Assert.Equal(40, queue.Purge());
        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, queue.TailCount);

        var expected = PublishMixed(queue, Pattern(25));
        Assert.Equal(expected, GetAll(queue).Select(t => t.Id));
    }

    [Fact]
    public void The_head_memory_budget_sends_priority_messages_to_their_tails()
    {
        var host = new Host();
        host.Engine.HeadMemory.Limit = 0;
        var queue = (ClassicQueue)host.Queue("pq", arguments: Host.Args(("x-max-priority", 3)));
        foreach (var (id, priority) in new[] { ("a0", 0), ("b3", 3), ("c1", 1), ("d3", 3) })
        {
            Publish(host, queue, id, (byte)priority);
        }

        Assert.Equal(4, queue.TailCount);
        Assert.Equal(["b3", "d3", "c1", "a0"], GetAll(queue).Select(t => t.Id));
    }
}
