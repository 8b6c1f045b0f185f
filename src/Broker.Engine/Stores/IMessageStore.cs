namespace Broker.Engine.Stores;

/// <summary>Makes the logs of queues and streams (a directory per queue on disk, or memory).</summary>
public interface IMessageStore
{
    /// <summary>A log for a queue; a durable queue's log holds what was recovered for it at start-up.</summary>
    IQueueLog OpenLog(string virtualHost, string queue, bool durable);

    /// <summary>
    /// The log of one priority level (1 and up) of a priority queue, apart from level 0's (which is
    /// <see cref="OpenLog"/>'s); a durable queue's holds what was recovered for that level.
    /// </summary>
    IQueueLog OpenPriorityLog(string virtualHost, string queue, bool durable, int priority);

    /// <summary>
    /// The log of a stream (always durable), in segments of about <paramref name="segmentSize"/> bytes;
    /// it holds what was recovered for the stream at start-up.
    /// </summary>
    IStreamLog OpenStreamLog(string virtualHost, string queue, long segmentSize);

    /// <summary>
    /// The log of a delayed message exchange's pending messages (kept apart from queues' logs); a
    /// durable exchange's log holds what was recovered for it at start-up.
    /// </summary>
    IQueueLog OpenDelayLog(string virtualHost, string exchange, bool durable);

    /// <summary>Bytes appended but not yet written to disk; publishers are paused while this is high.</summary>
    long PendingBytes { get; }
}
