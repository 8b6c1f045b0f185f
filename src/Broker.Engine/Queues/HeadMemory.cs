namespace Broker.Engine.Queues;

/// <summary>
/// Bytes of message bodies all queues hold in memory (their heads). Past the limit, queues put new
/// messages in their on-disk tails instead, so a backlog never has to fit in memory.
/// </summary>
public sealed class HeadMemory
{
    private long _used;

    public HeadMemory(long limit)
    {
        Limit = limit;
    }

    public long Limit { get; set; }

    public long Used => Interlocked.Read(ref _used);

    public bool HasRoom => Interlocked.Read(ref _used) < Limit;

    public void Add(long bytes) => Interlocked.Add(ref _used, bytes);
}
