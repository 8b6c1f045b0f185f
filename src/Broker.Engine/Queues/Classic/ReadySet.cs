using Broker.Engine.Messages;

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
    public ref readonly QueueEntry PeekHead() => ref HeadList().PeekHead();

    public QueueEntry TakeHead()
    {
        _count--;
        return HeadList().TakeHead();
    }

    /// <summary>Levels: 1 without priorities, x-max-priority + 1 with.</summary>
    public int Levels => _levels.Length;

    /// <summary>The highest level holding messages (0 when all are empty): where <see cref="PeekHead"/> looks.</summary>
    public int HeadLevel
    {
        get
        {
            for (var i = _levels.Length - 1; i > 0; i--)
            {
                if (_levels[i].Count > 0)
                {
                    return i;
                }
            }

            return 0;
        }
    }

    public int CountAt(int level) => _levels[level].Count;

    /// <summary>The head of one level. Only when <see cref="CountAt"/> is not 0.</summary>
    public ref readonly QueueEntry PeekAt(int level) => ref _levels[level].PeekHead();

    public QueueEntry TakeAt(int level)
    {
        _count--;
        return _levels[level].TakeHead();
    }

    /// <summary>A message's level: its priority capped at the maximum, no priority being 0.</summary>
    public int LevelOf(Message message) => _levels.Length == 1 ? 0 : Math.Min(message.Priority, _levels.Length - 1);

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

    private int LevelOf(in QueueEntry entry) => LevelOf(entry.Message);

    private ReadyList HeadList() => _levels.Length == 1 ? _levels[0] : _levels[HeadLevel];
}
