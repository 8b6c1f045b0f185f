using System.Buffers.Binary;
using System.Text;

namespace Broker.RawClient;

/// <summary>A big-endian AMQP field reader over a method payload, decoding tables into dictionaries.</summary>
public sealed class RawReader(byte[] buffer, int position)
{
    private int _position = position;

    public byte ReadOctet() => buffer[_position++];

    public ushort ReadShort()
    {
        var value = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(_position));
        _position += 2;
        return value;
    }

    public uint ReadLong()
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(_position));
        _position += 4;
        return value;
    }

    public ulong ReadLongLong()
    {
        var value = BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(_position));
        _position += 8;
        return value;
    }

    public string ReadShortString()
    {
        var length = ReadOctet();
        var text = Encoding.UTF8.GetString(buffer, _position, length);
        _position += length;
        return text;
    }

    public byte[] ReadLongString()
    {
        var length = (int)ReadLong();
        var bytes = buffer[_position..(_position + length)];
        _position += length;
        return bytes;
    }

    public Dictionary<string, object?> ReadTable()
    {
        var length = (int)ReadLong();
        var end = _position + length;
        var table = new Dictionary<string, object?>();
        while (_position < end)
        {
            var key = ReadShortString();
            table[key] = ReadFieldValue();
        }

        return table;
    }

    private object? ReadFieldValue()
    {
        var type = (char)ReadOctet();
        switch (type)
        {
            case 'S':
                return Encoding.UTF8.GetString(ReadLongString());
            case 't':
                return ReadOctet() != 0;
            case 'b':
                return (sbyte)ReadOctet();
            case 'B':
                return ReadOctet();
            case 's':
                return (short)ReadShort();
            case 'u':
                return ReadShort();
            case 'I':
                return (int)ReadLong();
            case 'i':
                return ReadLong();
            case 'l':
                return (long)ReadLongLong();
            case 'T':
                return ReadLongLong();
            case 'f':
                return BitConverter.Int32BitsToSingle((int)ReadLong());
            case 'd':
                return BitConverter.Int64BitsToDouble((long)ReadLongLong());
            case 'D':
                var scale = ReadOctet();
                return (scale, (int)ReadLong());
            case 'F':
                return ReadTable();
            case 'A':
                var length = (int)ReadLong();
                var end = _position + length;
                var list = new List<object?>();
                while (_position < end)
                {
                    list.Add(ReadFieldValue());
                }

                return list;
            case 'x':
                return ReadLongString();
            case 'V':
                return null;
            default:
                throw new NotSupportedException($"field type '{type}'");
        }
    }
}

/// <summary>Decoding at fixed offsets of a payload, without allocating: for load generators' hot loops.</summary>
public static class RawRead
{
    public static ushort Short(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16BigEndian(s[at..]);

    public static uint Long(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32BigEndian(s[at..]);

    public static ulong LongLong(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64BigEndian(s[at..]);

    public static string ShortString(ReadOnlySpan<byte> s, ref int at)
    {
        var length = s[at];
        var value = Encoding.UTF8.GetString(s.Slice(at + 1, length));
        at += 1 + length;
        return value;
    }
}
