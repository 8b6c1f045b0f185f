using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Stores;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Messages;

/// <summary>
/// The segmented log as a stream's: readers do not consume, scans report offsets and times without
/// messages, retention drops whole segments, and a restart brings back every record with its offset
/// and time. Each "run" is a new store on the same directory, as at a broker's start.
/// </summary>
public sealed class StreamLogTests : IDisposable
{
    private const int StoreSegmentSize = 64 * 1024;
    private const long StreamSegmentSize = 2_000;
    private const int BodySize = 300;

    private readonly TempDirectory _directory = new();
    private MessageStore? _store;
    private WriterGate? _gate;
    private uint _incarnation;

    private MessageStore Store => _store ?? throw new InvalidOperationException("no run under way");

    public void Dispose()
    {
        _gate?.Dispose();
        _store?.Dispose();
        _directory.Dispose();
    }

    private IStreamLog Run()
    {
        _gate?.Dispose();
        _store?.Dispose();
        _store = new MessageStore(_directory.Path, new MessagePool(), ++_incarnation, new CapturingLogger(), StoreSegmentSize);
        _gate = WriterGate.Install(_store);
        _store.Recover([("/", "s")]);
        return Store.OpenStreamLog("/", "s", StreamSegmentSize);
    }

    private void Append(IStreamLog log, int from, int count, long timestamp)
    {
        for (var i = from; i < from + count; i++)
        {
            var message = TestMessages.New(Store.Pool, $"m{i}", BodySize);
            log.Append(i, message, timestamp + i, out _);
            message.Release();
        }

        // Readers see records once the writer has put them in the file.
        _gate!.Drain();
    }

    private static List<QueueEntry> ReadAll(IStreamLog log, LogPosition from)
    {
        var entries = new List<QueueEntry>();
        while (log.Read(ref from, entries, 7, long.MaxValue) > 0)
        {
        }

        return entries;
    }

    private static List<StreamRecord> ScanAll(IStreamLog log)
    {
        var records = new List<StreamRecord>();
        var cursor = log.Start;
        while (log.Scan(ref cursor, records, 5) > 0)
        {
        }

        return records;
    }

    [Fact]
    public void Records_are_readable_only_once_written_and_the_writer_says_so()
    {
        var log = Run();
        var told = 0;
        log.Written = () => Interlocked.Increment(ref told);
        _gate!.Close();
        var message = TestMessages.New(Store.Pool, "m0", BodySize);
        log.Append(0, message, 1, out _);
        message.Release();

        Assert.Empty(ReadAll(log, log.Start));

        _gate.Open();
        _gate.Drain();

        var entries = ReadAll(log, log.Start);
        Assert.Equal("m0", TestMessages.Id(Assert.Single(entries).Message));
        Assert.True(Volatile.Read(ref told) > 0, "the writer did not tell the stream");
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void Reading_does_not_consume_and_segments_roll_at_the_streams_size()
    {
        var log = Run();
        Append(log, 0, 20, timestamp: 1_000);

        var first = ReadAll(log, log.Start);
        var second = ReadAll(log, log.Start);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), first.Select(e => e.Sequence));
        Assert.Equal(TestMessages.Ids(first), TestMessages.Ids(second));
        Assert.True(first.Select(e => RecordLocation.Unpack(e.Location).Segment).Distinct().Count() >= 4, "records of 300 bytes should fill 2,000-byte segments");
        TestMessages.ReleaseAll(first);
        TestMessages.ReleaseAll(second);
    }

    [Fact]
    public void Scan_reports_offsets_times_and_places_a_read_can_start_from()
    {
        var log = Run();
        Append(log, 0, 12, timestamp: 5_000);

        var records = ScanAll(log);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), records.Select(r => r.Offset));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => 5_000L + i), records.Select(r => r.Timestamp));
        var fromSeventh = ReadAll(log, records[7].Position);
        Assert.Equal("m7", TestMessages.Id(fromSeventh[0].Message));
        TestMessages.ReleaseAll(fromSeventh);
    }

    [Fact]
    public void Dropping_a_segment_removes_its_file_and_readers_move_on_to_the_next()
    {
        var log = Run();
        Append(log, 0, 20, timestamp: 0);
        var records = ScanAll(log);
        var oldest = records[0].Position.Segment;
        var inOldest = records.Count(r => r.Position.Segment == oldest);

        log.DropSegment(oldest);
        Wait.Until(() => !File.Exists(Path.Combine(((QueueLog)log).Directory, $"{oldest:D10}.seg")), "the dropped segment's file is deleted");

        var entries = ReadAll(log, records[0].Position);
        Assert.Equal((long)inOldest, entries[0].Sequence);
        Assert.Equal(19L, entries[^1].Sequence);
        TestMessages.ReleaseAll(entries);
    }

    [Fact]
    public void A_restart_brings_back_every_record_with_its_offset_and_time_and_appends_continue()
    {
        var log = Run();
        Append(log, 0, 15, timestamp: 100);
        log.DropSegment(ScanAll(log)[0].Position.Segment);

        log = Run();
        var recovered = ScanAll(log);
        Append(log, (int)log.NextSequence, 3, timestamp: 100);

        Assert.Equal(14L, recovered[^1].Offset);
        Assert.True(recovered[0].Offset > 0, "the dropped segment came back");
        Assert.All(recovered, r => Assert.Equal(100 + r.Offset, r.Timestamp));
        var all = ReadAll(log, log.Start);
        Assert.Equal(Enumerable.Range((int)recovered[0].Offset, 18 - (int)recovered[0].Offset).Select(i => (long)i), all.Select(e => e.Sequence));
        TestMessages.ReleaseAll(all);
    }
}
