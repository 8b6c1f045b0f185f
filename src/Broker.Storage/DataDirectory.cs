using System.Buffers.Binary;
using Broker.Storage.Io;

namespace Broker.Storage;

/// <summary>
/// The broker's data directory: locked so that two brokers never share it, and counting the broker's
/// runs (the incarnation), which tells this run's transient records from earlier ones.
/// </summary>
public sealed class DataDirectory : IDisposable
{
    private readonly FileStream _lock;

    private DataDirectory(string path, FileStream lockFile, uint incarnation)
    {
        Path = path;
        _lock = lockFile;
        Incarnation = incarnation;
    }

    public string Path { get; }

    public uint Incarnation { get; }

    public static DataDirectory Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(path);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(System.IO.Path.Combine(path, "broker.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"the data directory {path} is in use by another broker", ex);
        }

        var incarnationPath = System.IO.Path.Combine(path, "incarnation");
        uint previous = 0;
        if (File.Exists(incarnationPath))
        {
            var bytes = File.ReadAllBytes(incarnationPath);
            previous = bytes.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : 0;
        }

        var incarnation = previous + 1;
        var next = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(next, incarnation);
        var temporary = incarnationPath + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, next, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, incarnationPath, overwrite: true);
        DirectorySync.Sync(path);
        return new DataDirectory(path, lockFile, incarnation);
    }

    public void Dispose() => _lock.Dispose();
}
