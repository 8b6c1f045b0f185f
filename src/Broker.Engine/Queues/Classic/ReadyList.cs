namespace Broker.Engine.Queues.Classic;

/// <summary>
/// The ready messages of a queue in sequence order: a ring buffer that appends at the tail, takes from
/// the head, and inserts requeued entries at their sorted place (almost always near the head).
/// </summary>
internal sealed class ReadyList
{
    private readonly HeadMemory _memory;
    private QueueEntry[] _items = new QueueEntry[16];
    private int _head;
    private int _count;

    public ReadyList(HeadMemory memory)
    {
        _memory = memory;
    }

    public int Count => _count;

    public long Bytes { get; private set; }

    public ref readonly QueueEntry PeekHead() => ref _items[_head];

    public void Append(in QueueEntry entry)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)] = entry;
        _count++;
        Bytes += entry.Message.Size;
        _memory.Add(entry.Message.Size);
    }

    public QueueEntry TakeHead()
    {
        var entry = _items[_head];
        _items[_head] = default;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
        Bytes -= entry.Message.Size;
        _memory.Add(-entry.Message.Size);
        return entry;
    }

    /// <summary>Puts an entry back at the position its sequence number gives it.</summary>
    public void InsertOrdered(in QueueEntry entry)
    {
        if (_count == 0 || At(_count - 1).Sequence < entry.Sequence)
        {
            Append(entry);
            return;
        }

        if (_count == _items.Length)
        {
            Grow();
        }

        // Binary search for the first entry with a larger sequence number.
        int low = 0, high = _count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (At(mid).Sequence < entry.Sequence)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        // Shift the shorter side: requeues land near the head, so usually the head moves back one.
        var mask = _items.Length - 1;
        if (low < _count - low)
        {
            _head = (_head - 1) & mask;
            for (var i = 0; i < low; i++)
            {
                _items[(_head + i) & mask] = _items[(_head + i + 1) & mask];
            }
        }
        else
        {
            for (var i = _count; i > low; i--)
            {
                _items[(_head + i) & mask] = _items[(_head + i - 1) & mask];
            }
        }

        _items[(_head + low) & mask] = entry;
        _count++;
        Bytes += entry.Message.Size;
        _memory.Add(entry.Message.Size);
    }

    /// <summary>Removes every entry, handing each to <paramref name="onRemoved"/>.</summary>
    public int Clear(Action<QueueEntry> onRemoved)
    {
        var removed = _count;
        while (_count > 0)
        {
            onRemoved(TakeHead());
        }

        if (_items.Length > 1024)
        {
            _items = new QueueEntry[16];
            _head = 0;
        }

        return removed;
    }

    private ref QueueEntry At(int index) => ref _items[(_head + index) & (_items.Length - 1)];

    private void Grow()
    {
        var bigger = new QueueEntry[_items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            bigger[i] = At(i);
        }

        _items = bigger;
        _head = 0;
    }
}
