using System.Buffers.Binary;
using Broker.DataModel.Encoding;

namespace Broker.Engine.Exchanges.Delayed;

/// <summary>What the x-delay header asks of a delayed message exchange.</summary>
public enum DelayKind
{
    /// <summary>No delay: absent, not a number, zero, negative or beyond the longest timer. Routed at once.</summary>
    None,

    /// <summary>Held for <c>delay</c> milliseconds, then routed.</summary>
    Delayed,

    /// <summary>A string that is not an integer, or void: the plugin's channel crashes (541 INTERNAL_ERROR).</summary>
    Invalid,
}

/// <summary>
/// Reads and rewrites the x-delay header straight from the encoded headers table, as the plugin's
/// rabbit_delayed_message_utils (v3.13.0) reads it: integer types as they are, strings parsed as
/// integers, floats truncated, anything else ignored.
/// </summary>
public static class DelayHeader
{
    /// <summary>Erlang's longest timer, (2^32)-1 ms: a longer delay is routed at once, as the plugin does.</summary>
    public const long MaxDelay = 4294967295;

    private static ReadOnlySpan<byte> Name => "x-delay"u8;

    /// <summary>Finds x-delay in a headers table body and says what it asks for.</summary>
    public static DelayKind Read(ReadOnlySpan<byte> headersBody, out long delay)
    {
        delay = 0;
        if (headersBody.IsEmpty || !TryFind(headersBody, out var type, out var raw, out _, out _))
        {
            return DelayKind.None;
        }

        switch (ToInteger(type, raw, out delay))
        {
            case DelayKind.Invalid:
                return DelayKind.Invalid;
            case DelayKind.None:
                return DelayKind.None;
            default:
                return delay is > 0 and <= MaxDelay ? DelayKind.Delayed : DelayKind.None;
        }
    }

    /// <summary>
    /// The properties with x-delay replaced by a long of -<paramref name="delay"/>: what the plugin does
    /// before routing a delayed message, so it is not delayed again by a delayed exchange further on
    /// and consumers can tell it came through one. Returns the new length written to <paramref name="destination"/>.
    /// </summary>
    public static int WriteNegated(ReadOnlySpan<byte> properties, int headersBodyOffset, int headersBodyLength, long delay, Span<byte> destination)
    {
        var body = properties.Slice(headersBodyOffset, headersBodyLength);
        TryFind(body, out _, out _, out var entryStart, out var entryEnd);
        var replacement = 1 + Name.Length + 1 + 8;
        var newBodyLength = headersBodyLength - (entryEnd - entryStart) + replacement;
        var at = 0;
        properties[..(headersBodyOffset - 4)].CopyTo(destination);
        at += headersBodyOffset - 4;
        BinaryPrimitives.WriteUInt32BigEndian(destination[at..], (uint)newBodyLength);
        at += 4;
        body[..entryStart].CopyTo(destination[at..]);
        at += entryStart;
        destination[at++] = (byte)Name.Length;
        Name.CopyTo(destination[at..]);
        at += Name.Length;
        destination[at++] = (byte)'l';
        BinaryPrimitives.WriteInt64BigEndian(destination[at..], -delay);
        at += 8;
        body[entryEnd..].CopyTo(destination[at..]);
        at += body.Length - entryEnd;
        properties[(headersBodyOffset + headersBodyLength)..].CopyTo(destination[at..]);
        return at + properties.Length - headersBodyOffset - headersBodyLength;
    }

    /// <summary>How much longer <see cref="WriteNegated"/> may make the properties.</summary>
    public const int MaxGrowth = 8;

    private static bool TryFind(ReadOnlySpan<byte> table, out byte type, out ReadOnlySpan<byte> raw, out int entryStart, out int entryEnd)
    {
        var reader = new AmqpReader(table);
        while (reader.Remaining > 0)
        {
            entryStart = reader.Position;
            var name = reader.ReadShortStringBytes();
            type = reader.ReadOctet();
            if (!HeaderValue.TryReadRaw(ref reader, type, out raw))
            {
                break;
            }

            if (name.SequenceEqual(Name))
            {
                entryEnd = reader.Position;
                return true;
            }
        }

        type = 0;
        raw = default;
        entryStart = entryEnd = 0;
        return false;
    }

    /// <summary>
    /// The header's value as an integer: int, long, ubyte, short, ushort and uint as they are (a signed
    /// byte is not among the plugin's integer types); strings as Erlang's binary_to_integer reads them;
    /// floats truncated; void crashes the plugin's match; anything else means no delay.
    /// </summary>
    private static DelayKind ToInteger(byte type, ReadOnlySpan<byte> raw, out long value)
    {
        value = 0;
        switch (type)
        {
            case (byte)'I':
                value = BinaryPrimitives.ReadInt32BigEndian(raw);
                return DelayKind.Delayed;
            case (byte)'i':
                value = BinaryPrimitives.ReadUInt32BigEndian(raw);
                return DelayKind.Delayed;
            case (byte)'l':
                value = BinaryPrimitives.ReadInt64BigEndian(raw);
                return DelayKind.Delayed;
            case (byte)'s':
                value = BinaryPrimitives.ReadInt16BigEndian(raw);
                return DelayKind.Delayed;
            case (byte)'u':
                value = BinaryPrimitives.ReadUInt16BigEndian(raw);
                return DelayKind.Delayed;
            case (byte)'B':
                value = raw[0];
                return DelayKind.Delayed;
            case (byte)'f':
                return Truncate(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32BigEndian(raw)), out value);
            case (byte)'d':
                return Truncate(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(raw)), out value);
            case (byte)'S' or (byte)'x':
                return ParseInteger(raw, out value) ? DelayKind.Delayed : DelayKind.Invalid;
            case (byte)'V':
                return DelayKind.Invalid;
            default:
                return DelayKind.None;
        }
    }

    private static DelayKind Truncate(double number, out long value)
    {
        value = 0;
        if (double.IsNaN(number))
        {
            return DelayKind.None;
        }

        // Beyond a long is beyond the longest timer either way: the sign is all that matters.
        value = number >= long.MaxValue ? long.MaxValue : number <= long.MinValue ? long.MinValue : (long)Math.Truncate(number);
        return DelayKind.Delayed;
    }

    /// <summary>Erlang's binary_to_integer: an optional sign, then one or more decimal digits, nothing else.</summary>
    private static bool ParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = false;
        var at = 0;
        if (text.Length > 0 && text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == '-';
            at = 1;
        }

        if (at == text.Length)
        {
            return false;
        }

        for (; at < text.Length; at++)
        {
            var digit = text[at] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            // Erlang integers have no bound; past a long only the sign matters here (saturate).
            value = value > (long.MaxValue - digit) / 10 ? long.MaxValue : value * 10 + digit;
        }

        value = negative ? -value : value;
        return true;
    }
}
