using System.Security.Cryptography;
using System.Text;
using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.VirtualHosts;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Queues;

/// <summary>
/// A quorum queue's x-dead-letter-strategy at-least-once (with x-overflow reject-publish): a
/// dead-lettered message leaves its queue's log only once its dead-lettered copies are on disk. When
/// the target cannot store them, the message is back in its queue after a restart; at-most-once loses it.
/// </summary>
public sealed class AtLeastOnceDeadLetterTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestConnection _connection = new();
    private StorageUnderTest? _storage;

    public void Dispose()
    {
        _storage?.Dispose();
        _directory.Dispose();
    }

    private VirtualHost VHost
    {
        get
        {
            Assert.True(_storage!.Engine.TryGetVirtualHost("/", out var vhost));
            return vhost;
        }
    }

    private void Restart()
    {
        _storage?.Dispose();
        _storage = StorageUnderTest.Open(_directory.Path, new EngineOptions());
    }

    private MessageQueue Quorum(string name, params (string Key, object? Value)[] more)
    {
        var arguments = new FieldTable { ["x-queue-type"] = "quorum"u8.ToArray() };
        foreach (var (key, value) in more)
        {
            arguments[key] = value;
        }

        var result = VHost.DeclareQueue(name, passive: false, durable: true, exclusive: false, autoDelete: false, arguments, _connection);
        Assert.False(result.IsError, result.Error.Text);
        return result.Value.Queue;
    }

    /// <summary>Where the store will put a queue's log (a digest of vhost and name, as MessageStore names it).</summary>
    private string LogDirectory(string queue) =>
        Path.Combine(_directory.Path, "queues", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"1:/{queue}")).AsSpan(0, 16)));

    /// <summary>Five messages rejected from "src" towards "dlq", whose log cannot be created (a file is in its way).</summary>
    private void RejectIntoABrokenTarget(string strategy)
    {
        Restart();
        Quorum("dlq");
        File.WriteAllText(LogDirectory("dlq"), "in the way");
        var source = Quorum("src", ("x-dead-letter-strategy", Encoding.UTF8.GetBytes(strategy)), ("x-overflow", "reject-publish"u8.ToArray()),
            ("x-dead-letter-exchange", ""u8.ToArray()), ("x-dead-letter-routing-key", "dlq"u8.ToArray()));
        for (var i = 0; i < 5; i++)
        {
            var message = TestMessages.New(_storage!.Engine.Messages, $"m{i}", 100, persistent: true);
            Assert.Equal(EnqueueResult.Enqueued, source.Enqueue(message, new FlushBatch()));
            message.Release();
        }

        var taken = new List<QueueEntry>();
        while (source.TryGet(noAck: false, out var entry, out _, new FlushBatch()))
        {
            taken.Add(entry);
        }

        source.Settle(taken.ToArray(), SettleAction.Discard, new FlushBatch());
        _storage!.Dispose();
        _storage = null;
        File.Delete(LogDirectory("dlq"));
        Restart();
    }

    [Fact]
    public void At_least_once_keeps_messages_whose_dead_lettered_copies_did_not_reach_the_disk()
    {
        RejectIntoABrokenTarget("at-least-once");

        Assert.True(VHost.TryGetQueue("src", out var source));
        Assert.Equal(5, source.MessageCount);
    }

    [Fact]
    public void At_most_once_loses_them()
    {
        RejectIntoABrokenTarget("at-most-once");

        Assert.True(VHost.TryGetQueue("src", out var source));
        Assert.Equal(0, source.MessageCount);
    }

    [Fact]
    public void At_least_once_settles_them_once_the_copies_are_stored()
    {
        Restart();
        var target = Quorum("dlq");
        var source = Quorum("src", ("x-dead-letter-strategy", "at-least-once"u8.ToArray()), ("x-overflow", "reject-publish"u8.ToArray()),
            ("x-dead-letter-exchange", ""u8.ToArray()), ("x-dead-letter-routing-key", "dlq"u8.ToArray()), ("x-message-ttl", 0));
        var message = TestMessages.New(_storage!.Engine.Messages, "m", 100, persistent: false);
        source.Enqueue(message, new FlushBatch());
        message.Release();
        Assert.Equal(1, target.MessageCount);

        Restart();

        Assert.True(VHost.TryGetQueue("src", out var recoveredSource));
        Assert.True(VHost.TryGetQueue("dlq", out var recoveredTarget));
        Assert.Equal((0L, 1L), (recoveredSource.MessageCount, recoveredTarget.MessageCount));
    }
}
