namespace Broker.Engine.Monitoring;

/// <summary>
/// What publishers on one channel did: published, confirmed, returned or dropped as unroutable. Written
/// only by the channel's connection thread (plain increments, read racily by monitoring); a closed
/// channel's counters are added to <see cref="ClientRegistry.Retired"/> so totals never go down.
/// </summary>
public sealed class ChannelStats
{
    private long _published;
    private long _confirmed;
    private long _returnedUnroutable;
    private long _droppedUnroutable;

    public long Published => Volatile.Read(ref _published);

    public long Confirmed => Volatile.Read(ref _confirmed);

    public long ReturnedUnroutable => Volatile.Read(ref _returnedUnroutable);

    public long DroppedUnroutable => Volatile.Read(ref _droppedUnroutable);

    public void OnPublished() => Volatile.Write(ref _published, _published + 1);

    public void OnConfirmed(long count) => Volatile.Write(ref _confirmed, _confirmed + count);

    public void OnUnroutable(bool returned)
    {
        if (returned)
        {
            Volatile.Write(ref _returnedUnroutable, _returnedUnroutable + 1);
        }
        else
        {
            Volatile.Write(ref _droppedUnroutable, _droppedUnroutable + 1);
        }
    }

    /// <summary>Adds another channel's counters (from any thread).</summary>
    public void Add(ChannelStats other)
    {
        Interlocked.Add(ref _published, other.Published);
        Interlocked.Add(ref _confirmed, other.Confirmed);
        Interlocked.Add(ref _returnedUnroutable, other.ReturnedUnroutable);
        Interlocked.Add(ref _droppedUnroutable, other.DroppedUnroutable);
    }
}
