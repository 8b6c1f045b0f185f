using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Messages;

/// <summary>
/// A durable queue's log across restarts: each "run" is a new store (with a higher incarnation) on the
/// same directory that recovers the queue's log, as the broker does at start-up.
/// </summary>
public sealed class RecoveryTests : IDisposable
{
    private const int SegmentSize = 4096;
    private const int BodySize = 100;

    private readonly TempDirectory _directory = new();
    private MessageStore? _store;
    private uint _incarnation;

    private CapturingLogger Logger { get; set; } = new();

    private MessageStore Store => _store ?? throw new InvalidOperationException("no run under way");

    public void Dispose()
    {
        _store?.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void PersistentUnsettledRecords_ComeBackInOrder()
    {
        var log = Run();
        for (var i = 0; i < 30; i++)
        {
            log.AddNew(Store.Pool, i, Id(i), BodySize, persistent: true, toTail: i >= 10);
        }

        log = Run();

        Assert.Equal(30, log.RecoveredCount);
        Assert.Equal(30, log.NextSequence);
        Assert.Equal(new LogPosition(1, RecordFormat.SegmentHeaderSize), log.Start);
        var entries = log.ReadAll();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.All(entries, e => Assert.False(e.Redelivered));
        Assert.All(entries, e => Assert.True(e.Message.IsPersistent));
        foreach (var entry in entries)
        {
            TestMessages.AssertContent(entry.Message, Id((int)entry.Sequence), BodySize);
        }

        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void Expiries_ComeBackWithTheirRecords()
    {
        var log = Run();
        for (var i = 0; i < 5; i++)
        {
            var message = TestMessages.New(Store.Pool, Id(i), BodySize, persistent: true);
            log.Add(i, message, persistent: true, toTail: i % 2 == 0, expiresAt: i == 2 ? QueueEntry.NoExpiry : 1_700_000_000_000 + i);
            message.Release();
        }

        log = Run();

        var entries = log.ReadAll();
        Assert.Equal([1_700_000_000_000, 1_700_000_000_001, QueueEntry.NoExpiry, 1_700_000_000_003, 1_700_000_000_004], entries.Select(e => e.ExpiresAt));
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void RecordsLargerThanTheReadBuffer_AreRecovered()
    {
        var sizes = new[] { 10, 1024 * 1024, 20, 600 * 1024, 30, 300 * 1024 };
        var log = Run();
        for (var i = 0; i < sizes.Length; i++)
        {
            log.AddNew(Store.Pool, i, Id(i), sizes[i], persistent: true);
        }

        var directory = log.Directory;
        Stop();
        var last = SegmentPath(directory, SegmentNumbers(directory).Max());
        Truncate(last, new FileInfo(last).Length - 1000);

        log = Run();

        Assert.Equal(sizes.Length - 1, log.RecoveredCount);
        var entries = log.ReadAll();
        Assert.Equal(sizes.Length - 1, entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            TestMessages.AssertContent(entries[i].Message, Id(i), sizes[i]);
        }

        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void SettledRecords_DoNotComeBack()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 30);
        for (var i = 0; i < 30; i += 3)
        {
            log.Settle(locations[i], i, persistent: true);
        }

        log = Run();

        Assert.Equal(20, log.RecoveredCount);
        AssertRecovered(log, Enumerable.Range(0, 30).Where(i => i % 3 != 0));
    }

    [Fact]
    public void TransientRecordsOfAnEarlierIncarnation_DoNotComeBack()
    {
        var log = Run();
        for (var i = 0; i < 30; i++)
        {
            log.AddNew(Store.Pool, i, Id(i), BodySize, persistent: i % 2 == 0);
        }

        log = Run();

        Assert.Equal(15, log.RecoveredCount);
        AssertRecovered(log, Enumerable.Range(0, 30).Where(i => i % 2 == 0));
    }

    [Fact]
    public void SegmentsWithOnlyTransientRecords_AreDeleted()
    {
        var log = Run();
        var transientSegments = new HashSet<uint>();
        for (var i = 0; i < 60; i++)
        {
            transientSegments.Add(LogOps.SegmentOf(log.AddNew(Store.Pool, i, Id(i), BodySize, persistent: false)));
        }

        var persistentSegments = AppendPersistent(log, 60, 3).Select(LogOps.SegmentOf).ToHashSet();
        var directory = log.Directory;
        Stop();
        Assert.True(transientSegments.Count >= 3);
        Assert.True(SegmentNumbers(directory).Count >= transientSegments.Count);

        log = Run();

        Assert.Equal(3, log.RecoveredCount);
        Assert.Equal(persistentSegments.Order(), SegmentNumbers(directory));
        Assert.Equal(63, log.NextSequence);
        AssertRecovered(log, Enumerable.Range(60, 3));
    }

    [Fact]
    public void ActiveSegmentWithEverythingSettled_IsDeletedAtRecovery()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 3);
        for (var i = 0; i < 3; i++)
        {
            log.Settle(locations[i], i, persistent: true);
        }

        var directory = log.Directory;
        Stop();
        Assert.Equal([1u], SegmentNumbers(directory));

        log = Run();

        Assert.Equal(0, log.RecoveredCount);
        Assert.Empty(SegmentNumbers(directory));
        Assert.Empty(Directory.GetFiles(directory, "*.ack"));
        Assert.Equal(3, log.NextSequence);
        Assert.Empty(log.ReadAll());
    }

    [Fact]
    public void DropTailRanges_AreHonoured()
    {
        var log = Run();
        var cursor = log.End;
        AppendPersistent(log, 0, 30);
        var head = new List<QueueEntry>();
        log.Read(ref cursor, head, 5, long.MaxValue);
        log.DropTail(cursor, 5, 29);
        TestMessages.ReleaseAll(head);

        // Appends after the purge are beyond the dropped range.
        AppendPersistent(log, 30, 5);

        log = Run();

        Assert.Equal(10, log.RecoveredCount);
        AssertRecovered(log, Enumerable.Range(0, 5).Concat(Enumerable.Range(30, 5)));
    }

    [Fact]
    public void DeliveredMarkers_MakeRecordsComeBackRedelivered()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 10);
        foreach (var i in new[] { 2, 5, 7 })
        {
            log.MarkDelivered(locations[i], i);
        }

        log = Run();
        var entries = log.ReadAll();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i is 2 or 5 or 7), entries.Select(e => e.Redelivered));
        TestMessages.ReleaseAll(entries);

        // The markers stay until the records are settled.
        log = Run();
        entries = log.ReadAll();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i is 2 or 5 or 7), entries.Select(e => e.Redelivered));
        TestMessages.ReleaseAll(entries);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(30)]
    [InlineData(-4)]
    [InlineData(-1)]
    public void TornTail_IsCutAndReported(int cut)
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 10);
        var directory = log.Directory;
        Stop();
        var segment = SegmentPath(directory, 1);
        var lastOffset = RecordLocation.Unpack(locations[9]).Offset;
        var lastSize = new FileInfo(segment).Length - lastOffset;

        // A positive cut removes that many bytes; a negative one leaves that many bytes of the last record.
        var keep = cut > 0 ? lastSize - cut : -cut;
        Truncate(segment, lastOffset + keep);

        log = Run();

        Assert.Equal(9, log.RecoveredCount);
        Assert.Equal(9, log.NextSequence);
        Assert.Equal(lastOffset, new FileInfo(segment).Length);
        Assert.Contains(Logger.Lines, line => line.Contains("cut", StringComparison.Ordinal) && line.Contains(segment, StringComparison.Ordinal));
        AssertRecovered(log, Enumerable.Range(0, 9));

        // The log goes on after the cut.
        AppendPersistent(log, 9, 2);
        log = Run();
        AssertRecovered(log, Enumerable.Range(0, 11));
    }

    [Fact]
    public void FlippedByteInTheLastRecord_IsCut()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 10);
        var directory = log.Directory;
        Stop();
        var segment = SegmentPath(directory, 1);
        var lastOffset = RecordLocation.Unpack(locations[9]).Offset;
        var middle = lastOffset + ((new FileInfo(segment).Length - lastOffset) / 2);
        FlipByte(segment, middle);

        log = Run();

        Assert.Equal(9, log.RecoveredCount);
        Assert.Equal(lastOffset, new FileInfo(segment).Length);
        Assert.Contains(Logger.Lines, line => line.Contains("cut", StringComparison.Ordinal));
        AssertRecovered(log, Enumerable.Range(0, 9));
    }

    [Fact]
    public void FlippedByteInAMiddleRecord_CutsTheSegmentThere()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 10);
        var directory = log.Directory;
        Stop();
        var segment = SegmentPath(directory, 1);
        var offset = RecordLocation.Unpack(locations[5]).Offset;
        FlipByte(segment, offset + RecordFormat.RecordHeaderSize + 3);

        log = Run();

        Assert.Equal(5, log.RecoveredCount);
        Assert.Equal(offset, new FileInfo(segment).Length);
        AssertRecovered(log, Enumerable.Range(0, 5));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(24)]
    [InlineData(30)]
    public void GarbageAppendedToAnAckFile_IsCut(int garbage)
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 10);
        log.Settle(locations[2], 2, persistent: true);
        log.Settle(locations[3], 3, persistent: true);
        log.MarkDelivered(locations[5], 5);
        var directory = log.Directory;
        Stop();
        var ack = AckPath(directory, 1);
        Assert.Equal(3 * RecordFormat.AckRecordSize, new FileInfo(ack).Length);
        using (var stream = new FileStream(ack, FileMode.Append))
        {
            stream.Write(Enumerable.Range(0, garbage).Select(i => (byte)(0xA5 ^ i)).ToArray());
        }

        log = Run();

        Assert.Equal(3 * RecordFormat.AckRecordSize, new FileInfo(ack).Length);
        Assert.Contains(Logger.Lines, line => line.Contains("ack", StringComparison.Ordinal) && line.Contains("cut", StringComparison.Ordinal));
        var entries = log.ReadAll();
        Assert.Equal(new long[] { 0, 1, 4, 5, 6, 7, 8, 9 }, entries.Select(e => e.Sequence));
        Assert.Equal(entries.Select(e => e.Sequence == 5), entries.Select(e => e.Redelivered));

        // Later ack records line up after the cut.
        var four = entries.Single(e => e.Sequence == 4);
        log.Settle(four.Location, 4, persistent: true);
        TestMessages.ReleaseAll(entries);
        log = Run();
        AssertRecovered(log, [0, 1, 5, 6, 7, 8, 9]);
    }

    [Fact]
    public void NextSequence_IsAboveEveryRecoveredSequence()
    {
        var log = Run();
        var locations = new Dictionary<int, long>();
        for (var i = 100; i < 120; i++)
        {
            locations[i] = log.AddNew(Store.Pool, i, Id(i), BodySize, persistent: true);
        }

        log.AddNew(Store.Pool, 120, Id(120), BodySize, persistent: false);
        for (var i = 115; i < 120; i++)
        {
            log.Settle(locations[i], i, persistent: true);
        }

        log = Run();

        Assert.Equal(15, log.RecoveredCount);
        Assert.Equal(121, log.NextSequence);
        AssertRecovered(log, Enumerable.Range(100, 15));
    }

    [Fact]
    public void RecoveringTwiceInARow_GivesTheSameResult()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 40);
        log.AddNew(Store.Pool, 40, Id(40), BodySize, persistent: false);
        log.Settle(locations[3], 3, persistent: true);
        log.MarkDelivered(locations[7], 7);
        var directory = log.Directory;
        Stop();
        var last = SegmentNumbers(directory).Max();
        var lastSegment = SegmentPath(directory, last);
        Truncate(lastSegment, new FileInfo(lastSegment).Length - 3);

        log = Run();
        var first = Snapshot(log);
        Stop();
        var filesAfterFirst = Files(directory);

        log = Run();
        var second = Snapshot(log);

        Assert.Equal(first, second);
        Assert.Equal(filesAfterFirst, Files(directory));

        // 40 persistent records, one settled; the torn one was the transient record at the end.
        Assert.Equal(39, log.RecoveredCount);
    }

    [Fact]
    public void SegmentWithABadHeader_IsDropped()
    {
        var log = Run();
        var locations = AppendPersistent(log, 0, 40);
        var directory = log.Directory;
        Stop();
        var inFirst = locations.Count(l => LogOps.SegmentOf(l) == 1);
        FlipByte(SegmentPath(directory, 1), 2);

        log = Run();

        Assert.False(File.Exists(SegmentPath(directory, 1)));
        Assert.Contains(Logger.Lines, line => line.Contains("header", StringComparison.Ordinal));
        Assert.Equal(40 - inFirst, log.RecoveredCount);
        AssertRecovered(log, Enumerable.Range(inFirst, 40 - inFirst));
    }

    [Fact]
    public void NewRecordsAfterRecovery_GoToANewSegmentAndFollowTheRecoveredOnes()
    {
        var log = Run();
        AppendPersistent(log, 0, 10);

        log = Run();
        var next = (int)log.NextSequence;
        var locations = AppendPersistent(log, next, 5);
        Assert.All(locations, l => Assert.Equal(2u, LogOps.SegmentOf(l)));
        AssertRecovered(log, Enumerable.Range(0, 15));

        log = Run();
        Assert.Equal(15, log.RecoveredCount);
        AssertRecovered(log, Enumerable.Range(0, 15));
    }

    [Fact]
    public void RecoveredSegments_AreDeletedOnceEveryRecordIsSettled()
    {
        var log = Run();
        AppendPersistent(log, 0, 80);
        var directory = log.Directory;

        log = Run();
        Assert.True(SegmentNumbers(directory).Count >= 3);
        var gate = WriterGate.Install(Store);
        var entries = log.ReadAll();
        foreach (var entry in entries)
        {
            log.Settle(entry.Location, entry.Sequence, persistent: true);
        }

        gate.Drain();
        TestMessages.ReleaseAll(entries);

        Assert.Empty(SegmentNumbers(directory));
        log = Run();
        Assert.Equal(0, log.RecoveredCount);
    }

    [Fact]
    public void Recover_DeletesTheDirectoriesOfQueuesNoLongerDefined()
    {
        var log = Run();
        AppendPersistent(log, 0, 3);
        var gone = (QueueLog)Store.OpenLog("/", "gone", durable: true);
        gone.AddNew(Store.Pool, 0, "x", BodySize, persistent: true);
        Stop();
        Assert.True(Directory.Exists(gone.Directory));

        log = Run();

        Assert.False(Directory.Exists(gone.Directory));
        Assert.Equal(3, log.RecoveredCount);
    }

    [Fact]
    public void DurableLogOpenedWithoutRecovery_StartsEmpty()
    {
        var log = Run();
        AppendPersistent(log, 0, 3);
        var directory = log.Directory;
        Stop();

        // Not listed for recovery: a new queue by that name must not see its namesake's records.
        log = Run(recover: false);

        Assert.Equal(0, log.RecoveredCount);
        Assert.False(Directory.Exists(directory));
        Assert.Empty(log.ReadAll());
    }

    private static string Id(int i) => $"m{i}";

    private static string SegmentPath(string directory, uint number) => Path.Combine(directory, $"{number:D10}.seg");

    private static string AckPath(string directory, uint number) => Path.Combine(directory, $"{number:D10}.ack");

    private static List<uint> SegmentNumbers(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory, "*.seg").Select(f => uint.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Order()]
            : [];

    private static List<(string Name, long Length)> Files(string directory) =>
        [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), new FileInfo(f).Length))];

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x5A));
    }

    private static void AssertRecovered(QueueLog log, IEnumerable<int> sequences)
    {
        var entries = log.ReadAll();
        Assert.Equal(sequences.Select(i => (long)i), entries.Select(e => e.Sequence));
        foreach (var entry in entries)
        {
            TestMessages.AssertContent(entry.Message, Id((int)entry.Sequence), BodySize);
        }

        TestMessages.ReleaseAll(entries);
    }

    private static (long Count, long Next, LogPosition Start, string Entries) Snapshot(QueueLog log)
    {
        var entries = log.ReadAll();
        var text = string.Join(",", entries.Select(e => $"{e.Sequence}:{TestMessages.Id(e.Message)}:{e.Redelivered}:{e.Location}"));
        TestMessages.ReleaseAll(entries);
        return (log.RecoveredCount, log.NextSequence, log.Start, text);
    }

    /// <summary>Ends the current run (its store writes and syncs everything) and starts the next, recovering queue "q".</summary>
    private QueueLog Run(bool recover = true)
    {
        Stop();
        Logger = new CapturingLogger();
        _store = new MessageStore(_directory.Path, new MessagePool(), ++_incarnation, Logger, SegmentSize);
        if (recover)
        {
            _store.Recover([("/", "q")]);
        }

        return (QueueLog)_store.OpenLog("/", "q", durable: true);
    }

    private void Stop()
    {
        _store?.Dispose();
        _store = null;
    }

    private List<long> AppendPersistent(QueueLog log, int first, int count)
    {
        var locations = new List<long>();
        for (var i = first; i < first + count; i++)
        {
            locations.Add(log.AddNew(Store.Pool, i, Id(i), BodySize, persistent: true));
        }

        return locations;
    }
}
