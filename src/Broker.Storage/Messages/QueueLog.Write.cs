using System.Buffers;
using Broker.Engine.Messages;
using Broker.Storage.Io;
using Microsoft.Win32.SafeHandles;

namespace Broker.Storage.Messages;

internal sealed partial class QueueLog
{
    private readonly List<PendingChunk> _writeChunks = [];
    private readonly List<PendingAck> _writeAcks = [];
    private readonly List<Segment> _writeDeletes = [];

    /// <summary>
    /// The writer thread's pass over this log: writes pending chunks and ack records, deletes dead
    /// segments, and returns the persistent messages the caller completes after syncing. Never called
    /// concurrently with itself.
    /// </summary>
    internal WritePass Write(List<Message> persisted, List<SafeFileHandle> toSync)
    {
        // Scratch lists reused across passes: only the writer thread writes a log.
        var chunks = _writeChunks;
        var acks = _writeAcks;
        var toDelete = _writeDeletes;
        chunks.Clear();
        acks.Clear();
        toDelete.Clear();
        bool needsSync;
        bool deleted;
        lock (_lock)
        {
            Volatile.Write(ref _queuedForWrite, 0);
            foreach (var chunk in _chunks)
            {
                if (!chunk.InFlight)
                {
                    chunk.InFlight = true;
                    chunks.Add(chunk);
                }
            }

            acks.AddRange(_acks);
            _acks.Clear();
            toDelete.AddRange(_toDelete);
            _toDelete.Clear();
            persisted.AddRange(_persists);
            _persists.Clear();
            needsSync = _needsSync;
            _needsSync = false;
            deleted = _deleted;
        }

        if (deleted)
        {
            _store.Forget(this);
            DeleteAll();
            return new WritePass(Success: true, BytesWritten: ReleaseChunks());
        }

        var ok = !_failed;
        var createdFiles = false;
        long written = 0;
        try
        {
            if ((chunks.Count > 0 || acks.Count > 0) && !System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.CreateDirectory(Directory);
                _createdDirectory = true;
            }

            foreach (var chunk in chunks)
            {
                var segment = chunk.Segment;
                if (segment.IsDeleted)
                {
                    continue;
                }

                if (segment.Handle is null)
                {
                    segment.Handle = File.OpenHandle(segment.Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                    createdFiles = true;
                }

                RandomAccess.Write(segment.Handle, chunk.Buffer.AsSpan(0, chunk.Length), chunk.Offset);
                if (needsSync && !toSync.Contains(segment.Handle))
                {
                    toSync.Add(segment.Handle);
                }
            }

            WriteAcks(acks, ref createdFiles);
            foreach (var segment in toDelete)
            {
                segment.CloseHandles();
                File.Delete(segment.Path);
                File.Delete(segment.AckPath);
            }

            // A created file or directory survives a crash only once its parent directory is synced:
            // done in the first pass that syncs records, even if the files were created in an earlier
            // pass that had only transient ones.
            _entriesUnsynced |= createdFiles || _createdDirectory;
            if (_entriesUnsynced && needsSync)
            {
                DirectorySync.Sync(Directory);
                if (_createdDirectory)
                {
                    DirectorySync.Sync(Path.GetDirectoryName(Directory)!);
                }

                _entriesUnsynced = false;
                _createdDirectory = false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _failed = true;
            ok = false;
            _store.ReportFailure(Directory, ex);
        }
        finally
        {
            written = MarkWritten(chunks);
        }

        if (chunks.Count > 0)
        {
            _written?.Invoke();
        }

        return new WritePass(ok, written);
    }

    private void WriteAcks(List<PendingAck> acks, ref bool createdFiles)
    {
        if (acks.Count == 0)
        {
            return;
        }

        Span<byte> record = stackalloc byte[RecordFormat.AckRecordSize];
        foreach (var ack in acks)
        {
            var segment = ack.Segment;
            if (segment.IsDeleted)
            {
                continue;
            }

            if (segment.AckHandle is null)
            {
                segment.AckHandle = File.OpenHandle(segment.AckPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                segment.AckLength = RandomAccess.GetLength(segment.AckHandle);
                createdFiles = true;
            }

            RecordFormat.WriteAck(record, ack.Kind, ack.First, ack.Last);
            RandomAccess.Write(segment.AckHandle, record, segment.AckLength);
            segment.AckLength += RecordFormat.AckRecordSize;
        }
    }

    private long MarkWritten(List<PendingChunk> chunks)
    {
        long bytes = 0;
        lock (_lock)
        {
            foreach (var chunk in chunks)
            {
                var end = chunk.Offset + (uint)chunk.Length;
                if (end > chunk.Segment.WrittenLength)
                {
                    chunk.Segment.WrittenLength = end;
                }

                _chunks.Remove(chunk);
                bytes += chunk.Length;
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }

        return bytes;
    }

    private long ReleaseChunks()
    {
        long bytes = 0;
        lock (_lock)
        {
            foreach (var chunk in _chunks)
            {
                bytes += chunk.Length;
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }

            _chunks.Clear();
        }

        return bytes;
    }

    private void DeleteAll()
    {
        lock (_lock)
        {
            foreach (var segment in _segments)
            {
                segment.CloseHandles();
            }

            foreach (var segment in _toDelete)
            {
                segment.CloseHandles();
            }

            _segments.Clear();
            _active = null;
        }

        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException ex)
        {
            _store.ReportFailure(Directory, ex);
        }
    }

    internal readonly record struct WritePass(bool Success, long BytesWritten);
}
