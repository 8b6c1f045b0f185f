using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Classic;

/// <summary>
/// At-least-once dead-lettering (a quorum queue's x-dead-letter-strategy at-least-once with x-overflow
/// reject-publish): a dead-lettered message's record stays in this queue's log until every copy the
/// dead-letter exchange routed is on disk, so a crash in between brings it back here instead of losing
/// it. The dead-letter publish tells the queue, keyed by the entry's sequence.
/// </summary>
public sealed partial class ClassicQueue : IPersistListener
{
    private readonly Dictionary<long, (IQueueLog Log, long Location)> _awaitingDeadLetter = [];

    internal override IPersistListener? DeadLetterSettlement(in QueueEntry entry)
    {
        // An awaited entry was registered under the lock before it joined the dead-letter list, which
        // the caller took under the same lock: an empty map (the usual case, at-most-once) is seen empty
        // without taking it again.
        if (_awaitingDeadLetter.Count == 0)
        {
            return null;
        }

        lock (_lock)
        {
            return _awaitingDeadLetter.ContainsKey(entry.Sequence) ? this : null;
        }
    }

    void IPersistListener.OnPersisted(ulong confirmSequence, bool success)
    {
        lock (_lock)
        {
            // A copy that failed to reach the disk leaves the record: it comes back after a restart.
            if (_awaitingDeadLetter.Remove((long)confirmSequence, out var record) && success && !IsDeleted)
            {
                record.Log.Settle(record.Location, (long)confirmSequence, persistent: true);
            }
        }
    }

    void IPersistListener.OnPersistBatchCompleted()
    {
    }

    private void AwaitDeadLetterLocked(in QueueEntry entry) => _awaitingDeadLetter[entry.Sequence] = (LogOf(entry.Message), entry.Location);
}
