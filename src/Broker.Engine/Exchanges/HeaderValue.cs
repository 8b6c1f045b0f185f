using System.Buffers.Binary;
using Broker.DataModel.Encoding;

namespace Broker.Engine.Exchanges;

/// <summary>
/// A header value read straight from an encoded field table, compared with a binding's value the way
/// RabbitMQ's headers exchange does (Erlang's ==), without decoding the table into objects.
/// </summary>
internal readonly ref struct HeaderValue
{
    private readonly byte _type;
    private readonly ReadOnlySpan<byte> _raw;

    private HeaderValue(byte type, ReadOnlySpan<byte> raw)
    {
        _type = type;
        _raw = raw;
    }

    /// <summary>The value's AMQP type tag ('S', 'I', 'l', ...).</summary>
    public byte Type => _type;

    /// <summary>The value's bytes as <see cref="TryReadRaw"/> describes them.</summary>
    public ReadOnlySpan<byte> Raw => _raw;

    /// <summary>Finds <paramref name="key"/> in an encoded table body.</summary>
    public static bool TryFind(ReadOnlySpan<byte> table, ReadOnlySpan<byte> key, out HeaderValue value)
    {
        var reader = new AmqpReader(table);
        while (reader.Remaining > 0)
        {
            var name = reader.ReadShortStringBytes();
            var type = reader.ReadOctet();
            if (!TryReadRaw(ref reader, type, out var raw))
            {
                // Tables were validated when the message was published: a type we cannot skip matches nothing.
                break;
            }

            if (name.SequenceEqual(key))
            {
                value = new HeaderValue(type, raw);
                return true;
            }
        }

        value = default;
        return false;
    }

    public bool EqualsPattern(object expected)
    {
        if (expected is byte[] or string)
        {
            var expectedBytes = expected as byte[] ?? System.Text.Encoding.UTF8.GetBytes((string)expected);
            return _type is (byte)'S' or (byte)'x' && _raw.SequenceEqual(expectedBytes);
        }

        if (expected is AmqpBinary binary)
        {
            return _type is (byte)'S' or (byte)'x' && _raw.SequenceEqual(binary.Bytes);
        }

        if (expected is bool flag)
        {
            return _type == (byte)'t' && (_raw[0] != 0) == flag;
        }

        if (FieldValues.AsInteger(expected) is { } integer)
        {
            if (TryGetInteger(out var actualInteger))
            {
                return actualInteger == integer;
            }

            return TryGetFloat(out var actualFloat) && ErlangEquals(integer, actualFloat);
        }

        if (expected is AmqpTimestamp timestamp)
        {
            return TryGetInteger(out var actualInteger) && actualInteger == (long)timestamp.UnixSeconds;
        }

        if (expected is float or double)
        {
            var expectedFloat = expected is float f ? f : (double)expected;
            if (TryGetFloat(out var actualFloat))
            {
                return actualFloat == expectedFloat;
            }

            return TryGetInteger(out var actualInteger) && ErlangEquals(actualInteger, expectedFloat);
        }

        // Tables, arrays, decimals: equal when their encodings are equal.
        var encoded = new byte[FieldTableCodec.GetValueSize(expected)];
        var writer = new AmqpWriter(encoded);
        FieldTableCodec.WriteValue(ref writer, expected);
        return encoded[0] == _type && encoded.AsSpan(1).SequenceEqual(RawWithLength());
    }

    private ReadOnlySpan<byte> RawWithLength() => _raw;

    /// <summary>
    /// Erlang's == between an integer and a float: the less precise side is converted, so below 2^53
    /// the integer becomes a float, beyond it the (then integral) float becomes an integer.
    /// </summary>
    private static bool ErlangEquals(long integer, double number)
    {
        const double ExactIntegers = 9007199254740992.0;
        if (Math.Abs(number) < ExactIntegers)
        {
            return integer == number;
        }

        return number is >= -9223372036854775808.0 and < 9223372036854775808.0 && (long)number == integer;
    }

    private bool TryGetInteger(out long value)
    {
        switch (_type)
        {
            case (byte)'b':
                value = (sbyte)_raw[0];
                return true;
            case (byte)'B':
                value = _raw[0];
                return true;
            case (byte)'s':
                value = (short)BinaryPrimitives.ReadUInt16BigEndian(_raw);
                return true;
            case (byte)'u':
                value = BinaryPrimitives.ReadUInt16BigEndian(_raw);
                return true;
            case (byte)'I':
                value = (int)BinaryPrimitives.ReadUInt32BigEndian(_raw);
                return true;
            case (byte)'i':
                value = BinaryPrimitives.ReadUInt32BigEndian(_raw);
                return true;
            case (byte)'l' or (byte)'T':
                value = (long)BinaryPrimitives.ReadUInt64BigEndian(_raw);
                return true;
            default:
                value = 0;
                return false;
        }
    }

    private bool TryGetFloat(out double value)
    {
        switch (_type)
        {
            case (byte)'f':
                value = BitConverter.Int32BitsToSingle((int)BinaryPrimitives.ReadUInt32BigEndian(_raw));
                return true;
            case (byte)'d':
                value = BitConverter.Int64BitsToDouble((long)BinaryPrimitives.ReadUInt64BigEndian(_raw));
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>The value's bytes: for strings and binaries the content, for tables and arrays the
    /// length-prefixed encoding, for numbers their big-endian bytes. False for an unknown type.</summary>
    internal static bool TryReadRaw(scoped ref AmqpReader reader, byte type, out ReadOnlySpan<byte> raw)
    {
        switch (type)
        {
            case (byte)'t' or (byte)'b' or (byte)'B':
                raw = reader.ReadBytes(1);
                return true;
            case (byte)'s' or (byte)'u':
                raw = reader.ReadBytes(2);
                return true;
            case (byte)'I' or (byte)'i' or (byte)'f':
                raw = reader.ReadBytes(4);
                return true;
            case (byte)'l' or (byte)'d' or (byte)'T':
                raw = reader.ReadBytes(8);
                return true;
            case (byte)'D':
                raw = reader.ReadBytes(5);
                return true;
            case (byte)'S' or (byte)'x':
                raw = reader.ReadLongString();
                return true;
            case (byte)'A' or (byte)'F':
                var start = reader.RemainingSpan;
                var body = reader.ReadLongString();
                raw = start[..(4 + body.Length)];
                return true;
            case (byte)'V':
                raw = default;
                return true;
            default:
                raw = default;
                return false;
        }
    }
}
