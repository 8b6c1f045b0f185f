namespace Broker.Engine.Exchanges.ConsistentHash;

/// <summary>
/// The consistent-hash exchange's ring, as rabbit_exchange_type_consistent_hash keeps it: each member
/// owns a run of consecutive buckets as long as its weight, in the order members joined, and a key
/// picks a bucket with jump consistent hashing (Lamping and Veach, 2014). A key keeps its bucket
/// while the members do not change; a member joining at the end takes only keys that now land in
/// its new buckets, its weight's share of them. A member leaving closes its gap: the runs after it
/// move down, as RabbitMQ's do. Runs are stored, not buckets, so a weight costs no memory.
/// Not thread-safe: the exchange's lock guards it.
/// </summary>
internal sealed class HashRing<TMember>
    where TMember : class
{
    private readonly List<Run> _runs = [];

    /// <summary>The sum of the members' weights.</summary>
    public long BucketCount { get; private set; }

    public int Count => _runs.Count;

    /// <summary>Appends <paramref name="member"/> with <paramref name="weight"/> buckets; false if it is already a member.</summary>
    public bool Add(TMember member, long weight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        if (IndexOf(member) >= 0)
        {
            return false;
        }

        _runs.Add(new Run(member, BucketCount, weight));
        BucketCount += weight;
        return true;
    }

    /// <summary>Removes <paramref name="member"/>'s buckets and moves the later runs down; false if it was not a member.</summary>
    public bool Remove(TMember member)
    {
        var index = IndexOf(member);
        if (index < 0)
        {
            return false;
        }

        var weight = _runs[index].Weight;
        _runs.RemoveAt(index);
        for (var i = index; i < _runs.Count; i++)
        {
            _runs[i] = _runs[i] with { First = _runs[i].First - weight };
        }

        BucketCount -= weight;
        return true;
    }

    /// <summary>The member owning <paramref name="key"/>'s bucket; null when the ring is empty.</summary>
    public TMember? Find(ulong key)
    {
        if (_runs.Count == 0)
        {
            return null;
        }

        var bucket = JumpHash(key, BucketCount);

        // The last run starting at or before the bucket owns it.
        int low = 0, high = _runs.Count - 1;
        while (low < high)
        {
            var middle = (low + high + 1) >>> 1;
            if (_runs[middle].First <= bucket)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return _runs[low].Member;
    }

    /// <summary>
    /// Jump consistent hash: a bucket in [0, <paramref name="buckets"/>) for a 64-bit key. Growing the
    /// bucket count from n to m moves a key only into buckets n..m-1, each key with probability (m-n)/m.
    /// </summary>
    public static long JumpHash(ulong key, long buckets)
    {
        long bucket = 0;
        double next = 0;
        while (next < buckets)
        {
            bucket = (long)next;
            key = (key * 2862933555777941757UL) + 1;
            // In doubles, so a jump past a count beyond 2^53 ends the loop instead of overflowing.
            next = (bucket + 1) * (2147483648.0 / ((key >> 33) + 1));
        }

        return bucket;
    }

    private int IndexOf(TMember member)
    {
        for (var i = 0; i < _runs.Count; i++)
        {
            if (ReferenceEquals(_runs[i].Member, member))
            {
                return i;
            }
        }

        return -1;
    }

    private readonly record struct Run(TMember Member, long First, long Weight);
}
