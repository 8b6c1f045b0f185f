namespace Broker.Server.Hosting;

/// <summary>
/// Milliseconds for the server's timeouts (heartbeats, handshake, close, consumer timeout), from a
/// <see cref="TimeProvider"/> so conversation tests can move time by hand.
/// </summary>
internal sealed class ServerClock(TimeProvider time)
{
    public static readonly ServerClock System = new(TimeProvider.System);

    private readonly long _ticksPerMillisecond = Math.Max(1, time.TimestampFrequency / 1000);

    /// <summary>A monotonic count of milliseconds (not wall-clock time).</summary>
    public long NowMs => time.GetTimestamp() / _ticksPerMillisecond;
}
