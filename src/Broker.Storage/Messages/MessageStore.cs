using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Broker.Engine.Messages;
using Broker.Engine.Stores;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Log = Broker.Storage.StorageLog;

namespace Broker.Storage.Messages;

/// <summary>
/// The message logs of every queue, and the one writer thread that does their I/O. Group commit:
/// while the writer syncs one batch, appends gather for the next, so many persistent messages share
/// an fsync; their publishers are confirmed once it returns.
/// </summary>
public sealed class MessageStore : IMessageStore, IDisposable
{
    private readonly string _durableRoot;
    private readonly string _transientRoot;
    private readonly string _delayRoot;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<QueueLog> _dirty = new();
    private readonly ConcurrentDictionary<string, QueueLog> _recovered = new();
    private readonly ConcurrentDictionary<QueueLog, byte> _open = new();
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly Thread _writer;
    private readonly List<IStoreWork> _extraWork = [];
    private long _pendingBytes;
    private long _fsyncs;
    private long _bytesWritten;
    private long _transientCounter;
    private volatile bool _stopping;

    public MessageStore(string dataDirectory, MessagePool pool, uint incarnation, ILogger logger, long segmentSize = 8 * 1024 * 1024)
    {
        _durableRoot = Path.Combine(dataDirectory, "queues");
        _transientRoot = Path.Combine(dataDirectory, "transient");
        _delayRoot = Path.Combine(dataDirectory, "delayed");
        Pool = pool;
        Incarnation = incarnation;
        SegmentSize = segmentSize;
        _logger = logger;

        // Paging files of non-durable queues mean nothing after a restart.
        if (Directory.Exists(_transientRoot))
        {
            Directory.Delete(_transientRoot, recursive: true);
        }

        if (!Directory.Exists(_durableRoot) || !Directory.Exists(_delayRoot))
        {
            Directory.CreateDirectory(_durableRoot);
            Directory.CreateDirectory(_delayRoot);
            Io.DirectorySync.Sync(dataDirectory);
        }

        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "broker-store-writer" };
        _writer.Start();
    }

    public MessagePool Pool { get; }

    /// <summary>This run of the broker; transient records of earlier runs are dead.</summary>
    public uint Incarnation { get; }

    public long SegmentSize { get; }

    /// <summary>Largest record accepted when reading (guards against a corrupted length).</summary>
    public int MaxRecordSize { get; } = 1024 * 1024 * 1024;

    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    /// <summary>fsync calls made so far (for benchmarks: syncs per message).</summary>
    public long SyncCount => Interlocked.Read(ref _fsyncs);

    /// <summary>Messages recovered in durable queue logs at start-up.</summary>
    public long RecoveredMessages { get; private set; }

    public IQueueLog OpenLog(string virtualHost, string queue, bool durable) =>
        Open(durable ? DurableDirectory(_durableRoot, virtualHost, queue) : null);

    public IQueueLog OpenPriorityLog(string virtualHost, string queue, bool durable, int priority) =>
        Open(durable ? PriorityDirectory(DurableDirectory(_durableRoot, virtualHost, queue), priority) : null);

    public IQueueLog OpenDelayLog(string virtualHost, string exchange, bool durable) =>
        Open(durable ? DurableDirectory(_delayRoot, virtualHost, exchange) : null);

    /// <summary>A durable log in <paramref name="directory"/> (recovered or new), or a transient one when null.</summary>
    private QueueLog Open(string? directory)
    {
        if (directory is not null)
        {
            if (_recovered.TryRemove(directory, out var recovered))
            {
                _open[recovered] = 0;
                return recovered;
            }

            // A new durable queue: anything left under its name belongs to a deleted namesake.
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            return Track(new QueueLog(this, directory, durable: true));
        }

        var number = Interlocked.Increment(ref _transientCounter);
        return Track(new QueueLog(this, Path.Combine(_transientRoot, number.ToString(System.Globalization.CultureInfo.InvariantCulture)), durable: false));
    }

    public IStreamLog OpenStreamLog(string virtualHost, string queue, long segmentSize)
    {
        var log = (QueueLog)OpenLog(virtualHost, queue, durable: true);
        log.UseAsStream(segmentSize);
        return log;
    }

    /// <summary>
    /// Recovers the logs of the durable queues the definitions list, and deletes the directories of
    /// queues that no longer exist. Call once, before queues are opened.
    /// </summary>
    public void Recover(IEnumerable<(string VirtualHost, string Queue)> durableQueues, IEnumerable<(string VirtualHost, string Exchange)>? delayedExchanges = null)
    {
        RecoveredMessages = RecoverLogs(_durableRoot, durableQueues) + RecoverLogs(_delayRoot, delayedExchanges ?? []);
    }

    private long RecoverLogs(string root, IEnumerable<(string VirtualHost, string Name)> owners)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        long messages = 0;
        foreach (var (virtualHost, name) in owners)
        {
            var directory = DurableDirectory(root, virtualHost, name);
            wanted.Add(directory);
            var log = QueueLog.Recover(this, directory);
            messages += log.RecoveredCount;
            _recovered[directory] = log;
        }

        foreach (var directory in Directory.EnumerateDirectories(root))
        {
            if (wanted.Contains(directory))
            {
                continue;
            }

            // The logs of a priority queue's levels 1 and up sit beside level 0's, named after it.
            var suffix = directory.LastIndexOf(PrioritySuffix, StringComparison.Ordinal);
            if (suffix > 0 && wanted.Contains(directory[..suffix]))
            {
                var log = QueueLog.Recover(this, directory);
                messages += log.RecoveredCount;
                _recovered[directory] = log;
                continue;
            }

            Directory.Delete(directory, recursive: true);
        }

        return messages;
    }

    /// <summary>The log of a deleted queue is done with (its files are gone).</summary>
    internal void Forget(QueueLog log) => _open.TryRemove(log, out _);

    private QueueLog Track(QueueLog log)
    {
        _open[log] = 0;
        return log;
    }

    /// <summary>Other work for the writer thread (the definitions log), run after each pass over the logs.</summary>
    internal void AddWork(IStoreWork work)
    {
        lock (_extraWork)
        {
            _extraWork.Add(work);
        }
    }

    internal void Signal() => _signal.Release();

    internal void MarkDirty(QueueLog log)
    {
        if (Interlocked.Exchange(ref log.QueuedForWrite, 1) == 0)
        {
            _dirty.Enqueue(log);
            _signal.Release();
        }
    }

    internal void AddPendingBytes(long bytes) => Interlocked.Add(ref _pendingBytes, bytes);

    internal void ReportFailure(string what, Exception exception) => Log.StoreFailure(_logger, exception, what);

    internal void ReportRecovery(string message) => Log.Recovery(_logger, message);

    /// <summary>Stops the writer after it has written and synced everything pending.</summary>
    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        _writer.Join();
        StorageLog.Stopped(_logger, SyncCount, Interlocked.Read(ref _bytesWritten));
        foreach (var log in _recovered.Values)
        {
            log.Close();
        }

        foreach (var log in _open.Keys)
        {
            log.Close();
        }

        _signal.Dispose();
    }

    /// <summary>Marks the directory of a priority level's log: queues/DIGEST.pN beside the queue's queues/DIGEST.</summary>
    private const string PrioritySuffix = ".p";

    private static string PriorityDirectory(string queueDirectory, int priority) =>
        queueDirectory + PrioritySuffix + priority.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string DurableDirectory(string root, string virtualHost, string queue)
    {
        // Names may hold any characters: the directory is a digest of vhost and name, the vhost
        // length-prefixed so that no two pairs of names give the same input.
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{virtualHost.Length}:{virtualHost}{queue}"));
        return Path.Combine(root, Convert.ToHexStringLower(digest.AsSpan(0, 16)));
    }

    private void WriterLoop()
    {
        while (true)
        {
            try
            {
                RunWriter();
                return;
            }
            catch (Exception ex)
            {
                // The writer must go on: without it nothing is confirmed or synced any more.
                ReportFailure("the store's writer", ex);
            }
        }
    }

    private void RunWriter()
    {
        var logs = new List<QueueLog>();
        var persisted = new List<Message>();
        var toSync = new List<SafeFileHandle>();
        var work = new List<IStoreWork>();
        var listeners = new List<IPersistListener>();
        while (true)
        {
            _signal.Wait();
            var stopping = _stopping;
            while (_dirty.TryDequeue(out var log))
            {
                logs.Add(log);
            }

            var success = true;
            foreach (var log in logs)
            {
                var pass = log.Write(persisted, toSync);
                success &= pass.Success;
                Interlocked.Add(ref _pendingBytes, -pass.BytesWritten);
                Interlocked.Add(ref _bytesWritten, pass.BytesWritten);
            }

            foreach (var handle in toSync)
            {
                try
                {
                    RandomAccess.FlushToDisk(handle);
                    Interlocked.Increment(ref _fsyncs);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException)
                {
                    success = false;
                    ReportFailure("fsync", ex);
                }
            }

            // Definitions (e.g. the declaration of the queue a message went to) reach the disk before
            // any message of this pass is confirmed: a confirmed message must not outlive its queue.
            lock (_extraWork)
            {
                work.AddRange(_extraWork);
            }

            foreach (var item in work)
            {
                item.Run();
            }

            foreach (var message in persisted)
            {
                if (message.CompletePersist(success) is { } listener && !listeners.Contains(listener))
                {
                    listeners.Add(listener);
                }

                message.Release();
            }

            // Each publisher channel sends its confirms for this sync in one go.
            foreach (var listener in listeners)
            {
                listener.OnPersistBatchCompleted();
            }

            logs.Clear();
            persisted.Clear();
            listeners.Clear();
            toSync.Clear();
            work.Clear();
            if (stopping && _dirty.IsEmpty)
            {
                return;
            }
        }
    }
}

/// <summary>Work the store's writer thread does after each pass (e.g. appending definitions).</summary>
internal interface IStoreWork
{
    void Run();
}
