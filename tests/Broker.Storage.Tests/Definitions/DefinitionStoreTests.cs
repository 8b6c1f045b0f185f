using System.Text;
using System.Text.Json.Nodes;
using Broker.Engine.Messages;
using Broker.Engine.Stores;
using Broker.Storage.Definitions;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests.Definitions;

/// <summary>definitions.json (snapshot) and definitions.log (changes since), written by the store's writer thread.</summary>
public sealed class DefinitionStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<string> _reports = [];
    private MessageStore? _writer;
    private DefinitionStore? _store;

    private string LogPath => _directory.Combine("definitions.log");

    private string SnapshotPath => _directory.Combine("definitions.json");

    public void Dispose()
    {
        Close();
        _directory.Dispose();
    }

    [Fact]
    public void PersistedChanges_AreThereAfterAReopen()
    {
        var store = Open();
        Assert.True(store.Model.IsEmpty);
        foreach (var change in DefinitionsModelTests.PopulatingChanges())
        {
            _ = store.Persist(change);
        }

        Wait.For(store.WhenPersisted(), "the changes to be on disk");
        var expected = store.Model;
        DefinitionsModelTests.AssertSameModel(DefinitionsModelTests.Populated(), expected);

        var reopened = Open();

        DefinitionsModelTests.AssertSameModel(expected, reopened.Model);
        Assert.Empty(_reports);
    }

    [Fact]
    public void Persist_AppliesTheChangeToTheModelAtOnce()
    {
        var store = Open();
        var gate = WriterGate.Install(_writer!);
        gate.Close();

        var persisted = store.Persist(new VirtualHostAdded("now"));

        Assert.Equal(["now"], store.Model.VirtualHosts);
        Assert.False(persisted.IsCompleted);
        gate.Open();
        Wait.For(persisted, "the change to be on disk");
    }

    [Fact]
    public void WhenPersisted_CompletesOnceTheChangeIsOnDisk()
    {
        var store = Open();
        var gate = WriterGate.Install(_writer!);
        gate.Close();

        var persisted = store.Persist(new QueueDeclared("/", "q1", false, DefinitionsModelTests.Args(("x-max-length", 5L))));
        _ = store.Persist(new VirtualHostAdded("v2"));
        var all = store.WhenPersisted();

        Assert.False(all.IsCompleted, "the writer is parked: nothing can be on disk");
        Assert.Equal(0, new FileInfo(LogPath).Length);

        gate.Open();
        Wait.For(all, "the changes to be on disk");

        Assert.True(persisted.IsCompletedSuccessfully);
        var lines = ReadLog();
        Assert.Equal(2, lines.Length);
        Assert.Equal("queue.declare", Payload(lines[0])["op"]!.GetValue<string>());
        Assert.Equal(5, Payload(lines[0])["arguments"]!["x-max-length"]!.GetValue<long>());
        Assert.Equal("vhost.add", Payload(lines[1])["op"]!.GetValue<string>());
    }

    [Fact]
    public void WhenPersisted_WithNothingRecorded_IsComplete()
    {
        var store = Open();

        Assert.True(store.WhenPersisted().IsCompleted);
    }

    [Fact]
    public void LogLines_AreChecksummedJson()
    {
        var store = Open();
        Wait.For(store.Persist(new UserSaved("alice", "hash", ["administrator", "management"])), "the change");

        var line = Assert.Single(ReadLog());

        Assert.Equal(' ', line[8]);
        var payload = line[9..];
        Assert.Equal(Broker.Storage.Io.Crc32C.Compute(Encoding.UTF8.GetBytes(payload)).ToString("x8", System.Globalization.CultureInfo.InvariantCulture), line[..8]);
        var json = Payload(line);
        Assert.Equal("user.save", json["op"]!.GetValue<string>());
        Assert.Equal(["administrator", "management"], json["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public void EveryChangeType_RoundTripsThroughTheLog()
    {
        var changes = new List<DefinitionChange>(DefinitionsModelTests.PopulatingChanges())
        {
            new BindingRemoved("/", "orders", "unrouted", false, "e2e", new()),
            new PermissionsCleared("bob", "other"),
            new QueueDeleted("other", "audit"),
            new ExchangeDeleted("other", "events"),
            new UserDeleted("bob"),
            new VirtualHostDeleted("other"),
        };
        var store = Open();
        var expected = new DefinitionsModel();
        foreach (var change in changes)
        {
            expected.Apply(change);
            _ = store.Persist(change);
        }

        Wait.For(store.WhenPersisted(), "the changes");
        Close();

        // Replays the log by hand, line by line, into a model.
        var replayed = new DefinitionsModel();
        foreach (var line in File.ReadAllLines(LogPath))
        {
            replayed.Apply(DefinitionChangeJson.FromJson(Payload(line))!);
        }

        DefinitionsModelTests.AssertSameModel(expected, replayed);
        DefinitionsModelTests.AssertSameModel(expected, Open().Model);
    }

    [Fact]
    public void Reopen_FoldsTheLogIntoTheSnapshot()
    {
        var store = Open();
        foreach (var change in DefinitionsModelTests.PopulatingChanges())
        {
            _ = store.Persist(change);
        }

        Wait.For(store.WhenPersisted(), "the changes");
        Assert.NotEqual(0, new FileInfo(LogPath).Length);
        Assert.False(File.Exists(SnapshotPath));

        var reopened = Open("3.13.7");

        Assert.Equal(0, new FileInfo(LogPath).Length);
        var snapshot = JsonNode.Parse(File.ReadAllBytes(SnapshotPath))!.AsObject();
        Assert.Equal("3.13.7", snapshot["rabbit_version"]!.GetValue<string>());
        DefinitionsModelTests.AssertSameModel(DefinitionsModelTests.Populated(), DefinitionsModel.FromJson(snapshot));

        // Later changes go to the log on top of the snapshot.
        Wait.For(reopened.Persist(new QueueDeleted("/", "jobs")), "the change");
        var expected = DefinitionsModelTests.Populated();
        expected.Apply(new QueueDeleted("/", "jobs"));
        DefinitionsModelTests.AssertSameModel(expected, Open().Model);
        DefinitionsModelTests.AssertSameModel(expected, Open().Model);
    }

    [Fact]
    public void ManyChanges_AreFoldedIntoTheSnapshotWhileRunning()
    {
        const int users = 10_050;
        var store = Open();
        for (var i = 0; i < users; i++)
        {
            _ = store.Persist(new UserSaved($"user{i}", "hash", []));
        }

        Wait.For(store.WhenPersisted(), "the changes");
        Close();

        Assert.True(File.Exists(SnapshotPath), "10,000 lines in the log fold it into a snapshot");
        Assert.True(File.ReadAllLines(LogPath).Length < 10_000);
        Assert.Equal(users, Open().Model.Users.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(20)]
    [InlineData(-1)]
    public void TornLastLine_IsCutAndEarlierLinesKept(int keep)
    {
        var store = Open();
        _ = store.Persist(new VirtualHostAdded("a"));
        _ = store.Persist(new VirtualHostAdded("b"));
        Wait.For(store.WhenPersisted(), "the changes");
        _ = store.Persist(new VirtualHostAdded("c"));
        Wait.For(store.WhenPersisted(), "the last change");
        Close();
        var lines = File.ReadAllLines(LogPath);
        Assert.Equal(3, lines.Length);

        // Keep part of the last line: a number of its bytes, or all of it but its newline.
        var partial = keep > 0 ? lines[2][..keep] : lines[2];
        File.WriteAllText(LogPath, lines[0] + "\n" + lines[1] + "\n" + partial);

        var reopened = Open();

        Assert.Equal(["a", "b"], reopened.Model.VirtualHosts);
        Assert.Contains(_reports, r => r.Contains("cut", StringComparison.Ordinal));
        Assert.Equal(0, new FileInfo(LogPath).Length);
        Assert.Equal(["a", "b"], Open().Model.VirtualHosts);
    }

    [Fact]
    public void CorruptedLine_EndsTheReplayThere()
    {
        var store = Open();
        foreach (var name in new[] { "a", "b", "c" })
        {
            _ = store.Persist(new VirtualHostAdded(name));
        }

        Wait.For(store.WhenPersisted(), "the changes");
        Close();
        var lines = File.ReadAllLines(LogPath);
        lines[1] = lines[1].Replace("\"b\"", "\"x\"", StringComparison.Ordinal);
        File.WriteAllText(LogPath, string.Join("\n", lines) + "\n");

        var reopened = Open();

        Assert.Equal(["a"], reopened.Model.VirtualHosts);
        Assert.Contains(_reports, r => r.Contains("cut", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_OnAnEmptyDirectory_CreatesAnEmptyLogAndNoSnapshot()
    {
        var store = Open();

        Assert.True(store.Model.IsEmpty);
        Assert.True(File.Exists(LogPath));
        Assert.False(File.Exists(SnapshotPath));
    }

    private static JsonObject Payload(string line) => JsonNode.Parse(line[9..])!.AsObject();

    private string[] ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Closes the running store, if any, and opens the directory again (as a broker restart does).</summary>
    private DefinitionStore Open(string productVersion = "test")
    {
        Close();
        _writer = new MessageStore(_directory.Path, new MessagePool(), incarnation: 1, NullLogger.Instance);
        _store = DefinitionStore.Open(_directory.Path, _writer, productVersion, _reports.Add);
        return _store;
    }

    private void Close()
    {
        _writer?.Dispose();
        _store?.Dispose();
        _writer = null;
        _store = null;
    }
}
