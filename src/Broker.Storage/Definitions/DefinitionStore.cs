using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Engine.Stores;
using Broker.Storage.Io;
using Broker.Storage.Messages;
using Microsoft.Win32.SafeHandles;

namespace Broker.Storage.Definitions;

/// <summary>
/// Definitions on disk: a snapshot in RabbitMQ's definitions format (definitions.json) and an
/// append-only log of changes since (definitions.log, one checksummed JSON line per change). Changes
/// are appended and synced by the store's writer thread, many per fsync; the log is folded into a
/// new snapshot at start-up and whenever it grows long. A torn last line is cut off.
/// </summary>
public sealed class DefinitionStore : IDefinitionStore, IStoreWork, IDisposable
{
    private const int CompactAfterLines = 10_000;

    private readonly string _snapshotPath;
    private readonly string _logPath;
    private readonly string _directory;
    private readonly MessageStore _writer;
    private readonly Lock _lock = new();
    private readonly List<(DefinitionChange Change, TaskCompletionSource Done)> _pending = [];
    private readonly SafeFileHandle _log;
    private long _logLength;
    private int _logLines;
    private Task _lastPersist = Task.CompletedTask;

    private DefinitionStore(string directory, MessageStore writer, DefinitionsModel model, SafeFileHandle log, long logLength)
    {
        _directory = directory;
        _snapshotPath = Path.Combine(directory, "definitions.json");
        _logPath = Path.Combine(directory, "definitions.log");
        _writer = writer;
        Model = model;
        _log = log;
        _logLength = logLength;
    }

    /// <summary>The definitions as of the last change (guarded by the store's lock while changing).</summary>
    public DefinitionsModel Model { get; }

    /// <summary>Loads the snapshot and replays the log; folds them into a fresh snapshot.</summary>
    public static DefinitionStore Open(string directory, MessageStore writer, string productVersion, Action<string> report)
    {
        Directory.CreateDirectory(directory);
        var snapshotPath = Path.Combine(directory, "definitions.json");
        var logPath = Path.Combine(directory, "definitions.log");
        var model = File.Exists(snapshotPath)
            ? DefinitionsModel.FromJson(JsonNode.Parse(File.ReadAllBytes(snapshotPath)) as JsonObject ?? new JsonObject())
            : new DefinitionsModel();

        var replayed = 0;
        if (File.Exists(logPath))
        {
            var bytes = File.ReadAllBytes(logPath);
            var valid = ReplayLog(bytes, model, ref replayed);
            if (valid < bytes.Length)
            {
                report($"cut {bytes.Length - valid} bytes of a torn definitions log entry");
            }
        }

        var created = !File.Exists(logPath);
        var log = File.OpenHandle(logPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (created)
        {
            DirectorySync.Sync(directory);
        }

        var store = new DefinitionStore(directory, writer, model, log, RandomAccess.GetLength(log));
        if (replayed > 0 || store._logLength > 0)
        {
            store.Compact(productVersion);
        }

        writer.AddWork(store);
        store.ProductVersion = productVersion;
        return store;
    }

    private string ProductVersion { get; set; } = "0";

    public Task Persist(DefinitionChange change)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            Model.Apply(change);
            _pending.Add((change, done));
            _lastPersist = done.Task;
        }

        _writer.Signal();
        return done.Task;
    }

    /// <summary>
    /// The definitions as RabbitMQ's JSON (<c>GET /api/definitions</c>), or one vhost's
    /// (<c>GET /api/definitions/{vhost}</c>), taken under the store's lock so changes recorded
    /// meanwhile do not tear it.
    /// </summary>
    public JsonObject Export(string? virtualHost = null)
    {
        lock (_lock)
        {
            return virtualHost is null ? Model.ToJson(ProductVersion) : Model.ToVirtualHostJson(ProductVersion, virtualHost);
        }
    }

    public Task WhenPersisted()
    {
        lock (_lock)
        {
            return _lastPersist;
        }
    }

    /// <summary>Runs on the writer thread: appends and syncs the pending changes, then completes them.</summary>
    void IStoreWork.Run()
    {
        List<(DefinitionChange Change, TaskCompletionSource Done)> batch;
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            batch = [.. _pending];
            _pending.Clear();
        }

        try
        {
            var text = new StringBuilder();
            foreach (var (change, _) in batch)
            {
                text.Append(Line(DefinitionChangeJson.ToJson(change)));
            }

            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            RandomAccess.Write(_log, bytes, _logLength);
            RandomAccess.FlushToDisk(_log);
            _logLength += bytes.Length;
            _logLines += batch.Count;
            foreach (var (_, done) in batch)
            {
                done.TrySetResult();
            }

            if (_logLines >= CompactAfterLines)
            {
                Compact(ProductVersion);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            foreach (var (_, done) in batch)
            {
                done.TrySetException(ex);
            }
        }
    }

    public void Dispose() => _log.Dispose();

    /// <summary>Writes the model as a new snapshot (atomically, by rename) and empties the log.</summary>
    private void Compact(string productVersion)
    {
        byte[] json;
        lock (_lock)
        {
            json = JsonSerializer.SerializeToUtf8Bytes(Model.ToJson(productVersion), SnapshotOptions);
        }

        var temporary = _snapshotPath + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, json, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, _snapshotPath, overwrite: true);
        DirectorySync.Sync(_directory);
        RandomAccess.SetLength(_log, 0);
        RandomAccess.FlushToDisk(_log);
        _logLength = 0;
        _logLines = 0;
    }

    private static readonly JsonSerializerOptions SnapshotOptions = new() { WriteIndented = true };

    private static string Line(JsonObject json)
    {
        var payload = json.ToJsonString();
        var crc = Crc32C.Compute(Encoding.UTF8.GetBytes(payload));
        return crc.ToString("x8", CultureInfo.InvariantCulture) + " " + payload + "\n";
    }

    /// <summary>Applies each valid line; returns the length of the valid prefix.</summary>
    private static int ReplayLog(byte[] bytes, DefinitionsModel model, ref int replayed)
    {
        var at = 0;
        while (at < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', at);
            if (end < 0 || end - at < 10 || bytes[at + 8] != (byte)' ')
            {
                break;
            }

            var payload = bytes.AsSpan(at + 9, end - at - 9);
            if (!uint.TryParse(Encoding.ASCII.GetString(bytes, at, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var crc)
                || crc != Crc32C.Compute(payload)
                || JsonNode.Parse(payload) is not JsonObject json
                || DefinitionChangeJson.FromJson(json) is not { } change)
            {
                break;
            }

            model.Apply(change);
            replayed++;
            at = end + 1;
        }

        return at;
    }
}
