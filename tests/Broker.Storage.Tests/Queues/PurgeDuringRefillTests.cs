using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests.Queues;

/// <summary>A purge that lands while the queue reads its tail back: every record must still be accounted for.</summary>
public sealed class PurgeDuringRefillTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly MessageStore _store;
    private readonly WriterGate _gate;
    private readonly GatedStore _gated;
    private readonly BrokerEngine _engine;

    public PurgeDuringRefillTests()
    {
        _store = new MessageStore(_directory.Path, new MessagePool(), incarnation: 1, NullLogger.Instance, segmentSize: 4096);
        _gate = WriterGate.Install(_store);
        _gated = new GatedStore(_store);
        var options = new EngineOptions
        {
            QueueLimits = new QueueLimits { HeadMaxCount = 10, RefillBelow = 5, RefillBatchCount = 20, RefillBatchBytes = 1024 * 1024 },
        };
        _engine = new BrokerEngine(options, _gated, pool: _store.Pool);
        _engine.CreateDefaults();
    }

    public void Dispose()
    {
        _gated.Last?.Release();
        _gate.Dispose();
        _store.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Purge_LeavesNoSegmentBehind(bool durable)
    {
        var queue = Declare(durable);
        Publish(queue, 100);
        _gate.Drain();
        Assert.True(SegmentFiles().Length >= 4);

        Assert.Equal(100, queue.Purge());

        _gate.Drain();
        Assert.True(SegmentFiles().Length <= 1, $"{SegmentFiles().Length} segment files left after the purge");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PurgeWhileTheTailIsReadBack_LeavesNoSegmentBehind(bool durable)
    {
        var queue = Declare(durable);
        Publish(queue, 100);
        _gate.Drain();
        var log = _gated.Last!;
        log.Arm();

        // Taking from the head brings it under RefillBelow: a refill starts on the thread pool and is held after its read.
        for (var i = 0; i < 6; i++)
        {
            Assert.True(queue.TryGet(noAck: true, out var entry, out _, new FlushBatch()));
            entry.Message.Release();
        }

        log.WaitHeld();
        Assert.True(log.HeldCount > 0);
        Assert.Equal(94, queue.Purge());
        log.Release();

        Wait.Until(
            () =>
            {
                _gate.Drain();
                return SegmentFiles().Length <= 1;
            },
            "the purged segments to be deleted");
        Assert.Equal(0, queue.MessageCount);
    }

    private string[] SegmentFiles() => Directory.GetFiles(_directory.Path, "*.seg", SearchOption.AllDirectories);

    private MessageQueue Declare(bool durable)
    {
        Assert.True(_engine.TryGetVirtualHost("/", out var vhost));
        var result = vhost.DeclareQueue("q", passive: false, durable, exclusive: false, autoDelete: false, new FieldTable(), new TestConnection());
        Assert.False(result.IsError, result.Error.Text);
        return result.Value.Queue;
    }

    private void Publish(MessageQueue queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var message = TestMessages.New(_engine.Messages, $"m{i}", 200, persistent: true);
            Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
            message.Release();
        }
    }
}
