using System.Text;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// A consumer's x-stream-filter (one value or an array of them) and x-stream-match-unfiltered: which
/// messages, by the x-stream-filter-value header their publisher set, it receives. RabbitMQ filters
/// whole chunks with a Bloom filter and leaves the rest to the client; here each message is checked,
/// so a filtered consumer receives exactly the messages that match.
/// </summary>
public sealed class StreamFilter
{
    private readonly byte[][] _values;
    private readonly bool _matchUnfiltered;

    private StreamFilter(byte[][] values, bool matchUnfiltered)
    {
        _values = values;
        _matchUnfiltered = matchUnfiltered;
    }

    /// <summary>The consumer's filter, or null when it filters nothing.</summary>
    public static StreamFilter? FromArguments(FieldTable arguments)
    {
        var values = new List<byte[]>();
        switch (arguments["x-stream-filter"])
        {
            case byte[] one:
                values.Add(one);
                break;
            case string one:
                values.Add(Encoding.UTF8.GetBytes(one));
                break;
            case List<object?> many:
                foreach (var item in many)
                {
                    if (item is byte[] bytes)
                    {
                        values.Add(bytes);
                    }
                    else if (item is string text)
                    {
                        values.Add(Encoding.UTF8.GetBytes(text));
                    }
                }

                break;
            default:
                return null;
        }

        return new StreamFilter([.. values], arguments["x-stream-match-unfiltered"] is true);
    }

    public bool Matches(ReadOnlySpan<byte> encodedProperties)
    {
        var properties = MessageProperties.Parse(encodedProperties);
        if (!properties.HasHeaders || !FieldTableCodec.TryGetLongString(properties.HeadersBody, "x-stream-filter-value"u8, out var value))
        {
            return _matchUnfiltered;
        }

        foreach (var wanted in _values)
        {
            if (value.SequenceEqual(wanted))
            {
                return true;
            }
        }

        return false;
    }
}
