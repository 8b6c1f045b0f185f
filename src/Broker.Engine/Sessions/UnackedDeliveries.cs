using Broker.Engine.Queues;

namespace Broker.Engine.Sessions;

/// <summary>A delivery waiting for its ack: which queue it came from and which consumer got it.</summary>
public readonly struct UnackedDelivery
{
    public UnackedDelivery(ulong tag, MessageQueue queue, QueueEntry entry, Consumer? consumer)
    {
        Tag = tag;
        Queue = queue;
        Entry = entry;
        Consumer = consumer;
    }

    public ulong Tag { get; }

    public MessageQueue Queue { get; }

    public QueueEntry Entry { get; }

    /// <summary>Null for basic.get deliveries, which prefetch does not count.</summary>
    public Consumer? Consumer { get; }
}

/// <summary>
/// A session's unacknowledged deliveries in delivery-tag order. Tags only grow, so this is a ring
/// buffer: acks usually take from the head, an out-of-order ack leaves a hole that is skipped later.
/// Guarded by the session's lock.
/// </summary>
internal sealed class UnackedDeliveries
{
    private UnackedDelivery[] _items = new UnackedDelivery[16];
    private bool[] _removed = new bool[16];
    private int _head;
    private int _span;

    public int Count { get; private set; }

    public void Add(in UnackedDelivery delivery)
    {
        if (_span == _items.Length)
        {
            Compact(grow: Count * 2 >= _items.Length);
        }

        var index = (_head + _span) & (_items.Length - 1);
        _items[index] = delivery;
        _removed[index] = false;
        _span++;
        Count++;
    }

    public bool Contains(ulong tag) => IndexOf(tag) >= 0;

    /// <summary>The tag of the oldest unacknowledged delivery; false when there is none.</summary>
    public bool TryGetOldestTag(out ulong tag)
    {
        // The head is live: removals trim it.
        tag = Count == 0 ? 0 : _items[_head].Tag;
        return Count > 0;
    }

    /// <summary>Removes one delivery by tag.</summary>
    public bool TryRemove(ulong tag, out UnackedDelivery delivery)
    {
        var position = IndexOf(tag);
        if (position < 0)
        {
            delivery = default;
            return false;
        }

        delivery = RemoveAt(position);
        TrimHead();
        return true;
    }

    /// <summary>Removes every delivery with a tag up to and including <paramref name="tag"/>, in tag order.</summary>
    public void RemoveUpTo(ulong tag, List<UnackedDelivery> removed)
    {
        var mask = _items.Length - 1;
        for (var i = 0; i < _span; i++)
        {
            var index = (_head + i) & mask;
            if (_removed[index])
            {
                continue;
            }

            if (_items[index].Tag > tag)
            {
                break;
            }

            removed.Add(RemoveAt(i));
        }

        TrimHead();
    }

    public void RemoveAll(List<UnackedDelivery> removed) => RemoveUpTo(ulong.MaxValue, removed);

    /// <summary>Puts deliveries back (a rolled-back transaction's acks), keeping tag order.</summary>
    public void Restore(List<UnackedDelivery> deliveries)
    {
        if (deliveries.Count == 0)
        {
            return;
        }

        List<UnackedDelivery> all = [];
        RemoveAll(all);
        all.AddRange(deliveries);
        all.Sort(static (a, b) => a.Tag.CompareTo(b.Tag));
        foreach (var delivery in all)
        {
            Add(delivery);
        }
    }

    private UnackedDelivery RemoveAt(int position)
    {
        var index = (_head + position) & (_items.Length - 1);
        var delivery = _items[index];
        _items[index] = default;
        _removed[index] = true;
        Count--;
        return delivery;
    }

    private void TrimHead()
    {
        var mask = _items.Length - 1;
        while (_span > 0 && _removed[_head])
        {
            _removed[_head] = false;
            _head = (_head + 1) & mask;
            _span--;
        }
    }

    private int IndexOf(ulong tag)
    {
        // Binary search over the live window; holes keep their neighbours' ordering.
        int low = 0, high = _span - 1;
        var mask = _items.Length - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var probe = mid;

            // Step over holes to a live entry to compare against.
            while (probe <= high && _removed[(_head + probe) & mask])
            {
                probe++;
            }

            if (probe > high)
            {
                high = mid - 1;
                continue;
            }

            var found = _items[(_head + probe) & mask].Tag;
            if (found == tag)
            {
                return probe;
            }

            if (found < tag)
            {
                low = probe + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return -1;
    }

    private void Compact(bool grow)
    {
        var size = grow ? _items.Length * 2 : _items.Length;
        var items = new UnackedDelivery[size];
        var removed = new bool[size];
        var mask = _items.Length - 1;
        var count = 0;
        for (var i = 0; i < _span; i++)
        {
            var index = (_head + i) & mask;
            if (!_removed[index])
            {
                items[count++] = _items[index];
            }
        }

        _items = items;
        _removed = removed;
        _head = 0;
        _span = count;
    }
}
