using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Sessions;

/// <summary>
/// The session owns a channel's consumers, prefetch credit, delivery tags and unacknowledged deliveries;
/// its target only writes. Deliveries here run synchronously: consume then pump (as the channel does
/// after consume-ok), enqueue with a waiting consumer, settle and prefetch changes all deliver under the
/// caller.
/// </summary>
public class SessionTests
{
    private readonly Host _host = new();
    private readonly FakeDeliveryTarget _target = new();
    private readonly Session _session;

    public SessionTests()
    {
        _session = new Session(_host.VHost, _host.Connection, _target);
    }

    private MessageQueue Queue(string name = "q", bool autoDelete = false, FieldTable? arguments = null) =>
        _host.Queue(name, autoDelete: autoDelete, arguments: arguments);

    private void Enqueue(MessageQueue queue, params string[] ids) => TestMessages.Enqueue(_host.Engine, queue, ids);

    /// <summary>basic.consume followed by the pump the channel runs after consume-ok.</summary>
    private Consumer Consume(MessageQueue queue, string tag, bool noAck = false, Session? session = null)
    {
        var result = (session ?? _session).Consume(queue, tag, noAck, exclusive: false, new FieldTable());
        Assert.False(result.IsError, result.Error.Text);
        queue.Pump(new FlushBatch());
        return result.Value!;
    }

    private void Ack(ulong deliveryTag, bool multiple = false) => Settle(deliveryTag, multiple, SettleAction.Ack);

    private void Settle(ulong deliveryTag, bool multiple, SettleAction action)
    {
        var taken = new List<UnackedDelivery>();
        var error = _session.TakeUnacked(deliveryTag, multiple, taken);
        Assert.False(error.IsError, error.Text);
        _session.Settle(taken, action, new FlushBatch());
    }

    [Fact]
    public void Delivery_tags_count_from_1_across_consumers_and_basic_get()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        var q3 = Queue("q3");
        Enqueue(q1, "a1", "a2");
        Enqueue(q2, "g1");
        Enqueue(q3, "b1");

        Consume(q1, "a");
        Assert.True(_session.Get(q2, noAck: false, new FlushBatch()).Value);
        Consume(q3, "b");
        Enqueue(q1, "a3");

        // One sequence per session: consumers and gets draw from it in the order they were written.
        Assert.Equal(
            [("a", 1UL, "a1"), ("a", 2UL, "a2"), ("b", 4UL, "b1"), ("a", 5UL, "a3")],
            _target.Deliveries.Select(d => (d.ConsumerTag, d.DeliveryTag, d.MessageId)));
        var getOk = Assert.Single(_target.GetOks);
        Assert.Equal(new WrittenGetOk(3, Redelivered: false, "g1", Remaining: 0), getOk);
        Assert.Equal(5, _session.UnackedCount);
    }

    [Fact]
    public void A_no_ack_get_uses_a_tag_but_leaves_nothing_to_acknowledge()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");

        Assert.True(_session.Get(queue, noAck: true, new FlushBatch()).Value);
        Assert.True(_session.Get(queue, noAck: false, new FlushBatch()).Value);

        Assert.Equal([1UL, 2UL], _target.GetOks.Select(g => g.DeliveryTag));
        Assert.Equal([1L, 0L], _target.GetOks.Select(g => g.Remaining));
        Assert.Equal(1, _session.UnackedCount);
        Assert.Equal(1, queue.UnackedCount);
    }

    [Fact]
    public void A_get_on_an_empty_queue_writes_nothing_and_uses_no_tag()
    {
        var queue = Queue();

        Assert.False(_session.Get(queue, noAck: false, new FlushBatch()).Value);
        Enqueue(queue, "m1");
        Assert.True(_session.Get(queue, noAck: false, new FlushBatch()).Value);

        Assert.Equal(1UL, Assert.Single(_target.GetOks).DeliveryTag);
    }

    [Fact]
    public void Per_consumer_prefetch_stops_deliveries_at_the_limit_and_an_ack_lets_the_next_through()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2", "m3", "m4");
        SetPrefetch(2, global: false);

        Consume(queue, "c");
        Assert.Equal(["m1", "m2"], _target.Ids());
        Assert.Equal(2, queue.MessageCount);

        Ack(1);

        Assert.Equal(["m1", "m2", "m3"], _target.Ids());
        Assert.Equal(3UL, _target.Deliveries[^1].DeliveryTag);
        Assert.Equal(1, queue.MessageCount);
        Assert.Equal(2, _session.UnackedCount);
    }

    [Fact]
    public void Per_consumer_prefetch_applies_only_to_consumers_created_afterwards()
    {
        var early = Queue("early");
        var late = Queue("late");
        Enqueue(early, "e1", "e2", "e3");
        Enqueue(late, "l1", "l2", "l3");

        var before = _session.Consume(early, "before", noAck: false, exclusive: false, new FieldTable()).Value!;
        SetPrefetch(1, global: false);
        Consume(late, "after");
        early.Pump(new FlushBatch());

        // basic.qos without global sets the limit new consumers get (rabbit_channel's consumer_prefetch).
        Assert.Equal(0, before.PrefetchLimit);
        Assert.Equal(["l1"], _target.Deliveries.Where(d => d.ConsumerTag == "after").Select(d => d.MessageId));
        Assert.Equal(["e1", "e2", "e3"], _target.Deliveries.Where(d => d.ConsumerTag == "before").Select(d => d.MessageId));
    }

    [Fact]
    public void No_ack_consumers_ignore_prefetch()
    {
        var queue = Queue();
        SetPrefetch(1, global: false);
        Consume(queue, "c", noAck: true);

        Enqueue(queue, "m1", "m2", "m3");

        Assert.Equal(["m1", "m2", "m3"], _target.Ids());
        Assert.Equal(0, _session.UnackedCount);
    }

    [Fact]
    public void Global_prefetch_is_shared_by_the_sessions_consumers()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Enqueue(q1, "a1", "a2");
        Enqueue(q2, "b1", "b2");
        SetPrefetch(3, global: true);

        Consume(q1, "a");
        Consume(q2, "b");

        Assert.Equal(["a1", "a2", "b1"], _target.Ids());
        Assert.Equal(1, q2.MessageCount);
    }

    [Fact]
    public void Raising_the_global_prefetch_serves_consumers_that_waited_for_it()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Enqueue(q1, "a1", "a2");
        Enqueue(q2, "b1", "b2", "b3");
        SetPrefetch(2, global: true);
        Consume(q1, "a");
        Consume(q2, "b");
        Assert.Equal(["a1", "a2"], _target.Ids());

        // No ack and no pump by the caller: raising the limit alone must deliver.
        SetPrefetch(4, global: true);

        Assert.Equal(["a1", "a2", "b1", "b2"], _target.Ids());
        Assert.Equal(1, q2.MessageCount);
    }

    [Fact]
    public void Lifting_the_global_prefetch_with_zero_serves_everything()
    {
        var q1 = Queue("q1");
        Enqueue(q1, "m1", "m2", "m3");
        SetPrefetch(1, global: true);
        Consume(q1, "c");
        Assert.Equal(["m1"], _target.Ids());

        SetPrefetch(0, global: true);

        Assert.Equal(["m1", "m2", "m3"], _target.Ids());
    }

    [Fact]
    public void An_ack_on_one_queue_frees_global_prefetch_for_a_consumer_of_another()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Enqueue(q1, "a1");
        Enqueue(q2, "b1");
        SetPrefetch(1, global: true);
        Consume(q1, "a");
        Consume(q2, "b");
        Assert.Equal(["a1"], _target.Ids());

        Ack(1);

        Assert.Equal(["a1", "b1"], _target.Ids());
        Assert.Equal(0, q2.MessageCount);
    }

    [Fact]
    public void Basic_get_deliveries_do_not_count_against_prefetch()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Enqueue(q1, "g1", "g2");
        Enqueue(q2, "c1");
        SetPrefetch(1, global: true);

        Assert.True(_session.Get(q1, noAck: false, new FlushBatch()).Value);
        Assert.True(_session.Get(q1, noAck: false, new FlushBatch()).Value);
        Consume(q2, "c");

        Assert.Equal(["c1"], _target.Ids());
        Assert.Equal(3, _session.UnackedCount);
    }

    [Fact]
    public void An_unknown_delivery_tag_fails_with_406_and_takes_nothing()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        Consume(queue, "c");

        var taken = new List<UnackedDelivery>();
        Host.AssertError(_session.TakeUnacked(7, multiple: false, taken), ErrorKind.PreconditionFailed, "unknown delivery tag 7");
        Host.AssertError(_session.TakeUnacked(7, multiple: true, taken), ErrorKind.PreconditionFailed, "unknown delivery tag 7");

        Assert.Empty(taken);
        Assert.Equal(2, _session.UnackedCount);
        Assert.False(_session.TakeUnacked(2, multiple: true, taken).IsError);
        Assert.Equal([1UL, 2UL], taken.Select(d => d.Tag));
    }

    [Fact]
    public void A_tag_already_acknowledged_is_unknown()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        Consume(queue, "c");
        Ack(1);

        var taken = new List<UnackedDelivery>();
        Host.AssertError(_session.TakeUnacked(1, multiple: false, taken), ErrorKind.PreconditionFailed, "unknown delivery tag 1");
        Assert.Equal(1, _session.UnackedCount);
    }

    [Fact]
    public void Multiple_with_tag_0_takes_every_unacknowledged_delivery_in_tag_order()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Enqueue(q1, "a1", "a2");
        Enqueue(q2, "g1");
        Consume(q1, "a");
        _session.Get(q2, noAck: false, new FlushBatch());

        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(0, multiple: true, taken).IsError);

        Assert.Equal([1UL, 2UL, 3UL], taken.Select(d => d.Tag));
        Assert.Equal(["a1", "a2", "g1"], taken.Select(d => TestMessages.Id(d.Entry.Message)));
        Assert.Equal([q1, q1, q2], taken.Select(d => d.Queue));
        Assert.Null(taken[2].Consumer);
        Assert.Equal(0, _session.UnackedCount);
    }

    [Fact]
    public void Multiple_takes_up_to_and_including_the_tag_skipping_ones_acked_out_of_order()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2", "m3", "m4", "m5");
        Consume(queue, "c");
        Ack(2);

        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(4, multiple: true, taken).IsError);

        Assert.Equal([1UL, 3UL, 4UL], taken.Select(d => d.Tag));
        Assert.Equal(1, _session.UnackedCount);
    }

    [Fact]
    public void Unacknowledged_bookkeeping_matches_a_model_through_growth_and_out_of_order_acks()
    {
        // The unacked set is a ring buffer with holes, searched by tag: a fixed-seed walk past its
        // initial size with single, multiple and unknown-tag acks, checked against a sorted set.
        var queue = Queue();
        var random = new Random(20240611);
        var model = new SortedSet<ulong>();
        ulong lastTag = 0;
        var taken = new List<UnackedDelivery>();
        var most = 0;
        for (var step = 0; step < 3000; step++)
        {
            var roll = random.Next(10);
            if (roll < 6 || model.Count == 0)
            {
                Enqueue(queue, $"m{step}");
                Assert.True(_session.Get(queue, noAck: false, new FlushBatch()).Value);
                model.Add(++lastTag);
            }
            else
            {
                // Multiple acks mostly near the oldest, as clients send them, so the set keeps growing.
                var multiple = roll == 9;
                var live = multiple ? model.ElementAt(random.Next(Math.Min(8, model.Count))) : model.ElementAt(random.Next(model.Count));
                var tag = random.Next(4) == 0 ? (ulong)random.Next(1, (int)lastTag + 3) : live;
                taken.Clear();
                var error = _session.TakeUnacked(tag, multiple, taken);
                if (!model.Contains(tag))
                {
                    Host.AssertError(error, ErrorKind.PreconditionFailed, $"unknown delivery tag {tag}");
                    Assert.Empty(taken);
                }
                else
                {
                    Assert.False(error.IsError);
                    List<ulong> expected = multiple ? [.. model.Where(t => t <= tag)] : [tag];
                    Assert.Equal(expected, taken.Select(d => d.Tag));
                    model.ExceptWith(expected);
                    _session.Settle(taken, SettleAction.Ack, new FlushBatch());
                }
            }

            Assert.Equal(model.Count, _session.UnackedCount);
            most = Math.Max(most, model.Count);
        }

        Assert.True(most > 64, $"the walk should outgrow the initial buffer several times (it reached {most})");
        taken.Clear();
        Assert.False(_session.TakeUnacked(0, multiple: true, taken).IsError);
        Assert.Equal(model, taken.Select(d => d.Tag));
        Assert.Equal(model.Count, queue.UnackedCount);
    }

    [Fact]
    public void Acking_settles_the_message_in_its_queue()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        Consume(queue, "c");
        Assert.Equal(2, queue.UnackedCount);

        Ack(2, multiple: true);

        Assert.Equal(0, queue.UnackedCount);
        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, _session.UnackedCount);
    }

    [Fact]
    public void Requeued_messages_go_back_redelivered_at_their_original_position()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2", "m3", "m4");
        _session.Get(queue, noAck: false, new FlushBatch());
        _session.Get(queue, noAck: false, new FlushBatch());

        // Only m2 goes back: it must land ahead of m3, not behind m4.
        Settle(2, multiple: false, SettleAction.Requeue);

        Assert.Equal(3, queue.MessageCount);
        Assert.Equal(1, queue.UnackedCount);
        var rest = TestMessages.TakeAll(queue);
        Assert.Equal(["m2", "m3", "m4"], rest.Select(e => TestMessages.Id(e.Message)));
        Assert.Equal([true, false, false], rest.Select(e => e.Redelivered));
    }

    [Fact]
    public void A_requeued_message_is_delivered_again_as_redelivered_with_a_new_tag()
    {
        var queue = Queue();
        Enqueue(queue, "m1");
        SetPrefetch(1, global: false);
        Consume(queue, "c");

        Settle(1, multiple: false, SettleAction.Requeue);

        Assert.Equal(
            [(1UL, false, "m1"), (2UL, true, "m1")],
            _target.Deliveries.Select(d => (d.DeliveryTag, d.Redelivered, d.MessageId)));
        Assert.Equal(1, _session.UnackedCount);
    }

    [Fact]
    public void Discarded_messages_leave_the_queue()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        _session.Get(queue, noAck: false, new FlushBatch());

        Settle(1, multiple: false, SettleAction.Discard);

        Assert.Equal(0, queue.UnackedCount);
        Assert.Equal(["m2"], TestMessages.TakeAll(queue).Select(e => TestMessages.Id(e.Message)));
    }

    [Fact]
    public void Closing_requeues_unacknowledged_and_extra_deliveries_at_their_positions_and_cancels_consumers()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Enqueue(q1, "a1", "a2", "a3", "a4");
        Enqueue(q2, "g1");
        SetPrefetch(3, global: false);
        Consume(q1, "c");
        _session.Get(q2, noAck: false, new FlushBatch());

        // A transaction's uncommitted ack of tag 2: taken out of the unacked set, not yet settled.
        var uncommitted = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(2, multiple: false, uncommitted).IsError);

        _session.Close(uncommitted, new FlushBatch());

        Assert.Equal(0, _session.ConsumerCount);
        Assert.False(_session.HasConsumer("c"));
        Assert.Equal(0, q1.ConsumerCount);
        Assert.Equal(0, q1.UnackedCount);
        Assert.Equal(0, q2.UnackedCount);
        Assert.Equal(0, _session.UnackedCount);
        var back = TestMessages.TakeAll(q1);
        Assert.Equal(["a1", "a2", "a3", "a4"], back.Select(e => TestMessages.Id(e.Message)));
        Assert.Equal([true, true, true, false], back.Select(e => e.Redelivered));
        var got = Assert.Single(TestMessages.TakeAll(q2));
        Assert.True(got.Redelivered);

        // The closed session's consumers got nothing more, and no basic.cancel is written for a close.
        Assert.Equal(3, _target.Deliveries.Count);
        Assert.Empty(_target.Cancelled);
    }

    [Fact]
    public void A_closed_session_takes_no_more_deliveries()
    {
        var queue = Queue();
        var consumer = Consume(queue, "c");
        _session.Close(null, new FlushBatch());
        Enqueue(queue, "m1");

        // A queue that still held the consumer (a race with close) must be refused.
        Assert.False(_session.TryDeliver(consumer, queue, TestMessages.TakeAll(queue)[0], new FlushBatch()));
        Assert.Empty(_target.Deliveries);
    }

    [Fact]
    public void Closing_deletes_an_auto_delete_queue_whose_last_consumer_it_had()
    {
        var autoDelete = Queue("ad", autoDelete: true);
        var shared = Queue("ad2", autoDelete: true);
        var other = new Session(_host.VHost, _host.Connection, new FakeDeliveryTarget());
        Enqueue(autoDelete, "m1");
        Consume(autoDelete, "c");
        Consume(shared, "c2");
        Consume(shared, "o", session: other);

        _session.Close(null, new FlushBatch());

        Assert.True(autoDelete.IsDeleted);
        Assert.False(_host.VHost.TryGetQueue("ad", out _));
        Assert.False(shared.IsDeleted);
        Assert.Equal(1, shared.ConsumerCount);
    }

    [Fact]
    public void Cancelling_the_last_consumer_of_an_auto_delete_queue_deletes_it()
    {
        var queue = Queue("ad", autoDelete: true);
        Consume(queue, "c");

        _session.Cancel("c");

        Assert.False(_session.HasConsumer("c"));
        Assert.True(queue.IsDeleted);
        Assert.Empty(_target.Cancelled);
    }

    [Fact]
    public void Cancelling_an_unknown_tag_is_no_error()
    {
        var queue = Queue();
        Consume(queue, "c");

        _session.Cancel("nope");

        Assert.True(_session.HasConsumer("c"));
        Assert.Equal(1, queue.ConsumerCount);
    }

    [Fact]
    public void Reusing_a_consumer_tag_is_not_allowed_even_on_another_queue()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Consume(q1, "x");

        var again = _session.Consume(q2, "x", noAck: false, exclusive: false, new FieldTable());

        Host.AssertError(again.Error, ErrorKind.NotAllowed, "attempt to reuse consumer tag 'x'");
        Assert.Equal(0, q2.ConsumerCount);
        Assert.Equal(1, _session.ConsumerCount);
    }

    [Fact]
    public void A_tag_is_free_again_after_its_consumer_was_cancelled()
    {
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        Consume(q1, "x");
        _session.Cancel("x");

        var again = _session.Consume(q2, "x", noAck: false, exclusive: false, new FieldTable());

        Assert.False(again.IsError, again.Error.Text);
        Assert.Same(q2, again.Value!.Queue);
    }

    [Fact]
    public void An_empty_tag_gets_a_generated_unique_amq_ctag()
    {
        var queue = Queue();

        var first = Consume(queue, "");
        var second = Consume(queue, "");

        Assert.StartsWith("amq.ctag-", first.Tag, StringComparison.Ordinal);
        Assert.StartsWith("amq.ctag-", second.Tag, StringComparison.Ordinal);
        Assert.True(first.Tag.Length > "amq.ctag-".Length);
        Assert.NotEqual(first.Tag, second.Tag);
        Assert.True(_session.HasConsumer(first.Tag));
        Assert.True(_session.HasConsumer(second.Tag));
    }

    [Fact]
    public void The_generated_tag_is_what_deliveries_carry()
    {
        var queue = Queue();
        var consumer = Consume(queue, "");

        Enqueue(queue, "m1");

        Assert.Equal(consumer.Tag, Assert.Single(_target.Deliveries).ConsumerTag);
    }

    [Theory]
    [InlineData("longstr")]
    [InlineData("bool")]
    [InlineData("double")]
    public void A_non_integer_x_priority_is_refused_with_RabbitMQs_text(string type)
    {
        var queue = Queue();
        object value = type switch
        {
            "longstr" => Host.Str("high"),
            "bool" => true,
            _ => 1.5,
        };

        var result = _session.Consume(queue, "c", noAck: false, exclusive: false, Host.Args(("x-priority", value)));

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, $"invalid arg 'x-priority' for queue 'q' in vhost '/': {{unacceptable_type,{type}}}");
        Assert.False(_session.HasConsumer("c"));
        Assert.Equal(0, queue.ConsumerCount);
    }

    [Fact]
    public void An_integer_x_priority_of_any_width_orders_consumers()
    {
        var queue = Queue();
        Assert.False(_session.Consume(queue, "low", noAck: false, exclusive: false, new FieldTable()).IsError);
        var high = _session.Consume(queue, "high", noAck: false, exclusive: false, Host.Args(("x-priority", (short)5)));
        Assert.False(high.IsError, high.Error.Text);
        Assert.Equal(5, high.Value!.Priority);

        Enqueue(queue, "m1", "m2");

        Assert.Equal(["high", "high"], _target.Deliveries.Select(d => d.ConsumerTag));
    }

    [Fact]
    public void Consuming_another_connections_exclusive_queue_is_resource_locked()
    {
        var queue = _host.Queue("excl", exclusive: true);
        var stranger = new Session(_host.VHost, new TestConnection("other"), _target);

        var consume = stranger.Consume(queue, "c", noAck: false, exclusive: false, new FieldTable());
        var get = stranger.Get(queue, noAck: false, new FlushBatch());

        const string Text = "cannot obtain exclusive access to locked queue 'excl' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.";
        Host.AssertError(consume.Error, ErrorKind.ResourceLocked, Text);
        Host.AssertError(get.Error, ErrorKind.ResourceLocked, Text);
        Assert.Equal(0, queue.ConsumerCount);
        Assert.False(stranger.HasConsumer("c"));
    }

    [Fact]
    public void The_owning_connection_may_consume_its_exclusive_queue()
    {
        var queue = _host.Queue("excl", exclusive: true);

        Assert.False(_session.Consume(queue, "c", noAck: false, exclusive: false, new FieldTable()).IsError);
    }

    [Fact]
    public void A_consumer_the_queue_refuses_does_not_keep_its_tag()
    {
        var queue = Queue();
        var other = new Session(_host.VHost, _host.Connection, new FakeDeliveryTarget());
        Assert.False(other.Consume(queue, "owner", noAck: false, exclusive: true, new FieldTable()).IsError);

        var refused = _session.Consume(queue, "c", noAck: false, exclusive: false, new FieldTable());

        Host.AssertError(refused.Error, ErrorKind.AccessRefused, "queue 'q' in vhost '/' in exclusive use");
        Assert.False(_session.HasConsumer("c"));
        Assert.Equal(0, _session.ConsumerCount);
    }

    [Fact]
    public void A_refused_write_uses_no_tag_and_records_no_unacked_delivery()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        _target.Refuse = true;

        Consume(queue, "c");

        Assert.True(_target.Refusals > 0);
        Assert.Empty(_target.Deliveries);
        Assert.Equal(0, _session.UnackedCount);
        Assert.Equal(0, queue.UnackedCount);
        Assert.Equal(2, queue.MessageCount);

        // Once the output takes writes again, tags start at 1 as if nothing had been tried.
        _target.Refuse = false;
        queue.Pump(new FlushBatch());

        Assert.Equal([1UL, 2UL], _target.Tags());
        Assert.Equal(["m1", "m2"], _target.Ids());
        Assert.Equal(2, _session.UnackedCount);
    }

    [Fact]
    public void A_refused_write_does_not_use_up_prefetch_credit()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        SetPrefetch(1, global: false);
        _target.Refuse = true;
        var consumer = Consume(queue, "c");
        Assert.Equal(0, consumer.Unacked);

        _target.Refuse = false;
        queue.Pump(new FlushBatch());

        Assert.Equal(["m1"], _target.Ids());
        Assert.Equal(1, consumer.Unacked);
    }

    [Fact]
    public void Ack_timeout_starts_its_clock_on_first_sight_and_fires_only_after_the_timeout()
    {
        var queue = Queue();
        Enqueue(queue, "m1");
        Consume(queue, "c");

        // The delivery carries no timestamp: the first check is when its clock starts, whatever "now" is.
        Assert.False(_session.AckTimedOut(nowMs: 10_000, timeoutMs: 500));
        Assert.False(_session.AckTimedOut(nowMs: 10_400, timeoutMs: 500));
        Assert.False(_session.AckTimedOut(nowMs: 10_500, timeoutMs: 500));
        Assert.True(_session.AckTimedOut(nowMs: 10_501, timeoutMs: 500));
    }

    [Fact]
    public void Ack_timeout_never_fires_without_unacknowledged_deliveries()
    {
        var queue = Queue();
        Enqueue(queue, "m1");
        Consume(queue, "c", noAck: true);

        Assert.False(_session.AckTimedOut(nowMs: 0, timeoutMs: 10));
        Assert.False(_session.AckTimedOut(nowMs: 1_000_000, timeoutMs: 10));
    }

    [Fact]
    public void Acking_the_oldest_delivery_restarts_the_clock_for_the_next()
    {
        var queue = Queue();
        Enqueue(queue, "m1", "m2");
        Consume(queue, "c");
        Assert.False(_session.AckTimedOut(nowMs: 0, timeoutMs: 100));

        Ack(1);

        // Tag 2 is now the oldest: seen for the first time, its clock starts now.
        Assert.False(_session.AckTimedOut(nowMs: 1_000, timeoutMs: 100));
        Assert.False(_session.AckTimedOut(nowMs: 1_100, timeoutMs: 100));
        Assert.True(_session.AckTimedOut(nowMs: 1_101, timeoutMs: 100));

        Ack(2);
        Assert.False(_session.AckTimedOut(nowMs: 10_000, timeoutMs: 100));
    }

    [Fact]
    public void Deleting_a_consumed_queue_tells_the_target_once_and_forgets_the_consumer()
    {
        var queue = Queue();
        var consumer = Consume(queue, "c");

        Assert.False(_host.VHost.DeleteQueue("q", ifUnused: false, ifEmpty: false, _host.Connection).IsError);

        Assert.Same(consumer, Assert.Single(_target.Cancelled));
        Assert.False(_session.HasConsumer("c"));
        Assert.Equal(0, _session.ConsumerCount);

        // A second notice (from a racing delete) is not passed on.
        _session.OnConsumerCancelled(consumer);
        Assert.Single(_target.Cancelled);
    }

    [Fact]
    public void A_cancel_notice_is_written_and_then_flushed()
    {
        var queue = Queue();
        Consume(queue, "c");

        Assert.False(_host.VHost.DeleteQueue("q", ifUnused: false, ifEmpty: false, _host.Connection).IsError);

        Assert.Single(_target.Cancelled);
        Assert.Equal(1, _target.Flushes);
    }

    [Fact]
    public void Untracked_deliveries_go_only_to_the_untracked_consumer_while_there_is_one()
    {
        var message = TestMessages.New(_host.Engine, "reply");
        try
        {
            Assert.False(_session.TryDeliverUntracked(message, new FlushBatch()));

            _session.SetUntrackedConsumer("replies");
            Assert.True(_session.TryDeliverUntracked(message, new FlushBatch()));
            var delivery = Assert.Single(_target.Deliveries);
            Assert.Equal(("replies", 1ul, false), (delivery.ConsumerTag, delivery.DeliveryTag, delivery.Redelivered));
            Assert.Equal(0, _session.UnackedCount);

            // Cancelled: nothing more, so nothing can follow the cancel-ok.
            _session.SetUntrackedConsumer(null);
            Assert.False(_session.TryDeliverUntracked(message, new FlushBatch()));
            Assert.Single(_target.Deliveries);
        }
        finally
        {
            message.Release();
        }
    }

    [Fact]
    public void A_cancel_notice_after_close_is_not_passed_on()
    {
        var queue = Queue();
        var consumer = Consume(queue, "c");
        _session.Close(null, new FlushBatch());

        _session.OnConsumerCancelled(consumer);

        Assert.Empty(_target.Cancelled);
    }

    [Fact]
    public void A_late_cancel_notice_for_a_replaced_consumer_leaves_the_new_consumer_with_that_tag_alone()
    {
        // The race this stands for: queue q1 is deleted while the client cancels "x" and consumes "x"
        // again on q2; the deletion's notice for the old consumer arrives after the new one exists.
        var q1 = Queue("q1");
        var q2 = Queue("q2");
        var old = Consume(q1, "x");
        _session.Cancel("x");
        Consume(q2, "x");

        _session.OnConsumerCancelled(old);

        Assert.True(_session.HasConsumer("x"));
        Assert.Empty(_target.Cancelled);

        // The session must still own the new consumer: closing it removes it from q2.
        _session.Close(null, new FlushBatch());
        Assert.Equal(0, q2.ConsumerCount);
    }

    /// <summary>basic.qos as the channel does it: set the limit, then serve what a raised one lets through.</summary>
    private void SetPrefetch(int count, bool global)
    {
        if (_session.SetPrefetch(count, global))
        {
            _session.PumpConsumerQueues(new FlushBatch());
        }
    }
}
