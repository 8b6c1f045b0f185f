using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Monitoring;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Monitoring;

/// <summary>
/// A queue's message counters (the management API's message_stats): what it took in, what it handed
/// out to consumers and to basic.get (with and without acks, redeliveries apart), what was acked; a
/// deleted queue's counters stay in its vhost's totals.
/// </summary>
public class QueueStatsTests
{
    private readonly Host _host = new();
    private readonly FakeDeliveryTarget _target = new();
    private readonly Session _session;

    public QueueStatsTests()
    {
        _session = new Session(_host.VHost, _host.Connection, _target);
    }

    [Fact]
    public void Publishes_gets_deliveries_redeliveries_and_acks_are_counted()
    {
        var queue = _host.Queue("counted");
        for (var i = 0; i < 4; i++)
        {
            TestMessages.Enqueue(_host.Engine, queue, $"m{i}");
        }

        Assert.True(_session.Get(queue, noAck: true, new FlushBatch()).Value);
        Assert.True(_session.Get(queue, noAck: false, new FlushBatch()).Value);
        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(_target.GetOks[^1].DeliveryTag, multiple: false, taken).IsError);
        _session.Settle(taken, SettleAction.Requeue, new FlushBatch());

        var consumer = _session.Consume(queue, "c1", noAck: false, exclusive: false, new FieldTable());
        Assert.False(consumer.IsError);
        queue.Pump(new FlushBatch());
        Assert.Equal(3, _target.Deliveries.Count);
        Assert.False(_session.TakeUnacked(_target.Deliveries[^1].DeliveryTag, multiple: true, taken).IsError);
        _session.Settle(taken, SettleAction.Ack, new FlushBatch());

        var stats = queue.Stats;
        Assert.Equal(4, stats.Published);
        Assert.Equal((1L, 1L), (stats.GetsNoAck, stats.Gets));
        Assert.Equal(3, stats.Delivered);
        Assert.Equal(0, stats.DeliveredNoAck);
        Assert.Equal(1, stats.Redelivered);
        Assert.Equal(3, stats.Acked);
        Assert.Equal(5, stats.DeliveredOrGot);
    }

    [Fact]
    public void A_rejected_publish_is_not_counted_and_a_deleted_queue_stays_in_the_vhost_totals()
    {
        var queue = _host.Queue("full", arguments: Host.Args(("x-max-length", 1), ("x-overflow", Host.Str("reject-publish"))));
        TestMessages.Enqueue(_host.Engine, queue, "kept");
        var refused = TestMessages.New(_host.Engine, "refused");
        Assert.Equal(EnqueueResult.Rejected, queue.Enqueue(refused, new FlushBatch()));
        refused.Release();
        Assert.Equal(1, queue.Stats.Published);

        Assert.False(_host.VHost.DeleteQueue("full", ifUnused: false, ifEmpty: false, connection: null).IsError);
        Assert.Equal(1, _host.VHost.RetiredQueueStats.Published);
    }

    [Fact]
    public void Channel_counters_add_up_into_retired_totals()
    {
        var stats = new ChannelStats();
        stats.OnPublished();
        stats.OnPublished();
        stats.OnConfirmed(2);
        stats.OnUnroutable(returned: true);
        stats.OnUnroutable(returned: false);
        var retired = new ChannelStats();
        retired.Add(stats);
        retired.Add(stats);
        Assert.Equal((4L, 4L, 2L, 2L), (retired.Published, retired.Confirmed, retired.ReturnedUnroutable, retired.DroppedUnroutable));
    }
}
