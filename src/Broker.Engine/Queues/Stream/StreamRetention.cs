using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// What a stream keeps: x-max-length-bytes and x-max-age bound it, checked when a segment fills (as
/// RabbitMQ's osiris does), and whole segments of x-stream-max-segment-size-bytes go, oldest first.
/// </summary>
public sealed record StreamRetention(long MaxBytes, long MaxAgeMilliseconds, long SegmentSize)
{
    /// <summary>RabbitMQ's default segment size: 500 MB.</summary>
    public const long DefaultSegmentSize = 500_000_000;

    public static StreamRetention FromArguments(FieldTable arguments)
    {
        var maxBytes = FieldValues.AsInteger(arguments["x-max-length-bytes"]) ?? -1;
        var maxAge = MaxAge.TryParse(FieldValues.AsString(arguments["x-max-age"]), out var age) ? age : -1;
        var segmentSize = FieldValues.AsInteger(arguments["x-stream-max-segment-size-bytes"]) is long size and > 0 ? size : DefaultSegmentSize;
        return new StreamRetention(maxBytes, maxAge, segmentSize);
    }
}
