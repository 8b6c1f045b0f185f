namespace Broker.Engine.Queues.Stream;

/// <summary>
/// What a stream keeps: x-max-length-bytes and x-max-age bound it (from its arguments or its policy),
/// checked when a segment fills (as RabbitMQ's osiris does), and whole segments of
/// x-stream-max-segment-size-bytes go, oldest first.
/// </summary>
public sealed record StreamRetention(long MaxBytes, long MaxAgeMilliseconds, long SegmentSize)
{
    /// <summary>RabbitMQ's default segment size: 500 MB.</summary>
    public const long DefaultSegmentSize = 500_000_000;
}
