using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Queues.Classic;
using Broker.Engine.VirtualHosts;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests.Queues;

/// <summary>Queues with tiny in-memory heads over disk logs: most messages wait in the log and are read back in order.</summary>
public sealed class MessageQueueOverDiskTests : IDisposable
{
    private const int BodySize = 200;

    private readonly TempDirectory _directory = new();
    private readonly MessageStore _store;
    private readonly WriterGate _gate;
    private readonly BrokerEngine _engine;
    private readonly VirtualHost _vhost;
    private readonly TestConnection _connection = new();

    public MessageQueueOverDiskTests()
    {
        _store = new MessageStore(_directory.Path, new MessagePool(), incarnation: 1, NullLogger.Instance, segmentSize: 16 * 1024);
        _gate = WriterGate.Install(_store);
        var options = new EngineOptions
        {
            QueueLimits = new QueueLimits { HeadMaxCount = 10, RefillBelow = 5, RefillBatchCount = 20, RefillBatchBytes = 16 * 1024 },
        };
        _engine = new BrokerEngine(options, _store, pool: _store.Pool);
        _engine.CreateDefaults();
        Assert.True(_engine.TryGetVirtualHost("/", out _vhost));
    }

    public void Dispose()
    {
        _gate.Dispose();
        _store.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void ThousandMessagesWithoutConsumers_WaitMostlyInTheLogAndComeBackInOrder(bool durable, bool persistent)
    {
        var queue = Declare("q", durable);
        Publish(queue, 0, 1000, persistent);

        Assert.Equal(1000, queue.MessageCount);
        Assert.True(((ClassicQueue)queue).TailCount >= 990, $"only {((ClassicQueue)queue).TailCount} of 1000 messages went to the tail");

        var ids = new List<string>();
        while (queue.TryGet(noAck: true, out var entry, out var remaining, new FlushBatch()))
        {
            TestMessages.AssertContent(entry.Message, Id(ids.Count), BodySize);
            Assert.Equal(999 - ids.Count, remaining);
            ids.Add(TestMessages.Id(entry.Message));
            entry.Message.Release();
        }

        Assert.Equal(Enumerable.Range(0, 1000).Select(Id), ids);
        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, ((ClassicQueue)queue).TailCount);

        // Everything consumed: only the active segment may be left.
        _gate.Drain();
        Assert.True(SegmentFiles().Length <= 1, $"{SegmentFiles().Length} segment files left");
    }

    [Fact]
    public void Purge_WithATail_DropsEverythingAndCountsIt()
    {
        var queue = Declare("q", durable: true);
        Publish(queue, 0, 100, persistent: true);
        Assert.True(((ClassicQueue)queue).TailCount > 0);

        Assert.Equal(100, queue.Purge());

        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, ((ClassicQueue)queue).TailCount);
        Assert.False(queue.TryGet(noAck: true, out _, out _, new FlushBatch()));

        // The queue goes on with a new tail.
        Publish(queue, 100, 30, persistent: true);
        Assert.Equal(Enumerable.Range(100, 30).Select(Id), TakeAll(queue, noAck: true));
    }

    [Fact]
    public void Purge_DropsTheHeadAndTheTailButNotUnacked()
    {
        var queue = Declare("q", durable: true);
        Publish(queue, 0, 50, persistent: true);
        Assert.True(queue.TryGet(noAck: false, out var unacked, out _, new FlushBatch()));

        Assert.Equal(49, queue.Purge());

        Assert.Equal(1, queue.UnackedCount);
        queue.Settle(unacked, SettleAction.Requeue, new FlushBatch());
        Assert.Equal([Id(0)], TakeAll(queue, noAck: true));
    }

    [Fact]
    public void Requeue_PutsMessagesBackAtTheirPositions()
    {
        var queue = Declare("q", durable: true);
        Publish(queue, 0, 30, persistent: true);
        var taken = new List<QueueEntry>();
        for (var i = 0; i < 15; i++)
        {
            Assert.True(queue.TryGet(noAck: false, out var entry, out _, new FlushBatch()));
            taken.Add(entry);
        }

        Assert.Equal(Enumerable.Range(0, 15).Select(Id), TestMessages.Ids(taken));
        taken.Reverse();
        foreach (var entry in taken)
        {
            queue.Settle(entry, SettleAction.Requeue, new FlushBatch());
        }

        var again = new List<QueueEntry>();
        while (queue.TryGet(noAck: false, out var entry, out _, new FlushBatch()))
        {
            again.Add(entry);
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(Id), TestMessages.Ids(again));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i < 15), again.Select(e => e.Redelivered));
        queue.Settle(again.ToArray(), SettleAction.Ack, new FlushBatch());
        Assert.Equal(0, queue.UnackedCount);
        Assert.Equal(0, queue.MessageCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Consumer_GetsDeliveriesInOrderAcrossHeadAndTail(bool noAck)
    {
        var queue = Declare("q", durable: true);
        var channel = new FakeSession();
        channel.SetCredit(0);
        Assert.False(queue.AddConsumer(channel.Consume(queue, "c1", noAck)).IsError);

        // With no credit nothing is delivered: the messages pile up, mostly in the tail.
        Publish(queue, 0, 1000, persistent: true);
        Assert.Equal(0, channel.Count);
        Assert.True(((ClassicQueue)queue).TailCount >= 990);

        channel.SetCredit(int.MaxValue);
        queue.Pump(new FlushBatch());
        Wait.Until(() => channel.Count == 1000, "1000 deliveries");

        Assert.Equal(Enumerable.Range(0, 1000).Select(Id), channel.Deliveries.Select(d => d.Id));
        Assert.All(channel.Deliveries, d => Assert.False(d.Redelivered));
        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(noAck ? 0 : 1000, queue.UnackedCount);
    }

    [Fact]
    public void Consumer_KeepsOrderWhilePublishingContinues()
    {
        var queue = Declare("q", durable: false);
        var channel = new FakeSession();
        channel.SetCredit(3);
        Assert.False(queue.AddConsumer(channel.Consume(queue, "c1", noAck: true)).IsError);

        Publish(queue, 0, 300, persistent: false);
        channel.SetCredit(int.MaxValue);
        queue.Pump(new FlushBatch());
        Publish(queue, 300, 300, persistent: false);
        Wait.Until(() => channel.Count == 600, "600 deliveries");

        Assert.Equal(Enumerable.Range(0, 600).Select(Id), channel.Deliveries.Select(d => d.Id));
    }

    [Fact]
    public void DeletingADurableQueue_RemovesItsLog()
    {
        var queue = Declare("q", durable: true);
        Publish(queue, 0, 100, persistent: true);
        _gate.Drain();
        Assert.NotEmpty(SegmentFiles());

        Assert.False(_vhost.DeleteQueue("q", ifUnused: false, ifEmpty: false, _connection).IsError);
        _gate.Drain();

        Assert.Empty(SegmentFiles());
    }

    private static string Id(int i) => $"m{i}";

    private string[] SegmentFiles() => Directory.GetFiles(_directory.Path, "*.seg", SearchOption.AllDirectories);

    private MessageQueue Declare(string name, bool durable)
    {
        var result = _vhost.DeclareQueue(name, passive: false, durable, exclusive: false, autoDelete: false, new FieldTable(), _connection);
        Assert.False(result.IsError, result.Error.Text);
        return result.Value.Queue;
    }

    private void Publish(MessageQueue queue, int first, int count, bool persistent)
    {
        for (var i = first; i < first + count; i++)
        {
            var message = TestMessages.New(_engine.Messages, Id(i), BodySize, persistent);
            Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
            message.Release();
        }
    }

    private static List<string> TakeAll(MessageQueue queue, bool noAck)
    {
        var ids = new List<string>();
        while (queue.TryGet(noAck, out var entry, out _, new FlushBatch()))
        {
            ids.Add(TestMessages.Id(entry.Message));
            if (noAck)
            {
                entry.Message.Release();
            }
        }

        return ids;
    }
}
