using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests.Messages;

/// <summary>
/// What any <see cref="IQueueLog"/> must do for a queue's tail, run against the in-memory log and the
/// disk log (durable and transient, with small segments so that several are involved).
/// </summary>
public abstract class QueueLogContractTests : IDisposable
{
    private const int Count = 100;

    protected abstract IQueueLog Log { get; }

    protected abstract MessagePool Pool { get; }

    /// <summary>Whether the log backs a durable queue (persistent messages are appended as persistent records).</summary>
    protected abstract bool Durable { get; }

    public virtual void Dispose()
    {
    }

    [Fact]
    public void NewLog_IsEmptyAndStartsWhereItEnds()
    {
        Assert.Equal(0, Log.RecoveredCount);
        Assert.Equal(0, Log.NextSequence);
        Assert.Equal(Log.Start, Log.End);

        var cursor = Log.Start;
        var into = new List<QueueEntry>();
        Assert.Equal(0, Log.Read(ref cursor, into, 10, long.MaxValue));
        Assert.Empty(into);
    }

    [Fact]
    public void Appended_AreReadBackInOrderWithTheSameContent()
    {
        var cursor = Log.End;
        AppendMany(0, Count);

        var entries = Log.ReadAll(ref cursor);

        Assert.Equal(Count, entries.Count);
        for (var i = 0; i < Count; i++)
        {
            var entry = entries[i];
            Assert.Equal(i, entry.Sequence);
            Assert.False(entry.Redelivered);
            Assert.NotEqual(RecordLocation.None, entry.Location);
            TestMessages.AssertContent(entry.Message, Id(i), BodySize(i));
        }

        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void Read_KeepsEachMessagesPersistentFlag()
    {
        var cursor = Log.End;
        AppendMany(0, 12);

        var entries = Log.ReadAll(ref cursor);

        Assert.Equal(Enumerable.Range(0, 12).Select(IsPersistent), entries.Select(e => e.Message.IsPersistent));
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void Read_ReturnsEachEntrysExpiry()
    {
        var cursor = Log.End;
        var expiries = new[] { QueueEntry.NoExpiry, 0, 1_700_000_000_123, long.MaxValue - 1 };
        for (var i = 0; i < expiries.Length; i++)
        {
            var message = TestMessages.New(Pool, Id(i), 10, persistent: true);
            Log.Add(i, message, Durable, expiresAt: expiries[i]);
            message.Release();
        }

        var entries = Log.ReadAll(ref cursor);

        Assert.Equal(expiries, entries.Select(e => e.ExpiresAt));
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void Read_ReturnsAtMostMaxCountPerBatch()
    {
        var cursor = Log.End;
        AppendMany(0, Count);

        var all = new List<QueueEntry>();
        var batches = 0;
        while (true)
        {
            var batch = new List<QueueEntry>();
            var read = Log.Read(ref cursor, batch, 7, long.MaxValue);
            Assert.Equal(batch.Count, read);
            if (read == 0)
            {
                break;
            }

            Assert.Equal(Math.Min(7, Count - all.Count), read);
            all.AddRange(batch);
            batches++;
        }

        Assert.Equal((Count + 6) / 7, batches);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), all.Select(e => e.Sequence));
        TestMessages.ReleaseAll(all);
    }

    [Fact]
    public void Read_StopsOnceMaxBytesAreReached()
    {
        var cursor = Log.End;
        AppendMany(0, Count);

        var all = new List<QueueEntry>();
        while (true)
        {
            var batch = new List<QueueEntry>();
            const long maxBytes = 2000;
            if (Log.Read(ref cursor, batch, int.MaxValue, maxBytes) == 0)
            {
                break;
            }

            // "About" max bytes: never more than one message beyond the limit.
            var withoutLast = batch.Take(batch.Count - 1).Sum(e => (long)e.Message.Size);
            Assert.True(withoutLast < maxBytes, $"a batch of {batch.Count} messages read {withoutLast} bytes before its last");
            all.AddRange(batch);
        }

        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), all.Select(e => e.Sequence));
        TestMessages.ReleaseAll(all);
    }

    [Fact]
    public void Read_WithOneByteReadsOneMessageAtATime()
    {
        var cursor = Log.End;
        AppendMany(0, 5);

        for (var i = 0; i < 5; i++)
        {
            var batch = new List<QueueEntry>();
            Assert.Equal(1, Log.Read(ref cursor, batch, int.MaxValue, 1));
            Assert.Equal(i, batch[0].Sequence);
            batch[0].Message.Release();
        }

        Assert.Equal(0, Log.Read(ref cursor, [], int.MaxValue, 1));
    }

    [Fact]
    public void Cursor_TakenAtEndReadsOnlyWhatIsAppendedAfter()
    {
        AppendMany(0, 10);
        var middle = Log.End;
        AppendMany(10, 10);

        var second = Log.ReadAll(ref middle);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), second.Select(e => e.Sequence));

        var start = Log.Start;
        var first = new List<QueueEntry>();
        Assert.Equal(10, Log.Read(ref start, first, 10, long.MaxValue));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), first.Select(e => e.Sequence));
        TestMessages.ReleaseAll(first.Concat(second));
    }

    [Fact]
    public void Cursor_AtTheEndPicksUpLaterAppends()
    {
        var cursor = Log.End;
        AppendMany(0, 30);
        var read = Log.ReadAll(ref cursor);
        Assert.Equal(30, read.Count);
        Assert.Equal(0, Log.Read(ref cursor, [], int.MaxValue, long.MaxValue));

        // Appends continue where the cursor waits, across segment boundaries too.
        AppendMany(30, 40);
        var later = Log.ReadAll(ref cursor);

        Assert.Equal(Enumerable.Range(30, 40).Select(i => (long)i), later.Select(e => e.Sequence));
        TestMessages.ReleaseAll(read.Concat(later));
    }

    [Fact]
    public void Locations_AreDistinctAndInAppendOrder()
    {
        var cursor = Log.End;
        var appended = new List<long>();
        for (var i = 0; i < Count; i++)
        {
            appended.Add(Log.AddNew(Pool, i, Id(i), BodySize(i), IsPersistent(i), durable: Durable));
        }

        var entries = Log.ReadAll(ref cursor);

        Assert.Equal(appended, entries.Select(e => e.Location));
        Assert.Equal(appended.OrderBy(l => RecordLocation.Unpack(l)), appended);
        Assert.Equal(Count, appended.Distinct().Count());
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void DropTail_AppendsAfterTheDropAreReadFromTheNewEnd()
    {
        var cursor = Log.End;
        AppendMany(0, 30);
        var head = new List<QueueEntry>();
        Log.Read(ref cursor, head, 5, long.MaxValue);

        Log.DropTail(cursor, 5, 29);
        var newTail = Log.End;
        AppendMany(30, 10);
        var after = Log.ReadAll(ref newTail);

        Assert.Equal(Enumerable.Range(30, 10).Select(i => (long)i), after.Select(e => e.Sequence));
        TestMessages.ReleaseAll(head.Concat(after));
    }

    [Fact]
    public void DropTail_LeavesNothingToReadFromTheCursor()
    {
        var cursor = Log.End;
        AppendMany(0, 30);
        var head = new List<QueueEntry>();
        Log.Read(ref cursor, head, 5, long.MaxValue);

        Log.DropTail(cursor, 5, 29);
        var dropped = Log.ReadAll(ref cursor);

        Assert.Empty(dropped.Select(e => e.Sequence));
        TestMessages.ReleaseAll(head);
    }

    [Fact]
    public void Delete_LeavesNothingToRead()
    {
        var cursor = Log.Start;
        AppendMany(0, 30);

        Log.Delete();

        Assert.Equal(0, Log.Read(ref cursor, [], int.MaxValue, long.MaxValue));
    }

    [Fact]
    public void Read_HandsOverOneReferencePerEntry()
    {
        var cursor = Log.End;
        var message = TestMessages.New(Pool, "shared", 100, persistent: false);
        Log.Add(0, message, persistent: false);
        Log.Add(1, message, persistent: false);
        message.Release();

        var entries = Log.ReadAll(ref cursor);

        Assert.Equal(2, entries.Count);
        foreach (var entry in entries)
        {
            TestMessages.AssertContent(entry.Message, "shared", 100);
        }

        // Each reader releases what it was given; the entries must stay readable until then.
        entries[0].Message.Release();
        TestMessages.AssertContent(entries[1].Message, "shared", 100);
        entries[1].Message.Release();
    }

    protected static string Id(int i) => $"m{i}";

    protected static int BodySize(int i) => (i * 37) % 600;

    protected static bool IsPersistent(int i) => i % 3 != 0;

    private void AppendMany(int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            Log.AddNew(Pool, i, Id(i), BodySize(i), IsPersistent(i), durable: Durable);
        }
    }
}

public sealed class InMemoryQueueLogContractTests : QueueLogContractTests
{
    private readonly InMemoryQueueLog _log = new();

    protected override IQueueLog Log => _log;

    protected override MessagePool Pool { get; } = new();

    protected override bool Durable => false;
}

public sealed class DurableDiskQueueLogContractTests : DiskQueueLogContractTests
{
    public DurableDiskQueueLogContractTests()
        : base(durable: true)
    {
    }
}

public sealed class TransientDiskQueueLogContractTests : DiskQueueLogContractTests
{
    public TransientDiskQueueLogContractTests()
        : base(durable: false)
    {
    }
}

public abstract class DiskQueueLogContractTests : QueueLogContractTests
{
    private readonly TempDirectory _directory = new();
    private readonly MessageStore _store;

    protected DiskQueueLogContractTests(bool durable)
    {
        _store = new MessageStore(_directory.Path, new MessagePool(), incarnation: 1, NullLogger.Instance, segmentSize: 4096);
        Log = _store.OpenLog("/", "contract", durable);
        Durable = durable;
    }

    protected override IQueueLog Log { get; }

    protected override MessagePool Pool => _store.Pool;

    protected override bool Durable { get; }

    public override void Dispose()
    {
        _store.Dispose();
        _directory.Dispose();
    }
}
