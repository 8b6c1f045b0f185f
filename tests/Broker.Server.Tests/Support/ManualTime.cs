namespace Broker.Server.Tests.Support;

/// <summary>A clock that moves only when the test says: heartbeats and timeouts without waiting.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _milliseconds = 1_000_000;

    public override long TimestampFrequency => 1000;

    public long NowMs => Interlocked.Read(ref _milliseconds);

    public override long GetTimestamp() => NowMs;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _milliseconds, (long)by.TotalMilliseconds);
}
