using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;

namespace Broker.Engine.Queues.Stream;

/// <summary>Where a stream consumer starts, from its x-stream-offset argument (next when absent).</summary>
public readonly record struct StreamOffsetSpec(StreamOffsetKind Kind, long Value)
{
    /// <summary>
    /// Reads x-stream-offset as rabbit_stream_queue:parse_offset_arg does: first, last, next, an AMQP
    /// timestamp (seconds), an interval string such as "1h" (that long before
    /// <paramref name="nowMilliseconds"/>), or any integer as an offset. Anything else is a 406.
    /// </summary>
    public static EngineError Parse(FieldTable arguments, string resource, long nowMilliseconds, out StreamOffsetSpec spec)
    {
        spec = new StreamOffsetSpec(StreamOffsetKind.Next, 0);
        if (!arguments.TryGetValue("x-stream-offset", out var value))
        {
            return EngineError.None;
        }

        switch (value)
        {
            case AmqpTimestamp timestamp:
                spec = new StreamOffsetSpec(StreamOffsetKind.Timestamp, (long)Math.Min(timestamp.UnixSeconds, long.MaxValue / 1000) * 1000);
                return EngineError.None;
            case byte[] or string:
                var text = FieldValues.AsString(value)!;
                switch (text)
                {
                    case "first":
                        spec = new StreamOffsetSpec(StreamOffsetKind.First, 0);
                        return EngineError.None;
                    case "last":
                        spec = new StreamOffsetSpec(StreamOffsetKind.Last, 0);
                        return EngineError.None;
                    case "next":
                        return EngineError.None;
                }

                if (!MaxAge.TryParse(text, out var interval))
                {
                    return Failed(resource, "invalid_max_age");
                }

                spec = new StreamOffsetSpec(StreamOffsetKind.Timestamp, nowMilliseconds - interval);
                return EngineError.None;
        }

        if (value is not bool && FieldValues.AsInteger(value) is { } offset)
        {
            spec = new StreamOffsetSpec(StreamOffsetKind.Offset, offset);
            return EngineError.None;
        }

        return Failed(resource, $"{{invalid_offset_arg,{FieldValues.TypeName(value)}}}");
    }

    private static EngineError Failed(string resource, string reason) =>
        EngineError.PreconditionFailed($"failed consuming from stream {resource}: {reason}");
}

public enum StreamOffsetKind : byte
{
    First,
    Last,
    Next,

    /// <summary>A numeric offset: from there, or the nearest end of what the stream holds.</summary>
    Offset,

    /// <summary>From the first message appended at or after <see cref="StreamOffsetSpec.Value"/> (Unix ms).</summary>
    Timestamp,
}
