using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// One consumer's reading of a stream: where it is in the log and the next offset it wants. Moved
/// only by the stream's delivery pump (one at a time); added and removed under the stream's lock.
/// </summary>
internal sealed class StreamSubscription(Consumer consumer, StreamFilter? filter, long nextOffset, LogPosition cursor)
{
    public Consumer Consumer { get; } = consumer;

    public StreamFilter? Filter { get; } = filter;

    public long NextOffset { get; set; } = nextOffset;

    public LogPosition Cursor { get; set; } = cursor;

    /// <summary>Set when the consumer is cancelled; the pump skips it from then on.</summary>
    public volatile bool Removed;
}
