using System.Buffers.Binary;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// Just enough of the broker's on-disk format to corrupt it on purpose: queue directories under
/// queues/, segment files (a 32-byte header, then records of u32 length, u32 crc32c and length bytes
/// after the crc) and their .ack files.
/// </summary>
public static class StorageFiles
{
    public const int SegmentHeaderSize = 32;
    public const int AckRecordSize = 24;

    /// <summary>The one queue directory under queues/ (fails if there is not exactly one).</summary>
    public static string SingleQueueDirectory(string dataDirectory)
    {
        var directories = Directory.GetDirectories(Path.Combine(dataDirectory, "queues"));
        return directories.Length == 1
            ? directories[0]
            : throw new InvalidOperationException($"expected one queue directory under {dataDirectory}/queues, found {directories.Length}");
    }

    /// <summary>Segment files of a queue directory in order.</summary>
    public static string[] Segments(string queueDirectory) => [.. Directory.GetFiles(queueDirectory, "*.seg").Order(StringComparer.Ordinal)];

    /// <summary>The records of a segment file: where each starts and its total size (length field + 8).</summary>
    public static List<(long Offset, int Size)> Records(string segmentPath)
    {
        var bytes = File.ReadAllBytes(segmentPath);
        var records = new List<(long, int)>();
        var at = SegmentHeaderSize;
        while (at + 8 <= bytes.Length)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)) + 8;
            if (size < 32 || at + size > bytes.Length)
            {
                throw new InvalidOperationException($"{segmentPath} has a torn or implausible record at {at} before the test corrupted it");
            }

            records.Add((at, size));
            at += size;
        }

        return records;
    }

    /// <summary>Overwrites bytes of a file from <paramref name="offset"/> with random ones (same length).</summary>
    public static void Scribble(string path, long offset, int length, Random random)
    {
        var garbage = new byte[length];
        random.NextBytes(garbage);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(garbage);
    }

    public static void Append(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write);
        stream.Write(bytes);
    }

    public static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }
}
