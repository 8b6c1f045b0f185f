using Broker.DataModel.Encoding;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Queues;

/// <summary>A subscription of one channel to one queue.</summary>
public sealed class Consumer
{
    public Consumer(string tag, MessageQueue queue, IConsumerChannel channel, bool noAck, bool exclusive, int priority, int prefetchLimit, FieldTable? arguments)
    {
        Tag = tag;
        TagBytes = TextEncoding.UTF8.GetBytes(tag);
        Queue = queue;
        Channel = channel;
        NoAck = noAck;
        Exclusive = exclusive;
        Priority = priority;
        PrefetchLimit = prefetchLimit;
        Arguments = arguments;
    }

    public string Tag { get; }

    /// <summary>The tag encoded once, for writing basic.deliver without converting strings.</summary>
    public byte[] TagBytes { get; }

    public MessageQueue Queue { get; }

    public IConsumerChannel Channel { get; }

    public bool NoAck { get; }

    public bool Exclusive { get; }

    /// <summary>x-priority: higher-priority consumers get messages first while they have credit.</summary>
    public int Priority { get; }

    /// <summary>Most unacknowledged deliveries this consumer may hold; 0 is no limit.</summary>
    public int PrefetchLimit { get; set; }

    /// <summary>Deliveries not yet acknowledged. Guarded by the owning channel's lock.</summary>
    public int Unacked { get; set; }

    public FieldTable? Arguments { get; }
}
