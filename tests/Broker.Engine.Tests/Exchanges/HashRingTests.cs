using Broker.Engine.Exchanges.ConsistentHash;

namespace Broker.Engine.Tests.Exchanges;

/// <summary>
/// The consistent-hash exchange's ring on its own: stable, proportional to weight, and moving only
/// the keys it must when a member joins or leaves.
/// </summary>
public class HashRingTests
{
    private const int KeyCount = 10_000;

    private static readonly ulong[] Keys = [.. Enumerable.Range(0, KeyCount).Select(i => StableHash.Of(System.Text.Encoding.UTF8.GetBytes($"order-{i}")))];

    private static HashRing<string> Ring(params (string Member, long Weight)[] members)
    {
        var ring = new HashRing<string>();
        foreach (var (member, weight) in members)
        {
            Assert.True(ring.Add(member, weight));
        }

        return ring;
    }

    private static string[] Owners(HashRing<string> ring) => [.. Keys.Select(k => ring.Find(k)!)];

    [Fact]
    public void An_empty_ring_finds_nothing()
    {
        Assert.Null(new HashRing<string>().Find(42));
    }

    [Fact]
    public void The_same_key_finds_the_same_member_every_time_and_in_an_identical_ring()
    {
        var ring = Ring(("a", 1), ("b", 2), ("c", 3));
        var first = Owners(ring);

        Assert.Equal(first, Owners(ring));
        Assert.Equal(first, Owners(Ring(("a", 1), ("b", 2), ("c", 3))));
    }

    [Fact]
    public void The_hash_of_a_key_is_the_same_in_every_process()
    {
        // Pinned values (computed apart from this code, from FNV-1a, fmix64 and Lamping and Veach's jump hash):
        // a key must reach the same queue after a restart or on another machine.
        Assert.Equal(StableHash.Of("order-1"u8), StableHash.Of("order-1"u8));
        Assert.NotEqual(StableHash.Of("order-1"u8), StableHash.Of("order-2"u8));
        Assert.Equal(0x491B422E3AF0D9A5UL, StableHash.Of("order-1"u8));
        Assert.Equal(4, HashRing<string>.JumpHash(StableHash.Of("order-1"u8), 10));
    }

    [Theory]
    [InlineData(new long[] { 1, 1, 1, 1 })]
    [InlineData(new long[] { 1, 2, 3, 4 })]
    [InlineData(new long[] { 10, 90 })]
    [InlineData(new long[] { 100, 1, 1000 })]
    public void Members_get_shares_of_the_keys_in_proportion_to_their_weights(long[] weights)
    {
        var ring = Ring([.. weights.Select((w, i) => ($"m{i}", w))]);
        var counts = Owners(ring).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var total = weights.Sum();

        for (var i = 0; i < weights.Length; i++)
        {
            var expected = (double)weights[i] / total;
            var actual = counts.GetValueOrDefault($"m{i}") / (double)KeyCount;

            // 10,000 keys: one standard deviation is at most 0.5 percentage points.
            Assert.InRange(actual, expected - 0.02, expected + 0.02);
        }
    }

    [Fact]
    public void A_member_joining_takes_only_its_share_and_moves_no_key_between_the_others()
    {
        var ring = Ring(("a", 1), ("b", 1), ("c", 1), ("d", 1));
        var before = Owners(ring);

        ring.Add("e", 1);
        var after = Owners(ring);

        var moved = 0;
        for (var i = 0; i < KeyCount; i++)
        {
            if (before[i] != after[i])
            {
                Assert.Equal("e", after[i]);
                moved++;
            }
        }

        Assert.InRange(moved / (double)KeyCount, 0.18, 0.22);
    }

    [Fact]
    public void A_heavy_member_joining_takes_its_weights_share()
    {
        var ring = Ring(("a", 3), ("b", 3));
        var before = Owners(ring);

        ring.Add("c", 4);
        var after = Owners(ring);

        var moved = Enumerable.Range(0, KeyCount).Count(i => before[i] != after[i]);
        Assert.All(Enumerable.Range(0, KeyCount).Where(i => before[i] != after[i]), i => Assert.Equal("c", after[i]));
        Assert.InRange(moved / (double)KeyCount, 0.38, 0.42);
    }

    [Fact]
    public void The_last_member_leaving_moves_only_its_own_keys()
    {
        var ring = Ring(("a", 1), ("b", 1), ("c", 1), ("d", 1));
        var before = Owners(ring);

        Assert.True(ring.Remove("d"));
        var after = Owners(ring);

        for (var i = 0; i < KeyCount; i++)
        {
            if (before[i] != "d")
            {
                Assert.Equal(before[i], after[i]);
            }
        }
    }

    [Fact]
    public void A_member_leaving_and_joining_again_at_the_end_restores_every_key()
    {
        var ring = Ring(("a", 1), ("b", 2), ("c", 1));
        var before = Owners(ring);

        ring.Remove("c");
        ring.Add("c", 1);

        Assert.Equal(before, Owners(ring));
    }

    [Fact]
    public void A_member_leaving_from_the_middle_closes_the_gap_and_keeps_the_others_proportional()
    {
        var ring = Ring(("a", 1), ("b", 5), ("c", 1));

        Assert.True(ring.Remove("b"));

        Assert.Equal(2, ring.BucketCount);
        var counts = Owners(ring).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["a", "c"], counts.Keys.Order());
        Assert.InRange(counts["a"] / (double)KeyCount, 0.48, 0.52);
    }

    [Fact]
    public void A_member_is_on_the_ring_once()
    {
        var ring = Ring(("a", 1));

        Assert.False(ring.Add("a", 5));
        Assert.Equal(1, ring.BucketCount);
        Assert.True(ring.Remove("a"));
        Assert.False(ring.Remove("a"));
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void Weights_as_large_as_a_binding_allows_cost_no_memory_and_still_split_keys()
    {
        var ring = Ring(("a", int.MaxValue), ("b", int.MaxValue));

        var counts = Owners(ring).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(counts["a"] / (double)KeyCount, 0.48, 0.52);
    }

    [Fact]
    public void Jump_hash_stays_in_range_and_growing_moves_keys_only_into_new_buckets()
    {
        foreach (var key in Keys.Take(2000))
        {
            var previous = HashRing<string>.JumpHash(key, 1);
            Assert.Equal(0, previous);
            for (var buckets = 2; buckets <= 40; buckets++)
            {
                var bucket = HashRing<string>.JumpHash(key, buckets);
                Assert.InRange(bucket, 0, buckets - 1);
                Assert.True(bucket == previous || bucket == buckets - 1);
                previous = bucket;
            }
        }
    }
}
