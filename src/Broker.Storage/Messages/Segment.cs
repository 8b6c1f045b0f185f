using Microsoft.Win32.SafeHandles;

namespace Broker.Storage.Messages;

/// <summary>
/// One segment file of a queue log and its ack file. Counts tell when it can go: <see cref="Live"/>
/// records not yet settled, of which <see cref="Unread"/> are still in the queue's on-disk tail.
/// Fields are guarded by the owning log's lock unless noted.
/// </summary>
internal sealed class Segment
{
    public Segment(uint number, string directory)
    {
        Number = number;
        Path = System.IO.Path.Combine(directory, $"{number:D10}.seg");
        AckPath = System.IO.Path.Combine(directory, $"{number:D10}.ack");
    }

    public uint Number { get; }

    public string Path { get; }

    public string AckPath { get; }

    /// <summary>Open for reading and appending once the file exists; written by the writer thread.</summary>
    public SafeFileHandle? Handle { get; set; }

    public SafeFileHandle? AckHandle { get; set; }

    /// <summary>Bytes appended so far (header included), whether or not they are on disk yet.</summary>
    public uint AppendEnd { get; set; }

    /// <summary>Bytes known to be in the file (written by the writer thread).</summary>
    public uint WrittenLength { get; set; }

    public long AckLength { get; set; }

    public int Live { get; set; }

    public int Unread { get; set; }

    /// <summary>Sequences recovered as dead (settled before a restart), so reads skip them.</summary>
    public HashSet<long>? DeadSequences { get; set; }

    public List<(long First, long Last)>? DeadRanges { get; set; }

    /// <summary>Sequences recovered as delivered before a restart: they come back redelivered.</summary>
    public HashSet<long>? DeliveredSequences { get; set; }

    /// <summary>How often recovered records came back to their quorum queue before a restart, by sequence.</summary>
    public Dictionary<long, int>? ReturnCounts { get; set; }

    /// <summary>Written before this incarnation: transient records in it are dead.</summary>
    public bool IsRecovered { get; set; }

    public bool IsDeleted { get; set; }

    public bool IsDead(long sequence)
    {
        if (DeadSequences is not null && DeadSequences.Contains(sequence))
        {
            return true;
        }

        if (DeadRanges is not null)
        {
            foreach (var (first, last) in DeadRanges)
            {
                if (sequence >= first && sequence <= last)
                {
                    return true;
                }
            }
        }

        return false;
    }

    public void CloseHandles()
    {
        Handle?.Dispose();
        AckHandle?.Dispose();
        Handle = null;
        AckHandle = null;
    }
}
