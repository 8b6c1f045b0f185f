namespace Broker.Benchmarks.Clients;

/// <summary>
/// Publisher-confirm bookkeeping shared by both clients: a window of unconfirmed messages and counts
/// of acked and nacked ones. Delivery tags are 1, 2, 3... in publish order (one publishing task).
/// </summary>
internal sealed class ConfirmTracker(int window)
{
    private readonly SemaphoreSlim _window = new(window, window);
    private readonly HashSet<ulong> _outOfOrder = [];
    private readonly Lock _lock = new();
    private ulong _contiguous;
    private long _acked;
    private long _nacked;

    public int Window { get; } = window;

    public long Acked => Interlocked.Read(ref _acked);

    public long Nacked => Interlocked.Read(ref _nacked);

    /// <summary>Waits for one free slot, then takes up to max-1 more without waiting; returns how many were taken.</summary>
    public async ValueTask<int> AcquireAsync(int max, CancellationToken ct)
    {
        await _window.WaitAsync(ct);
        var n = 1;
        while (n < max && _window.Wait(0, CancellationToken.None))
        {
            n++;
        }

        return n;
    }

    /// <summary>Handles basic.ack / basic.nack from the broker.</summary>
    public void Resolve(ulong tag, bool multiple, bool nack)
    {
        long n = 0;
        lock (_lock)
        {
            if (multiple)
            {
                if (tag > _contiguous)
                {
                    var already = _outOfOrder.RemoveWhere(t => t <= tag);
                    n = (long)(tag - _contiguous) - already;
                    _contiguous = tag;
                }
            }
            else if (tag == _contiguous + 1)
            {
                _contiguous = tag;
                n = 1;
            }
            else if (tag > _contiguous && _outOfOrder.Add(tag))
            {
                n = 1;
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
}
