namespace Broker.Engine.Delivery;

/// <summary>
/// The outputs one unit of work wrote to (a read batch of a connection, a queue's pump run). Each is
/// flushed once when the work ends, so many frames share one socket write (NATS server's flushClients).
/// Used by one thread at a time.
/// </summary>
public sealed class FlushBatch
{
    private readonly List<IFlushTarget> _targets = [];

    public void Add(IFlushTarget target)
    {
        // Batches touch few outputs (one per consuming connection), so a scan beats hashing.
        var targets = _targets;
        for (var i = targets.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(targets[i], target))
            {
                return;
            }
        }

        targets.Add(target);
    }

    public void FlushAll()
    {
        var targets = _targets;
        for (var i = 0; i < targets.Count; i++)
        {
            targets[i].Flush();
        }

        targets.Clear();
    }
}
