namespace Broker.Engine.Queues.Classic;

/// <summary>
/// A queue's ready messages in memory: one FIFO list, or one per priority level for a queue with
/// x-max-priority (highest level first, FIFO within a level; a message's level is its priority
/// capped at the maximum, no priority being 0).
/// </summary>
internal sealed class ReadySet
{
    private readonly ReadyList[] _levels;
    private int _count;

    public ReadySet(HeadMemory memory, byte maxPriority)
    {
        _levels = new ReadyList[maxPriority + 1];
        for (var i = 0; i < _levels.Length; i++)
        {
            _levels[i] = new ReadyList(memory);
        }
    }

    public int Count => _count;

    public long Bytes
    {
        get
        {
            if (_levels.Length == 1)
            {
                return _levels[0].Bytes;
            }

            long bytes = 0;
            foreach (var level in _levels)
            {
                bytes += level.Bytes;
            }

            return bytes;
        }
    }

    public bool HasPriorities => _levels.Length > 1;

    public void Append(in QueueEntry entry)
    {
        _levels[LevelOf(entry)].Append(entry);
        _count++;
    }

    public void InsertOrdered(in QueueEntry entry)
    {
        _levels[LevelOf(entry)].InsertOrdered(entry);
        _count++;
    }

    /// <summary>The next message to deliver. Only when <see cref="Count"/> is not 0.</summary>
    public ref readonly QueueEntry PeekHead() => ref HeadLevel().PeekHead();

    public QueueEntry TakeHead()
    {
        _count--;
        return HeadLevel().TakeHead();
    }

    /// <summary>Takes the oldest message of any level (x-overflow drop-head drops the oldest, not the most urgent).</summary>
    public QueueEntry TakeOldest()
    {
        ReadyList? oldest = null;
        foreach (var level in _levels)
        {
            if (level.Count > 0 && (oldest is null || level.PeekHead().Sequence < oldest.PeekHead().Sequence))
            {
                oldest = level;
            }
        }

        _count--;
        return oldest!.TakeHead();
    }

    /// <summary>Takes expired messages from the head of each level; RabbitMQ expires only at the head.</summary>
    public void TakeExpired(long now, List<QueueEntry> expired)
    {
        foreach (var level in _levels)
        {
            while (level.Count > 0 && level.PeekHead().ExpiresAt <= now)
            {
                expired.Add(level.TakeHead());
                _count--;
            }
        }
    }

    /// <summary>The earliest expiry among the level heads, or <see cref="QueueEntry.NoExpiry"/>.</summary>
    public long NextExpiry()
    {
        var next = QueueEntry.NoExpiry;
        foreach (var level in _levels)
        {
            if (level.Count > 0)
            {
                next = Math.Min(next, level.PeekHead().ExpiresAt);
            }
        }

        return next;
    }

    public int Clear(Action<QueueEntry> onRemoved)
    {
        var removed = 0;
        foreach (var level in _levels)
        {
            removed += level.Clear(onRemoved);
        }

        _count = 0;
        return removed;
    }

    private int LevelOf(in QueueEntry entry) => _levels.Length == 1 ? 0 : Math.Min(entry.Message.Priority, _levels.Length - 1);

    private ReadyList HeadLevel()
    {
        for (var i = _levels.Length - 1; i > 0; i--)
        {
            if (_levels[i].Count > 0)
            {
                return _levels[i];
            }
        }

        return _levels[0];
    }
}
