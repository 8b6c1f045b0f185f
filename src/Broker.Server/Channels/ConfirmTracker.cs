namespace Broker.Server.Channels;

/// <summary>
/// Publisher confirms of one channel: sequence numbers from 1, and which are confirmed but not yet
/// acknowledged to the client. Acks are coalesced as RabbitMQ's rabbit_channel does: everything below
/// the oldest still-unconfirmed publish goes out as one ack with multiple=true, the rest one by one.
/// </summary>
internal sealed class ConfirmTracker
{
    private readonly SortedSet<ulong> _unconfirmed = [];
    private readonly List<ulong> _toAck = [];
    private readonly List<ulong> _toNack = [];
    private ulong _nextSequence = 1;

    public bool HasWork => _toAck.Count > 0 || _toNack.Count > 0;

    public ulong Next() => _nextSequence++;

    /// <summary>A publish that waits for something (disk) before it can be confirmed.</summary>
    public void AddUnconfirmed(ulong sequence) => _unconfirmed.Add(sequence);

    public void Confirm(ulong sequence)
    {
        _unconfirmed.Remove(sequence);
        _toAck.Add(sequence);
    }

    public void Reject(ulong sequence)
    {
        _unconfirmed.Remove(sequence);
        _toNack.Add(sequence);
    }

    /// <summary>Computes the acks and nacks to send now and forgets them.</summary>
    public void Drain(List<(ulong Tag, bool Multiple, bool Ack)> frames)
    {
        var cutoff = _unconfirmed.Count == 0 ? ulong.MaxValue : _unconfirmed.Min;
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
}
