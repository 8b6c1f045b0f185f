using Broker.Engine.Messages;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Classic;

/// <summary>
/// The on-disk tails. A queue without priorities has one: its log, read back in order as the head
/// drains. A priority queue (x-max-priority) has one tail per level, each in a log of its own, as
/// RabbitMQ keeps one backing queue per priority: each level's tail is then read sequentially, in
/// its own order, without skipping the records of other levels (one shared log would be scanned
/// once per level), a purge drops each log's tail as one range (in a shared log that range would
/// also cover the unacknowledged messages of other levels), and recovery gives each level back in
/// sequence order. The head in memory is shared: its limits and the broker's head memory budget
/// count all levels. A message goes to its level's tail when that tail is not empty (FIFO within
/// the level) or the head is full; what is delivered next is the head of the highest level, unless
/// a higher level waits in its tail: then that level is read back first (<see cref="HeadIsNextLocked"/>).
/// </summary>
public sealed partial class ClassicQueue
{
    private readonly TailLevel[] _tails;

    // Ready messages held in the logs only (not in memory), all levels together.
    private long _tailCount;

    // Bumped when the tails are dropped (purge, delete): a read under way throws away what it read.
    private int _tailEpoch;

    /// <summary>Opens the logs of levels 1 and up (level 0's is <paramref name="log"/>) and takes what they recovered as their tails.</summary>
    private TailLevel[] OpenTails(IQueueLog log)
    {
        var tails = new TailLevel[Settings.MaxPriority + 1];
        for (var level = 0; level < tails.Length; level++)
        {
            var levelLog = level == 0 ? log : VirtualHost.Engine.Store.OpenPriorityLog(VirtualHost.Name, Name, Durable, level);
            tails[level] = new TailLevel { Log = levelLog, Count = levelLog.RecoveredCount, Cursor = levelLog.Start };
            _tailCount += levelLog.RecoveredCount;
            _nextSequence = Math.Max(_nextSequence, levelLog.NextSequence);
        }

        return tails;
    }

    /// <summary>The log holding a message's record: its level's.</summary>
    private IQueueLog LogOf(Message message) => _tails.Length == 1 ? _tails[0].Log : _tails[_ready.LevelOf(message)].Log;

    /// <summary>
    /// Whether the head in memory is what goes next, i.e. no level above the head's waits in its tail.
    /// Always so without priorities (the tail comes after the head). Only when the head is not empty.
    /// </summary>
    private bool HeadIsNextLocked()
    {
        if (_tailCount == 0 || _tails.Length == 1)
        {
            return true;
        }

        var head = _ready.HeadLevel;
        for (var level = _tails.Length - 1; level > head; level--)
        {
            if (_tails[level].Count > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The highest level with a tail, which is the one to read back; -1 when none has.</summary>
    private int TopTailLevelLocked()
    {
        for (var level = _tails.Length - 1; level >= 0; level--)
        {
            if (_tails[level].Count > 0)
            {
                return level;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether to read back from a tail: its level has fewer than RefillBelow messages in memory. For a
    /// priority queue that is the highest level with a tail, whatever the lower levels hold, so that
    /// it is in memory by the time it comes next; the head stays within its limits plus a refill.
    /// </summary>
    private bool NeedsRefillLocked()
    {
        if (_tailCount == 0)
        {
            return false;
        }

        var inMemory = _tails.Length == 1 ? _ready.Count : _ready.CountAt(TopTailLevelLocked());
        return inMemory < _limits.RefillBelow;
    }

    /// <summary>
    /// A record of another level found in a level's log: written when all levels shared level 0's log
    /// (before they had logs of their own). It moves to its level's log, where its settle will look,
    /// and into memory at its place in its level.
    /// </summary>
    private void AdoptLocked(IQueueLog from, in QueueEntry entry)
    {
        var persistent = IsKeptOnDisk(entry.Message);
        from.Settle(entry.Location, entry.Sequence, persistent);
        var log = LogOf(entry.Message);
        var location = persistent ? log.Append(entry.Sequence, entry.Message, persistent: true, toTail: false, entry.ExpiresAt) : RecordLocation.None;
        if (persistent && entry.Redelivered)
        {
            log.MarkDelivered(location, entry.Sequence);
        }

        _ready.InsertOrdered(new QueueEntry(entry.Sequence, entry.Message, entry.Redelivered, location, entry.ExpiresAt, entry.DeliveryCount));
    }

    private long DropTailLocked()
    {
        var dropped = _tailCount;
        if (dropped == 0)
        {
            return 0;
        }

        foreach (ref var tail in _tails.AsSpan())
        {
            if (tail.Count > 0)
            {
                // The level's head and unacknowledged messages all come before its tail: the range is only the tail.
                tail.Log.DropTail(tail.Cursor, tail.FirstSequence, _nextSequence - 1);
                tail.Count = 0;
            }
        }

        _tailCount = 0;
        _tailEpoch++;
        return dropped;
    }

    /// <summary>One level's log and its tail: messages in the log, not in memory, read from Cursor on.</summary>
    private struct TailLevel
    {
        public IQueueLog Log;
        public long Count;
        public LogPosition Cursor;
        public long FirstSequence;
    }
}
