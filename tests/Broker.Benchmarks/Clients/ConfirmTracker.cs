using System.Diagnostics;

namespace Broker.Benchmarks.Clients;

/// <summary>
/// Publisher-confirm bookkeeping shared by both clients: a window of unconfirmed messages and counts
/// of acked and nacked ones. Delivery tags are 1, 2, 3... in publish order (one publishing task).
/// While a <see cref="LatencyHistogram"/> is attached it also records, for every confirmed message,
/// the time from taking its window slot (right before the publish call) to its basic.ack.
/// </summary>
internal sealed class ConfirmTracker
{
    private readonly SemaphoreSlim _window;
    private readonly HashSet<ulong> _outOfOrder = [];
    private readonly Lock _lock = new();

    // Publish time of each tag in flight, indexed by tag & _mask (at most Window tags are in flight).
    private readonly long[] _sentAt;
    private readonly ulong _mask;
    private ulong _nextTag;
    private ulong _contiguous;
    private long _acked;
    private long _nacked;
    private LatencyHistogram? _latency;

    public ConfirmTracker(int window)
    {
        Window = window;
        _window = new SemaphoreSlim(window, window);
        var size = (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)window * 2));
        _sentAt = new long[size];
        _mask = (ulong)size - 1;
    }

    public int Window { get; }

    public long Acked => Interlocked.Read(ref _acked);

    public long Nacked => Interlocked.Read(ref _nacked);

    /// <summary>Acked plus nacked.</summary>
    public long Resolved => Acked + Nacked;

    /// <summary>Starts (a histogram) or stops (null) recording publish-to-confirm latencies.</summary>
    public void RecordLatencies(LatencyHistogram? histogram)
    {
        lock (_lock)
        {
            _latency = histogram;
        }
    }

    /// <summary>Waits for one free slot, then takes up to max-1 more without waiting; returns how many were taken.</summary>
    public async ValueTask<int> AcquireAsync(int max, CancellationToken ct)
    {
        await _window.WaitAsync(ct);
        var n = 1;
        while (n < max && _window.Wait(0, CancellationToken.None))
        {
            n++;
        }

        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            Volatile.Write(ref _sentAt[++_nextTag & _mask], now);
        }

        return n;
    }

    /// <summary>Handles basic.ack / basic.nack from the broker.</summary>
    public void Resolve(ulong tag, bool multiple, bool nack)
    {
        long n = 0;
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (multiple)
            {
                for (var t = _contiguous + 1; t <= tag; t++)
                {
                    if (_outOfOrder.Count > 0 && _outOfOrder.Remove(t))
                    {
                        continue;
                    }

                    n++;
                    Observe(t, now, nack);
                }

                _contiguous = Math.Max(_contiguous, tag);
            }
            else if (tag == _contiguous + 1)
            {
                _contiguous = tag;
                n = 1;
                Observe(tag, now, nack);
            }
            else if (tag > _contiguous && _outOfOrder.Add(tag))
            {
                n = 1;
                Observe(tag, now, nack);
            }

            while (_outOfOrder.Remove(_contiguous + 1))
            {
                _contiguous++;
            }
        }

        if (n > 0)
        {
            if (nack)
            {
                Interlocked.Add(ref _nacked, n);
            }
            else
            {
                Interlocked.Add(ref _acked, n);
            }

            _window.Release((int)n);
        }
    }

    private void Observe(ulong tag, long now, bool nack)
    {
        if (_latency != null && !nack)
        {
            _latency.Record(now - Volatile.Read(ref _sentAt[tag & _mask]));
        }
    }
}

/// <summary>
/// A log-linear histogram of durations in Stopwatch ticks: exact below 128 ticks, then 64 buckets per
/// power of two (at most 1.6 % error). Not thread-safe: one writer at a time.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 64;
    private readonly long[] _counts = new long[SubBuckets * 64];
    private long _max;

    public long Count { get; private set; }

    public void Record(long ticks)
    {
        ticks = Math.Max(0, ticks);
        _counts[Index(ticks)]++;
        _max = Math.Max(_max, ticks);
        Count++;
    }

    /// <summary>The value at quantile q (0..1) in microseconds (middle of its bucket), or null when empty.</summary>
    public double? Microseconds(double q)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Clamp((long)Math.Ceiling(q * Count), 1, Count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (low, width) = Bucket(i);
                return Math.Min(low + ((width - 1) / 2.0), _max) * 1e6 / Stopwatch.Frequency;
            }
        }

        return MaxMicroseconds;
    }

    public double? MaxMicroseconds => Count == 0 ? null : _max * 1e6 / Stopwatch.Frequency;

    private static int Index(long v)
    {
        if (v < 2 * SubBuckets)
        {
            return (int)v;
        }

        var shift = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)v) - 6;
        return (shift * SubBuckets) + (int)(v >> shift);
    }

    private static (long Low, long Width) Bucket(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return (index, 1);
        }

        var shift = (index / SubBuckets) - 1;
        var mantissa = index - (shift * SubBuckets);
        return ((long)mantissa << shift, 1L << shift);
    }
}
