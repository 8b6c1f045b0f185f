namespace Broker.Server.Channels;

/// <summary>
/// Publisher confirms of one channel: sequence numbers from 1, and which are confirmed but not yet
/// acknowledged to the client. Acks are coalesced as RabbitMQ's rabbit_channel does: everything below
/// the oldest still-unconfirmed publish goes out as one ack with multiple=true, the rest one by one.
/// Guarded by the channel's lock.
/// </summary>
internal sealed class ConfirmTracker
{
    // Publishes waiting for their confirm, in sequence order (they are added in order and mostly
    // confirmed in order): a ring of sequence numbers with a done flag, trimmed from the front.
    private ulong[] _pending = new ulong[64];
    private bool[] _done = new bool[64];
    private int _head;
    private int _count;
    private readonly List<ulong> _toAck = [];
    private readonly List<ulong> _toNack = [];
    private ulong _nextSequence = 1;

    /// <summary>Publishes not yet confirmed (the management API's messages_unconfirmed).</summary>
    public int Unconfirmed => _count;

    public bool HasWork => _toAck.Count > 0 || _toNack.Count > 0;

    public ulong Next() => _nextSequence++;

    /// <summary>A publish that waits for something (routing, disk) before it can be confirmed.</summary>
    public void AddUnconfirmed(ulong sequence)
    {
        if (_count == _pending.Length)
        {
            Grow();
        }

        var at = (_head + _count) & (_pending.Length - 1);
        _pending[at] = sequence;
        _done[at] = false;
        _count++;
    }

    public void Confirm(ulong sequence)
    {
        Settle(sequence);
        _toAck.Add(sequence);
    }

    public void Reject(ulong sequence)
    {
        Settle(sequence);
        _toNack.Add(sequence);
    }

    /// <summary>Computes the acks and nacks to send now and forgets them.</summary>
    public void Drain(List<(ulong Tag, bool Multiple, bool Ack)> frames)
    {
        var cutoff = _count == 0 ? ulong.MaxValue : _pending[_head];
        foreach (var nack in _toNack)
        {
            cutoff = Math.Min(cutoff, nack);
        }

        _toAck.Sort();
        var below = 0;
        while (below < _toAck.Count && _toAck[below] < cutoff)
        {
            below++;
        }

        if (below > 0)
        {
            frames.Add((_toAck[below - 1], true, true));
        }

        for (var i = below; i < _toAck.Count; i++)
        {
            frames.Add((_toAck[i], false, true));
        }

        _toNack.Sort();
        foreach (var nack in _toNack)
        {
            frames.Add((nack, false, false));
        }

        _toAck.Clear();
        _toNack.Clear();
    }

    private void Settle(ulong sequence)
    {
        var mask = _pending.Length - 1;

        // Usually the oldest; else binary search the ring (sequence numbers increase along it).
        int low = 0, high = _count - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var value = _pending[(_head + mid) & mask];
            if (value == sequence)
            {
                found = mid;
                break;
            }

            if (value < sequence)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        if (found < 0)
        {
            return;
        }

        _done[(_head + found) & mask] = true;
        while (_count > 0 && _done[_head])
        {
            _done[_head] = false;
            _head = (_head + 1) & mask;
            _count--;
        }
    }

    private void Grow()
    {
        var pending = new ulong[_pending.Length * 2];
        var done = new bool[_pending.Length * 2];
        var mask = _pending.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            pending[i] = _pending[(_head + i) & mask];
            done[i] = _done[(_head + i) & mask];
        }

        _pending = pending;
        _done = done;
        _head = 0;
    }
}
