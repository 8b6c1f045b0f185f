using Broker.DataModel.Encoding;
using Broker.Engine.Sessions;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Queues;

/// <summary>A subscription of one session to one queue.</summary>
public sealed class Consumer
{
    public Consumer(string tag, MessageQueue queue, IConsumerSession session, bool noAck, bool exclusive, int priority, int prefetchLimit, FieldTable? arguments)
    {
        Tag = tag;
        TagBytes = TextEncoding.UTF8.GetBytes(tag);
        Queue = queue;
        Session = session;
        NoAck = noAck;
        Exclusive = exclusive;
        Priority = priority;
        PrefetchLimit = prefetchLimit;
        Arguments = arguments;
    }

    public string Tag { get; }

    /// <summary>The tag encoded once, for writing deliveries without converting strings.</summary>
    public byte[] TagBytes { get; }

    public MessageQueue Queue { get; }

    /// <summary>The session that owns the consumer's credit and its unacknowledged deliveries.</summary>
    public IConsumerSession Session { get; }

    public bool NoAck { get; }

    public bool Exclusive { get; }

    /// <summary>x-priority: higher-priority consumers get messages first while they have credit.</summary>
    public int Priority { get; }

    /// <summary>Most unacknowledged deliveries this consumer may hold; 0 is no limit. Guarded by the session's lock.</summary>
    public int PrefetchLimit { get; set; }

    /// <summary>Deliveries not yet acknowledged. Guarded by the session's lock.</summary>
    public int Unacked { get; set; }

    public FieldTable? Arguments { get; }
}
