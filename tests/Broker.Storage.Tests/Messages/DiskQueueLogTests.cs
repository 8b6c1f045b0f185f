using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Messages;

/// <summary>The disk log beyond the contract: pending chunks, segments, deletion, group commit and persist tracking.</summary>
public sealed class DiskQueueLogTests : IDisposable
{
    private const int SegmentSize = 4096;
    private const int BodySize = 500;

    private readonly TempDirectory _directory = new();
    private readonly CapturingLogger _logger = new();
    private readonly MessageStore _store;
    private readonly WriterGate _gate;

    public DiskQueueLogTests()
    {
        _store = new MessageStore(_directory.Path, new MessagePool(), incarnation: 1, _logger, SegmentSize);
        _gate = WriterGate.Install(_store);
    }

    private MessagePool Pool => _store.Pool;

    public void Dispose()
    {
        _gate.Dispose();
        _store.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void PendingRecords_AreReadBeforeTheWriterWritesThemAndFromTheFilesAfter()
    {
        var log = Open("q");
        _gate.Close();
        Append(log, 0, 20, persistent: true);

        Assert.False(Directory.Exists(log.Directory), "the writer is parked: nothing may be on disk yet");
        Assert.True(_store.PendingBytes > 0);
        AssertReadsInOrder(log, 0, 20);
        Assert.False(Directory.Exists(log.Directory));

        _gate.Open();
        _gate.Drain();

        Assert.NotEmpty(SegmentFiles(log));
        Assert.Equal(0, _store.PendingBytes);
        AssertReadsInOrder(log, 0, 20);
    }

    [Fact]
    public void Read_MixesWrittenAndPendingRecords()
    {
        var log = Open("q");
        Append(log, 0, 10, persistent: false);
        _gate.Drain();
        _gate.Close();
        Append(log, 10, 10, persistent: false);

        AssertReadsInOrder(log, 0, 20);
    }

    [Fact]
    public void PendingBytes_CountEveryRecordAndHeaderUntilWritten()
    {
        var log = Open("q");
        _gate.Close();
        long expected = 0;
        var segments = new HashSet<uint>();
        for (var i = 0; i < 20; i++)
        {
            var message = TestMessages.New(Pool, Id(i), BodySize, persistent: true);
            expected += RecordFormat.RecordSize(message);
            segments.Add(LogOps.SegmentOf(log.Add(i, message, persistent: true)));
            message.Release();
        }

        expected += segments.Count * RecordFormat.SegmentHeaderSize;

        Assert.Equal(expected, _store.PendingBytes);
        _gate.Open();
        _gate.Drain();
        Assert.Equal(0, _store.PendingBytes);
    }

    [Fact]
    public void Segments_RollOverAtTheSegmentSize()
    {
        var log = Open("q");
        var locations = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            locations.Add(log.AddNew(Pool, i, Id(i), BodySize, persistent: true));
        }

        _gate.Drain();

        var files = SegmentFiles(log);
        Assert.True(files.Count >= 5, $"40 records of {BodySize} bytes in segments of {SegmentSize} bytes took only {files.Count} segments");
        Assert.Equal(Enumerable.Range(1, files.Count).Select(n => $"{n:D10}.seg"), files.Select(Path.GetFileName));
        for (var n = 1; n <= files.Count; n++)
        {
            var bytes = File.ReadAllBytes(files[n - 1]);
            Assert.True(bytes.Length <= SegmentSize, $"segment {n} holds {bytes.Length} bytes");
            Assert.True(RecordFormat.IsSegmentHeader(bytes, (uint)n));
        }

        // Each location names the segment file and offset of its record.
        for (var i = 0; i < locations.Count; i++)
        {
            var position = RecordLocation.Unpack(locations[i]);
            var bytes = File.ReadAllBytes(files[(int)position.Segment - 1]).AsSpan((int)position.Offset);
            var record = bytes[..RecordFormat.ReadRecordSize(bytes, int.MaxValue)];
            Assert.True(RecordFormat.IsValidRecord(record));
            Assert.Equal(i, RecordFormat.Sequence(record));
        }

        AssertReadsInOrder(log, 0, 40);
    }

    [Fact]
    public void ARecordLargerThanASegment_GetsASegmentOfItsOwn()
    {
        var log = Open("q");
        var small = log.AddNew(Pool, 0, "small-0", 10, persistent: true);
        var large = log.AddNew(Pool, 1, "large", 3 * SegmentSize, persistent: true);
        var after = log.AddNew(Pool, 2, "small-2", 10, persistent: true);

        Assert.Equal([1u, 2u, 3u], new[] { small, large, after }.Select(LogOps.SegmentOf));
        var entries = log.ReadAll();
        Assert.Equal(["small-0", "large", "small-2"], TestMessages.Ids(entries));
        TestMessages.AssertContent(entries[1].Message, "large", 3 * SegmentSize);
        TestMessages.ReleaseAll(entries);

        _gate.Drain();
        var files = SegmentFiles(log);
        Assert.Equal(3, files.Count);
        Assert.True(new FileInfo(files[1]).Length > 3 * SegmentSize);
        Assert.True(new FileInfo(files[2]).Length < SegmentSize);
        var largeEntries = log.ReadAll();
        TestMessages.AssertContent(largeEntries[1].Message, "large", 3 * SegmentSize);
        TestMessages.ReleaseAll(largeEntries);
    }

    [Fact]
    public void LargeRecords_AreReadFromPendingChunksAndFromFiles()
    {
        const int large = 1024 * 1024;
        var log = Open("q");
        _gate.Close();
        log.AddNew(Pool, 0, "a", 100, persistent: true);
        log.AddNew(Pool, 1, "b", large, persistent: true);
        log.AddNew(Pool, 2, "c", large + 17, persistent: true);
        log.AddNew(Pool, 3, "d", 100, persistent: true);

        AssertLarge(log.ReadAll());
        _gate.Open();
        _gate.Drain();
        AssertLarge(log.ReadAll());

        static void AssertLarge(List<QueueEntry> entries)
        {
            Assert.Equal(["a", "b", "c", "d"], TestMessages.Ids(entries));
            TestMessages.AssertContent(entries[1].Message, "b", large);
            TestMessages.AssertContent(entries[2].Message, "c", large + 17);
            TestMessages.ReleaseAll(entries);
        }
    }

    [Fact]
    public void SettlingEveryRecordOfASegment_DeletesItsFilesOnceTheWriterPasses()
    {
        var log = Open("q");
        Append(log, 0, 30, persistent: true);
        var entries = log.ReadAll();
        var bySegment = entries.GroupBy(e => LogOps.SegmentOf(e.Location)).ToDictionary(g => g.Key, g => g.ToList());
        Assert.True(bySegment.Count >= 3);
        foreach (var entry in bySegment[1])
        {
            log.MarkDelivered(entry.Location, entry.Sequence);
        }

        _gate.Drain();
        Assert.True(File.Exists(SegmentPath(log, 1, "ack")), "delivered markers go to the segment's ack file");

        foreach (var entry in bySegment[1])
        {
            log.Settle(entry.Location, entry.Sequence, persistent: true);
        }

        _gate.Drain();
        Assert.False(File.Exists(SegmentPath(log, 1, "seg")));
        Assert.False(File.Exists(SegmentPath(log, 1, "ack")));
        Assert.True(File.Exists(SegmentPath(log, 2, "seg")));

        // Every record settled: all but the active (last) segment go.
        foreach (var entry in entries.Where(e => LogOps.SegmentOf(e.Location) != 1))
        {
            log.Settle(entry.Location, entry.Sequence, persistent: true);
        }

        _gate.Drain();
        var last = bySegment.Keys.Max();
        Assert.Equal([$"{last:D10}.seg"], SegmentFiles(log).Select(Path.GetFileName));

        // Once a new segment takes over, the old active one (all settled) goes too.
        log.AddNew(Pool, 30, "next", SegmentSize, persistent: true);
        _gate.Drain();
        Assert.Equal([$"{last + 1:D10}.seg"], SegmentFiles(log).Select(Path.GetFileName));
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void SettlingSomeRecordsOfASegment_KeepsItsFiles()
    {
        var log = Open("q");
        Append(log, 0, 30, persistent: true);
        var entries = log.ReadAll();
        var first = entries.Where(e => LogOps.SegmentOf(e.Location) == 1).ToList();
        foreach (var entry in first.Skip(1))
        {
            log.Settle(entry.Location, entry.Sequence, persistent: true);
        }

        _gate.Drain();

        Assert.True(File.Exists(SegmentPath(log, 1, "seg")));
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void TransientLog_WritesNoAckRecords()
    {
        var log = Open("q", durable: false);
        Append(log, 0, 30, persistent: false);
        var entries = log.ReadAll();
        foreach (var entry in entries)
        {
            log.MarkDelivered(entry.Location, entry.Sequence);
        }

        foreach (var entry in entries.Take(3))
        {
            log.Settle(entry.Location, entry.Sequence, persistent: false);
        }

        _gate.Drain();

        Assert.NotEmpty(SegmentFiles(log));
        Assert.Empty(Directory.GetFiles(log.Directory, "*.ack"));
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void DropTail_WritesARangeAndDeletesSegmentsWithNothingLeft()
    {
        var log = Open("q");
        var cursor = log.End;
        Append(log, 0, 30, persistent: true);
        var head = new List<QueueEntry>();
        log.Read(ref cursor, head, 5, long.MaxValue);
        var lastSegment = log.End.Segment;

        log.DropTail(cursor, 5, 29);
        _gate.Drain();

        // Segment 1 still holds the five records read; the active one stays; the rest held only dropped records.
        Assert.Equal([$"{1:D10}.seg", $"{lastSegment:D10}.seg"], SegmentFiles(log).Select(Path.GetFileName));
        var acks = File.ReadAllBytes(SegmentPath(log, 1, "ack"));
        Assert.Equal(RecordFormat.AckRecordSize, acks.Length);
        Assert.True(RecordFormat.TryReadAck(acks, out var kind, out var firstSequence, out var lastSequence));
        Assert.Equal((AckKind.SettledRange, 5L, 29L), (kind, firstSequence, lastSequence));
        TestMessages.ReleaseAll(head);
    }

    [Fact]
    public void Delete_RemovesTheLogsDirectoryOnceTheWriterPasses()
    {
        var log = Open("q");
        Append(log, 0, 20, persistent: true);
        _gate.Drain();
        Assert.True(Directory.Exists(log.Directory));

        log.Delete();
        _gate.Drain();

        Assert.False(Directory.Exists(log.Directory));
        var late = TestMessages.New(Pool, "late", 1);
        Assert.Equal(RecordLocation.None, log.Add(99, late, persistent: true));
        late.Release();
    }

    [Fact]
    public void Delete_BeforeTheWriterWrote_WritesNothingAndFreesThePendingBytes()
    {
        var log = Open("q");
        _gate.Close();
        Append(log, 0, 20, persistent: false);
        log.Delete();
        _gate.Open();
        _gate.Drain();

        Assert.False(Directory.Exists(log.Directory));
        Assert.Equal(0, _store.PendingBytes);
    }

    [Fact]
    public void PersistentAppend_CompletesPersistTrackingOnlyAfterTheWriterSynced()
    {
        var log = Open("q");
        var message = TestMessages.New(Pool, "confirm-me", BodySize, persistent: true);
        var segment = SegmentPath(log, 1, "seg");
        var syncsBefore = _store.SyncCount;
        var listener = new RecordingPersistListener
        {
            Probe = () => File.Exists(segment)
                && new FileInfo(segment).Length == RecordFormat.SegmentHeaderSize + RecordFormat.RecordSize(message)
                && _store.SyncCount > syncsBefore,
        };
        _gate.Close();

        message.BeginPersistTracking(listener, 7);
        log.Add(0, message, persistent: true, toTail: false);
        Assert.False(message.EndPersistTracking(), "the durable copy is not on disk yet");
        Assert.Equal(2, TestMessages.References(message));
        Assert.Empty(listener.Persisted);

        _gate.Open();
        Wait.For(listener.FirstPersisted, "the persist notification");
        Wait.Until(() => listener.Batches >= 1, "the end of the persist batch");
        Wait.Until(() => TestMessages.References(message) == 1, "the log's reference to be released");
        _gate.Drain();

        Assert.Equal([(7UL, true)], listener.Persisted);
        Assert.Equal([true], listener.ProbeResults);
        message.Release();
    }

    [Fact]
    public void MessageInTwoDurableLogs_IsConfirmedOnceAfterBoth()
    {
        var first = Open("q1");
        var second = Open("q2");
        var message = TestMessages.New(Pool, "twice", BodySize, persistent: true);
        var listener = new RecordingPersistListener
        {
            Probe = () => File.Exists(SegmentPath(first, 1, "seg")) && File.Exists(SegmentPath(second, 1, "seg")),
        };
        _gate.Close();

        message.BeginPersistTracking(listener, 42);
        first.Add(0, message, persistent: true, toTail: false);
        second.Add(0, message, persistent: true, toTail: true);
        Assert.False(message.EndPersistTracking());
        Assert.Equal(3, TestMessages.References(message));
        Assert.Empty(listener.Persisted);

        _gate.Open();
        Wait.For(listener.FirstPersisted, "the persist notification");
        _gate.Drain();
        Wait.Until(() => TestMessages.References(message) == 1, "the logs' references to be released");

        Assert.Equal([(42UL, true)], listener.Persisted);
        Assert.Equal([true], listener.ProbeResults);
        message.Release();
    }

    [Fact]
    public void MessageSyncedBeforeRoutingEnded_NeedsNoNotification()
    {
        var first = Open("q1");
        var second = Open("q2");
        var message = TestMessages.New(Pool, "fast", BodySize, persistent: true);
        var listener = new RecordingPersistListener();

        message.BeginPersistTracking(listener, 5);
        first.Add(0, message, persistent: true);
        second.Add(0, message, persistent: true);
        _gate.Drain();

        Assert.True(message.EndPersistTracking(), "both copies are on disk: nothing is left to wait for");
        _gate.Drain();
        Assert.Empty(listener.Persisted);
        Assert.Equal(1, TestMessages.References(message));
        message.Release();
    }

    [Fact]
    public void TransientAppend_IsNotTracked()
    {
        var log = Open("q");
        var message = TestMessages.New(Pool, "transient", BodySize, persistent: false);
        var listener = new RecordingPersistListener();

        message.BeginPersistTracking(listener, 3);
        log.Add(0, message, persistent: false);

        Assert.True(message.EndPersistTracking());
        _gate.Drain();
        Assert.Empty(listener.Persisted);
        message.Release();
    }

    [Fact]
    public void FailedWrite_CompletesPersistTrackingAsAFailure()
    {
        var log = Open("broken");

        // A file where the queue's directory should go: creating the directory fails.
        File.WriteAllText(log.Directory, "in the way");
        var message = TestMessages.New(Pool, "doomed", BodySize, persistent: true);
        var listener = new RecordingPersistListener();

        message.BeginPersistTracking(listener, 11);
        log.Add(0, message, persistent: true);
        Assert.False(message.EndPersistTracking());
        Wait.For(listener.FirstPersisted, "the persist notification");

        Assert.Equal([(11UL, false)], listener.Persisted);
        Assert.Contains(_logger.Lines, line => line.Contains("storage failure", StringComparison.Ordinal));
        message.Release();
    }

    [Fact]
    public void ConcurrentReader_SeesEveryRecordOnceInOrderWhileTheWriterWrites()
    {
        const int count = 2000;
        var log = Open("q", durable: false);
        var cursor = log.End;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                log.AddNew(Pool, i, Id(i), i % 700, persistent: false);
            }
        });

        var entries = new List<QueueEntry>();
        Wait.Until(
            () =>
            {
                log.Read(ref cursor, entries, 50, 64 * 1024);
                return entries.Count >= count;
            },
            "the reader to see every record");
        Wait.For(writer, "the appends");

        Assert.Equal(count, entries.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, entries[i].Sequence);
            TestMessages.AssertContent(entries[i].Message, Id(i), i % 700);
        }

        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void QueueNames_MapToSeparateDirectoriesInsideTheStore()
    {
        var names = new[] { ("/", "q"), ("other", "q"), ("/", "../../escape"), ("/", "a/b\\c"), ("/", "ünïcødé ✓"), ("/", new string('x', 255)) };
        var directories = new List<string>();
        foreach (var (vhost, queue) in names)
        {
            var log = (QueueLog)_store.OpenLog(vhost, queue, durable: true);
            log.AddNew(Pool, 0, queue, 10, persistent: true);
            directories.Add(log.Directory);
        }

        _gate.Drain();

        var root = Path.Combine(_directory.Path, "queues") + Path.DirectorySeparatorChar;
        Assert.Equal(names.Length, directories.Distinct().Count());
        Assert.All(directories, d => Assert.StartsWith(root, Path.GetFullPath(d), StringComparison.Ordinal));
        Assert.All(directories, d => Assert.True(Directory.Exists(d)));
        Assert.Equal(names.Length, Directory.GetDirectories(root).Length);
    }

    [Fact]
    public void QueueNamesWithNewlines_DoNotShareADirectory()
    {
        var first = (QueueLog)_store.OpenLog("a\nb", "c", durable: true);
        var second = (QueueLog)_store.OpenLog("a", "b\nc", durable: true);

        Assert.NotEqual(first.Directory, second.Directory);
    }

    [Fact]
    public void TransientLogs_OfAnEarlierRunAreDeletedWhenTheStoreStarts()
    {
        var log = Open("paged", durable: false);
        Append(log, 0, 20, persistent: false);
        _gate.Drain();
        Assert.NotEmpty(SegmentFiles(log));

        using var next = new MessageStore(_directory.Path, new MessagePool(), incarnation: 2, _logger, SegmentSize);

        Assert.False(Directory.Exists(log.Directory));
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "transient")));
    }

    private static string Id(int i) => $"m{i}";

    private static string SegmentPath(QueueLog log, uint number, string extension) => Path.Combine(log.Directory, $"{number:D10}.{extension}");

    private static List<string> SegmentFiles(QueueLog log) =>
        Directory.Exists(log.Directory) ? [.. Directory.GetFiles(log.Directory, "*.seg").Order(StringComparer.Ordinal)] : [];

    private QueueLog Open(string name, bool durable = true) => (QueueLog)_store.OpenLog("/", name, durable);

    private void Append(QueueLog log, int first, int count, bool persistent)
    {
        for (var i = first; i < first + count; i++)
        {
            log.AddNew(Pool, i, Id(i), BodySize, persistent);
        }
    }

    private static void AssertReadsInOrder(QueueLog log, int first, int count)
    {
        var entries = log.ReadAll();
        Assert.Equal(Enumerable.Range(first, count).Select(i => (long)i), entries.Select(e => e.Sequence));
        foreach (var entry in entries)
        {
            TestMessages.AssertContent(entry.Message, Id((int)entry.Sequence), BodySize);
        }

        TestMessages.ReleaseAll(entries);
    }
}
