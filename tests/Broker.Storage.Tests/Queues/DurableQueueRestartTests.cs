using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.Queues.Classic;
using Broker.Engine.VirtualHosts;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Queues;

/// <summary>Queues across a broker restart: a storage disposed and opened again on the same data directory.</summary>
public sealed class DurableQueueRestartTests : IDisposable
{
    private const int BodySize = 300;

    private readonly TempDirectory _directory = new();
    private readonly TestConnection _connection = new();
    private StorageUnderTest? _storage;

    private VirtualHost VHost
    {
        get
        {
            Assert.True(Storage.Engine.TryGetVirtualHost("/", out var vhost));
            return vhost;
        }
    }

    private StorageUnderTest Storage => _storage ?? throw new InvalidOperationException("not started");

    public void Dispose()
    {
        _storage?.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void PersistentMessagesOfADurableQueue_SurviveARestartAndTransientOnesDoNot()
    {
        Restart();
        var durable = Declare("dq", durable: true);
        var transientQueue = Declare("tq", durable: false);
        for (var i = 0; i < 60; i++)
        {
            Publish(durable, i, persistent: i % 2 == 0);
            Publish(transientQueue, i, persistent: true);
        }

        Assert.True(((ClassicQueue)durable).TailCount > 0, "the test wants messages in the tail too");

        Restart();

        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        Assert.False(VHost.TryGetQueue("tq", out _));
        Assert.Equal(30, recovered.MessageCount);
        var entries = TakeAll(recovered);
        Assert.Equal(Enumerable.Range(0, 60).Where(i => i % 2 == 0).Select(Id), TestMessages.Ids(entries));
        foreach (var entry in entries)
        {
            TestMessages.AssertContent(entry.Message, TestMessages.Id(entry.Message), BodySize);
            Assert.True(entry.Message.IsPersistent);
            Assert.False(entry.Redelivered);
        }

        recovered.Settle(entries.ToArray(), SettleAction.Ack, new FlushBatch());
    }

    [Fact]
    public void AckedMessagesDoNotComeBackAndDeliveredOnesComeBackRedelivered()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 20; i++)
        {
            Publish(queue, i, persistent: true);
        }

        var taken = new List<QueueEntry>();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(queue.TryGet(noAck: false, out var entry, out _, new FlushBatch()));
            taken.Add(entry);
        }

        queue.Settle(taken.Take(2).ToArray(), SettleAction.Ack, new FlushBatch());

        Restart();

        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        var entries = TakeAll(recovered);
        Assert.Equal(Enumerable.Range(2, 18).Select(Id), TestMessages.Ids(entries));
        Assert.Equal(Enumerable.Range(2, 18).Select(i => i < 5), entries.Select(e => e.Redelivered));
        recovered.Settle(entries.ToArray(), SettleAction.Ack, new FlushBatch());

        Restart();
        Assert.True(VHost.TryGetQueue("dq", out recovered));
        Assert.Equal(0, recovered.MessageCount);
    }

    [Fact]
    public void PriorityQueue_ComesBackInPriorityOrder()
    {
        Restart();
        var queue = Declare("pq", durable: true, Args(("x-max-priority", 5)));
        var priorities = new byte[] { 0, 3, 5, 1, 3, 0, 5, 2, 4, 1, 3 };
        for (var i = 0; i < priorities.Length; i++)
        {
            var message = TestMessages.New(Storage.Engine.Messages, Id(i), BodySize, persistent: true, priority: priorities[i]);
            Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
            message.Release();
        }

        Restart();

        Assert.True(VHost.TryGetQueue("pq", out var recovered));
        Assert.Equal(5, recovered.Settings.MaxPriority);
        var expected = Enumerable.Range(0, priorities.Length).OrderByDescending(i => priorities[i]).ThenBy(i => i).Select(Id);
        var entries = TakeAll(recovered);
        Assert.Equal(expected, TestMessages.Ids(entries));
        Assert.Equal(priorities.OrderDescending(), entries.Select(e => e.Message.Priority));
    }

    [Fact]
    public void PagedPriorityQueue_ComesBackByPriorityThenPublishOrder_EachLevelInItsOwnLog()
    {
        Restart();
        var queue = Declare("pq", durable: true, Args(("x-max-priority", 5)));
        var priorities = Enumerable.Range(0, 200).Select(i => (byte)((i * 7 + i / 5) % 7)).ToArray();
        for (var i = 0; i < priorities.Length; i++)
        {
            PublishWithPriority(queue, i, priorities[i]);
        }

        Assert.True(((ClassicQueue)queue).TailCount >= 150, $"only {((ClassicQueue)queue).TailCount} of 200 messages went to the tails");
        var expected = Enumerable.Range(0, priorities.Length).OrderByDescending(i => Math.Min(priorities[i], (byte)5)).ThenBy(i => i).ToList();

        // Seven delivered: three acked, four left unacknowledged (they come back redelivered).
        var taken = new List<QueueEntry>();
        for (var i = 0; i < 7; i++)
        {
            Assert.True(queue.TryGet(noAck: false, out var entry, out _, new FlushBatch()));
            taken.Add(entry);
        }

        Assert.Equal(expected.Take(7).Select(Id), TestMessages.Ids(taken));
        queue.Settle(taken.Take(3).ToArray(), SettleAction.Ack, new FlushBatch());

        Restart();

        var levelLogs = Directory.GetDirectories(Path.Combine(_directory.Path, "queues")).Select(Path.GetFileName).Where(name => name!.Contains(".p")).Count();
        Assert.Equal(5, levelLogs);
        Assert.True(VHost.TryGetQueue("pq", out var recovered));
        Assert.Equal(197, recovered.MessageCount);
        var entries = TakeAll(recovered);
        Assert.Equal(expected.Skip(3).Select(Id), TestMessages.Ids(entries));
        Assert.Equal(expected.Skip(3).Select((_, n) => n < 4), entries.Select(e => e.Redelivered));
        recovered.Settle(entries.ToArray(), SettleAction.Ack, new FlushBatch());

        Restart();
        Assert.True(VHost.TryGetQueue("pq", out recovered));
        Assert.Equal(0, recovered.MessageCount);
    }

    [Fact]
    public void PriorityQueueLogWrittenBeforeLevelsHadTheirOwn_IsAdoptedWithNothingLostOrBack()
    {
        // Before each level had a log, a priority queue kept all levels in one: such a log, recovered as
        // level 0's, hands its other levels' records over to their logs as they are read.
        Restart();
        Declare("pq", durable: true, Args(("x-max-priority", 5)));
        var plain = Declare("plain", durable: true);
        var priorities = Enumerable.Range(0, 60).Select(i => (byte)(i % 6)).ToArray();
        for (var i = 0; i < priorities.Length; i++)
        {
            PublishWithPriority(plain, i, priorities[i]);
        }

        Assert.True(plain.TryGet(noAck: false, out _, out _, new FlushBatch()));
        _storage!.Dispose();
        _storage = null;
        var queues = Path.Combine(_directory.Path, "queues");
        Directory.Move(Path.Combine(queues, QueueDirectoryName("/", "plain")), Path.Combine(queues, QueueDirectoryName("/", "pq")));

        Restart();

        Assert.True(VHost.TryGetQueue("pq", out var recovered));
        Assert.Equal(60, recovered.MessageCount);
        var entries = TakeAll(recovered);
        Assert.Equal(Enumerable.Range(0, 60).Select(Id).Order(StringComparer.Ordinal), TestMessages.Ids(entries).Order(StringComparer.Ordinal));
        Assert.Single(entries, e => e.Redelivered);
        Assert.Equal("m0", TestMessages.Id(entries.Single(e => e.Redelivered).Message));
        recovered.Settle(entries.ToArray(), SettleAction.Ack, new FlushBatch());

        Restart();
        Assert.True(VHost.TryGetQueue("pq", out recovered));
        Assert.Equal(0, recovered.MessageCount);
    }

    [Fact]
    public void MessageTtl_KeepsCountingFromThePublishAcrossARestart()
    {
        Restart();
        var queue = Declare("ttl", durable: true, Args(("x-message-ttl", 3_600_000)));
        Publish(queue, 0, persistent: true);
        Assert.True(queue.TryGet(noAck: false, out var before, out _, new FlushBatch()));
        Assert.NotEqual(QueueEntry.NoExpiry, before.ExpiresAt);
        queue.Settle(before, SettleAction.Requeue, new FlushBatch());

        Restart();

        Assert.True(VHost.TryGetQueue("ttl", out var recovered));
        Assert.True(recovered.TryGet(noAck: false, out var after, out _, new FlushBatch()));
        Assert.Equal(before.ExpiresAt, after.ExpiresAt);
        Assert.True(after.Redelivered);
    }

    [Fact]
    public void PurgedMessagesDoNotComeBack()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 50; i++)
        {
            Publish(queue, i, persistent: true);
        }

        Assert.Equal(50, queue.Purge());
        Publish(queue, 50, persistent: true);

        Restart();

        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        Assert.Equal([Id(50)], TestMessages.Ids(TakeAll(recovered)));
    }

    [Fact]
    public void PurgeRightAfterARestart_DropsTheRecoveredMessagesForGood()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 50; i++)
        {
            Publish(queue, i, persistent: true);
        }

        Restart();
        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        Assert.Equal(50, recovered.Purge());
        Assert.Equal(0, recovered.MessageCount);
        Assert.False(recovered.TryGet(noAck: true, out _, out _, new FlushBatch()));

        Restart();
        Assert.True(VHost.TryGetQueue("dq", out recovered));
        Assert.Equal(0, recovered.MessageCount);
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.seg", SearchOption.AllDirectories));
    }

    [Fact]
    public void DeletedDurableQueue_StaysDeletedWithItsMessages()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 20; i++)
        {
            Publish(queue, i, persistent: true);
        }

        Assert.False(VHost.DeleteQueue("dq", ifUnused: false, ifEmpty: false, _connection).IsError);

        Restart();

        Assert.False(VHost.TryGetQueue("dq", out _));
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.seg", SearchOption.AllDirectories));

        // A new queue by that name starts empty.
        Assert.Equal(0, Declare("dq", durable: true).MessageCount);
    }

    [Fact]
    public void RecoveredQueue_TakesNewMessagesAfterTheRecoveredOnes()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 20; i++)
        {
            Publish(queue, i, persistent: true);
        }

        Restart();
        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        for (var i = 20; i < 40; i++)
        {
            Publish(recovered, i, persistent: true);
        }

        Assert.Equal(40, recovered.MessageCount);

        Restart();
        Assert.True(VHost.TryGetQueue("dq", out recovered));
        Assert.Equal(Enumerable.Range(0, 40).Select(Id), TestMessages.Ids(TakeAll(recovered)));
    }

    [Fact]
    public void RecoveredQueue_DeliversToAConsumerInOrder()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 200; i++)
        {
            Publish(queue, i, persistent: true);
        }

        Restart();
        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        var channel = new FakeSession();
        Assert.False(recovered.AddConsumer(channel.Consume(recovered, "c", noAck: true)).IsError);
        recovered.Pump(new FlushBatch());

        Wait.Until(() => channel.Count == 200, "200 deliveries");
        Assert.Equal(Enumerable.Range(0, 200).Select(Id), channel.Deliveries.Select(d => d.Id));
    }

    [Fact]
    public void RecoveredQueue_WithManySettledRecordsAhead_StillDeliversTheRest()
    {
        Restart();
        var queue = Declare("dq", durable: true);
        for (var i = 0; i < 100; i++)
        {
            Publish(queue, i, persistent: true, bodySize: 1000);
        }

        for (var i = 0; i < 60; i++)
        {
            Assert.True(queue.TryGet(noAck: true, out var entry, out _, new FlushBatch()));
            entry.Message.Release();
        }

        Restart(new QueueLimits { RefillBatchBytes = 8 * 1024 });

        Assert.True(VHost.TryGetQueue("dq", out var recovered));
        Assert.Equal(40, recovered.MessageCount);
        Assert.Equal(Enumerable.Range(60, 40).Select(Id), TestMessages.Ids(TakeAll(recovered)));
    }

    [Fact]
    public void PersistentMessagesDeadLetteredFromANonDurableQueuesTail_SurviveARestart()
    {
        Restart();
        var deadLetters = Declare("dlq", durable: true);
        Assert.False(VHost.BindQueue("dlq", "amq.direct", "dlq", new FieldTable(), _connection).IsError);
        var arguments = new FieldTable
        {
            ["x-dead-letter-exchange"] = "amq.direct"u8.ToArray(),
            ["x-dead-letter-routing-key"] = "dlq"u8.ToArray(),
        };
        var declared = VHost.DeclareQueue("src", passive: false, durable: false, exclusive: false, autoDelete: false, arguments, _connection);
        Assert.False(declared.IsError, declared.Error.Text);
        var source = declared.Value.Queue;
        for (var i = 0; i < 30; i++)
        {
            Publish(source, i, persistent: true);
        }

        Assert.True(((ClassicQueue)source).TailCount > 0);
        source.Settle(TakeAll(source).ToArray(), SettleAction.Discard, new FlushBatch());
        Assert.Equal(30, deadLetters.MessageCount);

        Restart();

        Assert.True(VHost.TryGetQueue("dlq", out var recovered));
        Assert.Equal(30, recovered.MessageCount);
    }

    private static string Id(int i) => $"m{i}";

    private static List<QueueEntry> TakeAll(MessageQueue queue)
    {
        var entries = new List<QueueEntry>();
        while (queue.TryGet(noAck: false, out var entry, out _, new FlushBatch()))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>Disposes the running storage (it writes and syncs what is pending) and opens the directory again.</summary>
    private void Restart(QueueLimits? limits = null)
    {
        _storage?.Dispose();
        _storage = null;
        var options = new EngineOptions { QueueLimits = limits ?? new QueueLimits { HeadMaxCount = 10, RefillBelow = 5, RefillBatchCount = 20 } };
        _storage = StorageUnderTest.Open(_directory.Path, options);
    }

    private static FieldTable Args(params (string Key, object? Value)[] entries) => Definitions.DefinitionsModelTests.Args(entries);

    private MessageQueue Declare(string name, bool durable, FieldTable? arguments = null)
    {
        var result = VHost.DeclareQueue(name, passive: false, durable, exclusive: false, autoDelete: false, arguments ?? new FieldTable(), _connection);
        Assert.False(result.IsError, result.Error.Text);
        return result.Value.Queue;
    }

    private void PublishWithPriority(MessageQueue queue, int i, byte priority)
    {
        var message = TestMessages.New(Storage.Engine.Messages, Id(i), BodySize, persistent: true, priority: priority);
        Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
        message.Release();
    }

    /// <summary>The store's directory name for a durable queue (a digest of vhost and name; see MessageStore).</summary>
    private static string QueueDirectoryName(string virtualHost, string queue) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{virtualHost.Length}:{virtualHost}{queue}")).AsSpan(0, 16));

    private void Publish(MessageQueue queue, int i, bool persistent, int bodySize = BodySize)
    {
        var message = TestMessages.New(Storage.Engine.Messages, Id(i), bodySize, persistent);
        Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
        message.Release();
    }
}
