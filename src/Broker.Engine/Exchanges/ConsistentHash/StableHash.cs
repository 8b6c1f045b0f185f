namespace Broker.Engine.Exchanges.ConsistentHash;

/// <summary>
/// A 64-bit hash that is the same in every process and on every machine (unlike string.GetHashCode),
/// so a key reaches the same queue after a restart: FNV-1a over the bytes, then MurmurHash3's
/// finaliser, because jump hashing feeds on the high bits and FNV-1a mixes them poorly for short keys.
/// </summary>
internal static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    /// <summary>The key of a message that lacks the hashed header or property: all such messages go to one queue, as in RabbitMQ.</summary>
    public static ulong Absent { get; } = Finish(OffsetBasis ^ 0xA5);

    public static ulong Of(ReadOnlySpan<byte> bytes) => Finish(Add(OffsetBasis, bytes));

    /// <summary>A tagged value: the tag keeps a header's string "1" and integer 1 apart.</summary>
    public static ulong Of(byte tag, ReadOnlySpan<byte> bytes) => Finish(Add((OffsetBasis ^ tag) * Prime, bytes));

    private static ulong Add(ulong hash, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }

    private static ulong Finish(ulong hash)
    {
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }
}
