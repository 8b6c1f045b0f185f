using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Queues;

public class MessageQueueDeliveryTests
{
    private readonly Host _host = new();

    private MessageQueue Queue(string name = "q", bool autoDelete = false) => _host.Queue(name, autoDelete: autoDelete);

    private List<string> Enqueue(MessageQueue queue, int count, string prefix = "m")
    {
        var ids = Enumerable.Range(1, count).Select(i => $"{prefix}{i}").ToArray();
        TestMessages.Enqueue(_host.Engine, queue, ids);
        return [.. ids];
    }

    private static Consumer AddConsumer(MessageQueue queue, FakeSession channel, string tag, int priority = 0, bool noAck = false)
    {
        var consumer = FakeSession.NewConsumer(queue, channel, tag, priority, noAck: noAck);
        Assert.False(queue.AddConsumer(consumer).IsError);
        return consumer;
    }

    [Fact]
    public void Basic_get_takes_messages_in_FIFO_order_with_the_remaining_count()
    {
        var queue = Queue();
        var ids = Enqueue(queue, 5);

        var taken = new List<(string Id, long Remaining, bool Redelivered)>();
        while (queue.TryGet(noAck: true, out var entry, out var remaining))
        {
            taken.Add((TestMessages.Id(entry.Message), remaining, entry.Redelivered));
        }

        Assert.Equal(ids, taken.Select(t => t.Id));
        Assert.Equal([4L, 3L, 2L, 1L, 0L], taken.Select(t => t.Remaining));
        Assert.All(taken, t => Assert.False(t.Redelivered));
        Assert.False(queue.TryGet(noAck: true, out _, out var none));
        Assert.Equal(0, none);
    }

    [Fact]
    public void Basic_get_counts_unacknowledged_messages_unless_no_ack()
    {
        var queue = Queue();
        Enqueue(queue, 3);

        queue.TryGet(noAck: true, out _, out _);
        Assert.Equal(0, queue.UnackedCount);
        queue.TryGet(noAck: false, out _, out _);
        Assert.Equal(1, queue.UnackedCount);
        Assert.Equal(1, queue.MessageCount);
    }

    [Fact]
    public void Ready_messages_go_to_a_new_consumer_in_FIFO_order_when_pumped()
    {
        var queue = Queue();
        var ids = Enqueue(queue, 10);
        var channel = new FakeSession();
        AddConsumer(queue, channel, "c");

        Assert.Empty(channel.Deliveries);
        queue.Pump(new FlushBatch());

        Assert.Equal(ids, channel.Ids());
        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(10, queue.UnackedCount);
    }

    [Fact]
    public void A_message_enqueued_while_a_consumer_waits_is_delivered_at_once()
    {
        var queue = Queue();
        var channel = new FakeSession();
        var consumer = AddConsumer(queue, channel, "c");

        Enqueue(queue, 1);

        var delivery = Assert.Single(channel.Deliveries);
        Assert.Same(consumer, delivery.Consumer);
        Assert.Same(queue, delivery.Queue);
        Assert.False(delivery.Entry.Redelivered);
        Assert.Equal(0, queue.MessageCount);
    }

    [Fact]
    public void Consumers_of_equal_priority_take_turns()
    {
        var queue = Queue();
        var channel = new FakeSession();
        AddConsumer(queue, channel, "a");
        AddConsumer(queue, channel, "b");
        AddConsumer(queue, channel, "c");

        var ids = Enqueue(queue, 9);

        Assert.Equal(ids, channel.Ids());
        Assert.Equal(["a", "b", "c", "a", "b", "c", "a", "b", "c"], channel.Tags());
    }

    [Fact]
    public void A_consumer_that_refuses_is_skipped_and_the_message_goes_to_the_next()
    {
        var queue = Queue();
        var channel = new FakeSession();
        AddConsumer(queue, channel, "a");
        var b = AddConsumer(queue, channel, "b");
        AddConsumer(queue, channel, "c");
        channel.SetCredit(b, 0);

        var ids = Enqueue(queue, 6);

        Assert.Equal(ids, channel.Ids());
        Assert.Equal(["a", "c", "a", "c", "a", "c"], channel.Tags());
    }

    [Fact]
    public void Messages_wait_while_no_consumer_accepts_and_flow_when_credit_returns()
    {
        var queue = Queue();
        var channel = new FakeSession();
        var a = AddConsumer(queue, channel, "a");
        channel.SetCredit(a, 0);

        var ids = Enqueue(queue, 4);
        Assert.Empty(channel.Deliveries);
        Assert.Equal(4, queue.MessageCount);

        channel.SetCredit(a, 2);
        queue.Pump(new FlushBatch());
        Assert.Equal(ids.Take(2), channel.Ids());
        Assert.Equal(2, queue.MessageCount);

        channel.Unlimited(a);
        queue.Pump(new FlushBatch());
        Assert.Equal(ids, channel.Ids());
    }

    [Fact]
    public void Higher_priority_consumers_get_messages_while_they_accept()
    {
        var queue = Queue();
        var channel = new FakeSession();
        AddConsumer(queue, channel, "low1", priority: 0);
        var high = AddConsumer(queue, channel, "high", priority: 10);
        AddConsumer(queue, channel, "low2", priority: 0);
        channel.SetCredit(high, 3);

        Enqueue(queue, 7);

        var tags = channel.Tags();
        Assert.Equal(["high", "high", "high"], tags[..3]);
        Assert.Equal(2, tags.Skip(3).Count(t => t == "low1"));
        Assert.Equal(2, tags.Skip(3).Count(t => t == "low2"));
    }

    [Fact]
    public void A_higher_priority_consumer_does_not_make_lower_priority_consumers_skip_turns()
    {
        var queue = Queue();
        var channel = new FakeSession();
        var high = AddConsumer(queue, channel, "high", priority: 1);
        AddConsumer(queue, channel, "low1", priority: 0);
        AddConsumer(queue, channel, "low2", priority: 0);

        for (var round = 0; round < 6; round++)
        {
            // The high-priority consumer has room for one message per round (as with prefetch 1 and an ack).
            channel.SetCredit(high, 1);
            Enqueue(queue, 2, prefix: $"r{round}-");
        }

        var low = channel.Tags().Where(t => t != "high").ToList();
        Assert.Equal(["low1", "low2", "low1", "low2", "low1", "low2"], low);
    }

    [Fact]
    public void Consumers_are_ordered_by_priority_whatever_the_order_they_arrive_in()
    {
        var queue = Queue();
        var channel = new FakeSession();
        var consumers = new[] { ("p1", 1), ("p5", 5), ("n3", -3), ("p5b", 5), ("p0", 0) }
            .Select(c => AddConsumer(queue, channel, c.Item1, c.Item2)).ToList();

        // Each consumer takes one message, then refuses: deliveries show the order the queue tries them in.
        foreach (var consumer in consumers)
        {
            channel.SetCredit(consumer, 1);
        }

        Enqueue(queue, 5);

        Assert.Equal(["p5", "p5b", "p1", "p0", "n3"], channel.Tags());
    }

    [Fact]
    public void Round_robin_stays_within_the_highest_accepting_priority()
    {
        var queue = Queue();
        var channel = new FakeSession();
        AddConsumer(queue, channel, "h1", priority: 2);
        AddConsumer(queue, channel, "h2", priority: 2);
        AddConsumer(queue, channel, "low", priority: 1);

        Enqueue(queue, 4);

        Assert.Equal(["h1", "h2", "h1", "h2"], channel.Tags());
    }

    [Fact]
    public void No_ack_deliveries_are_not_counted_as_unacknowledged()
    {
        var queue = Queue();
        var channel = new FakeSession();
        AddConsumer(queue, channel, "auto", noAck: true);

        Enqueue(queue, 3);

        Assert.Equal(3, channel.Deliveries.Count);
        Assert.Equal(0, queue.UnackedCount);
    }

    [Fact]
    public void Requeued_messages_return_to_their_original_position_marked_redelivered()
    {
        var queue = Queue();
        var ids = Enqueue(queue, 5);
        var entries = TestMessages.TakeAll(queue);
        Enqueue(queue, 2, prefix: "late");

        // Requeue out of order: each lands at its sequence position among the ready messages.
        foreach (var index in new[] { 3, 1, 4, 0, 2 })
        {
            queue.Settle(entries[index], SettleAction.Requeue, new FlushBatch());
        }

        var again = TestMessages.TakeAll(queue);
        Assert.Equal([.. ids, "late1", "late2"], again.Select(e => TestMessages.Id(e.Message)));
        Assert.Equal([true, true, true, true, true, false, false], again.Select(e => e.Redelivered));
        Assert.Equal(7, queue.UnackedCount);
    }

    [Fact]
    public void A_requeued_message_goes_to_a_consumer_again_redelivered()
    {
        var queue = Queue();
        var channel = new FakeSession();
        var consumer = AddConsumer(queue, channel, "c");
        Enqueue(queue, 3);
        channel.SetCredit(consumer, 0);

        queue.Settle(channel.Deliveries[1].Entry, SettleAction.Requeue, new FlushBatch());
        Assert.Equal(1, queue.MessageCount);

        channel.Unlimited(consumer);
        queue.Pump(new FlushBatch());

        var redelivery = channel.Deliveries[^1];
        Assert.Equal("m2", redelivery.MessageId);
        Assert.True(redelivery.Entry.Redelivered);
        Assert.Equal(channel.Deliveries[1].Entry.Sequence, redelivery.Entry.Sequence);
    }

    [Fact]
    public void Settling_with_a_consumer_waiting_delivers_the_requeued_message()
    {
        var queue = Queue();
        Enqueue(queue, 1);
        Assert.True(queue.TryGet(noAck: false, out var entry, out _));
        var channel = new FakeSession();
        AddConsumer(queue, channel, "c");

        queue.Settle(entry, SettleAction.Requeue, new FlushBatch());

        var delivery = Assert.Single(channel.Deliveries);
        Assert.True(delivery.Entry.Redelivered);
        Assert.Equal("m1", delivery.MessageId);
    }

    [Fact]
    public void Ack_and_discard_settle_without_requeueing()
    {
        var queue = Queue();
        Enqueue(queue, 3);
        var entries = TestMessages.TakeAll(queue);

        queue.Settle(entries[0], SettleAction.Ack, new FlushBatch());
        queue.Settle(entries[1], SettleAction.Discard, new FlushBatch());

        Assert.Equal(1, queue.UnackedCount);
        Assert.Equal(0, queue.MessageCount);

        queue.Settle(entries[2], SettleAction.Requeue, new FlushBatch());
        Assert.Equal(0, queue.UnackedCount);
        Assert.Equal(1, queue.MessageCount);
    }

    [Fact]
    public void Settling_several_entries_at_once()
    {
        var queue = Queue();
        Enqueue(queue, 4);
        var entries = TestMessages.TakeAll(queue);

        queue.Settle([entries[2], entries[0]], SettleAction.Requeue, new FlushBatch());
        queue.Settle([entries[1], entries[3]], SettleAction.Ack, new FlushBatch());

        Assert.Equal(["m1", "m3"], TestMessages.TakeAll(queue).Select(e => TestMessages.Id(e.Message)));
    }

    [Fact]
    public void Purge_drops_ready_messages_only()
    {
        var queue = Queue();
        Enqueue(queue, 5);
        Assert.True(queue.TryGet(noAck: false, out var unacked1, out _));
        Assert.True(queue.TryGet(noAck: false, out var unacked2, out _));

        Assert.Equal(3, queue.Purge());

        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(2, queue.UnackedCount);
        queue.Settle([unacked1, unacked2], SettleAction.Requeue, new FlushBatch());
        Assert.Equal(["m1", "m2"], TestMessages.TakeAll(queue).Select(e => TestMessages.Id(e.Message)));
        Assert.Equal(0, queue.Purge());
    }

    [Fact]
    public void An_exclusive_consumer_refuses_company_and_company_refuses_it()
    {
        var queue = Queue();
        var channel = new FakeSession();
        var exclusive = FakeSession.NewConsumer(queue, channel, "ex", exclusive: true);
        Assert.False(queue.AddConsumer(exclusive).IsError);

        var refused = queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "other"));
        Host.AssertError(refused, Errors.ErrorKind.AccessRefused, "queue 'q' in vhost '/' in exclusive use");
        Assert.Equal(1, queue.ConsumerCount);

        queue.RemoveConsumer(exclusive);
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "shared")).IsError);
        var late = queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "ex2", exclusive: true));
        Host.AssertError(late, Errors.ErrorKind.AccessRefused, "queue 'q' in vhost '/' in exclusive use");
    }

    [Fact]
    public void RemoveConsumer_asks_for_deletion_only_for_the_last_consumer_of_an_auto_delete_queue()
    {
        var channel = new FakeSession();
        var autoDelete = Queue("ad", autoDelete: true);
        var first = AddConsumer(autoDelete, channel, "1");
        var second = AddConsumer(autoDelete, channel, "2");
        var plain = Queue("plain");
        var only = AddConsumer(plain, channel, "3");

        Assert.False(autoDelete.RemoveConsumer(first));
        Assert.True(autoDelete.RemoveConsumer(second));
        Assert.False(autoDelete.RemoveConsumer(second));
        Assert.False(plain.RemoveConsumer(only));
        Assert.False(plain.RemoveConsumer(FakeSession.NewConsumer(plain, channel, "never-added")));
        Assert.Equal(0, autoDelete.ConsumerCount);
    }

    [Fact]
    public void An_auto_delete_queue_deleted_after_its_last_consumer_goes_away()
    {
        var queue = Queue("ad", autoDelete: true);
        var consumer = AddConsumer(queue, new FakeSession(), "c");

        Assert.True(queue.RemoveConsumer(consumer));
        _host.VHost.DeleteQueue(queue);

        Assert.True(queue.IsDeleted);
        Assert.False(_host.VHost.TryGetQueue("ad", out _));
    }

    [Fact]
    public void Deleting_a_queue_cancels_its_consumers_and_refuses_later_work()
    {
        var queue = Queue();
        var channel1 = new FakeSession();
        var channel2 = new FakeSession();
        var c1 = AddConsumer(queue, channel1, "c1");
        var c2 = AddConsumer(queue, channel2, "c2");
        Enqueue(queue, 2);

        Assert.False(_host.VHost.DeleteQueue("q", false, false, _host.Connection).IsError);

        Assert.Equal([c1], channel1.Cancelled);
        Assert.Equal([c2], channel2.Cancelled);
        Assert.True(queue.IsDeleted);
        Assert.Equal(0, queue.ConsumerCount);
        Assert.NotEqual(EnqueueResult.Enqueued, queue.Enqueue(TestMessages.New(_host.Engine, "late"), new FlushBatch()));
        Assert.False(queue.TryGet(noAck: true, out _, out _));
        Host.AssertError(queue.AddConsumer(FakeSession.NewConsumer(queue, channel1, "c3")), Errors.ErrorKind.NotFound, "no queue 'q' in vhost '/'");
        Assert.False(queue.RemoveConsumer(c1));
    }

    [Fact]
    public void Requeueing_into_a_deleted_queue_drops_the_message()
    {
        var queue = Queue();
        Enqueue(queue, 1);
        Assert.True(queue.TryGet(noAck: false, out var entry, out _));
        Assert.False(_host.VHost.DeleteQueue("q", false, false, _host.Connection).IsError);

        queue.Settle(entry, SettleAction.Requeue, new FlushBatch());

        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, queue.UnackedCount);
    }

    [Fact]
    public void Deleting_the_queue_object_twice_or_a_replaced_one_does_nothing()
    {
        var first = Queue();
        var channel = new FakeSession();
        AddConsumer(first, channel, "c");
        _host.VHost.DeleteQueue(first);
        var second = Queue();

        _host.VHost.DeleteQueue(first);

        Assert.Single(channel.Cancelled);
        Assert.False(second.IsDeleted);
        Assert.True(_host.VHost.TryGetQueue("q", out var current));
        Assert.Same(second, current);
    }

    [Fact]
    public void Ready_order_matches_a_model_through_random_gets_requeues_and_acks()
    {
        var random = new Random(5);
        var queue = Queue();
        var model = new SortedDictionary<long, (string Id, bool Redelivered)>();
        var held = new List<QueueEntry>();
        var next = 0;

        for (var step = 0; step < 3000; step++)
        {
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    var id = $"m{next++}";
                    var message = TestMessages.New(_host.Engine, id);
                    Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
                    model.Add(next - 1, (id, false));
                    break;
                case 2:
                    if (queue.TryGet(noAck: false, out var entry, out var remaining))
                    {
                        var (sequence, expected) = model.First();
                        model.Remove(sequence);
                        Assert.Equal(expected.Id, TestMessages.Id(entry.Message));
                        Assert.Equal(expected.Redelivered, entry.Redelivered);
                        Assert.Equal(model.Count, remaining);
                        held.Add(entry);
                    }
                    else
                    {
                        Assert.Empty(model);
                    }

                    break;
                default:
                    if (held.Count > 0)
                    {
                        var index = random.Next(held.Count);
                        var settled = held[index];
                        held.RemoveAt(index);
                        if (random.Next(3) > 0)
                        {
                            queue.Settle(settled, SettleAction.Requeue, new FlushBatch());
                            model.Add(settled.Sequence, (TestMessages.Id(settled.Message), true));
                        }
                        else
                        {
                            queue.Settle(settled, SettleAction.Ack, new FlushBatch());
                        }
                    }

                    break;
            }

            Assert.Equal(model.Count, queue.MessageCount);
            Assert.Equal(held.Count, queue.UnackedCount);
        }

        Assert.Equal(model.Values.Select(v => v.Id), TestMessages.TakeAll(queue).Select(e => TestMessages.Id(e.Message)));
    }
}
