namespace Broker.Engine.Queues;

/// <summary>How much of a queue stays in memory; the rest waits in its log.</summary>
public sealed class QueueLimits
{
    /// <summary>Messages a queue keeps in memory before new ones go to its log.</summary>
    public int HeadMaxCount { get; set; } = 16384;

    /// <summary>Bytes a queue keeps in memory before new messages go to its log.</summary>
    public long HeadMaxBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>When fewer messages than this are in memory and the log has more, read some back.</summary>
    public int RefillBelow { get; set; } = 4096;

    public int RefillBatchCount { get; set; } = 2048;

    public long RefillBatchBytes { get; set; } = 4L * 1024 * 1024;
}
