using System.Collections;
using System.Runtime.CompilerServices;
using TextEncoding = System.Text.Encoding;

namespace Broker.DataModel.Encoding;

/// <summary>
/// Field tables and arrays with every type RabbitMQ sends and accepts: t b B s u I i l f d D S A T F V x.
/// ('s' is a signed short, as in RabbitMQ and Qpid, not the 0-9-1 text's shortstr.)
/// </summary>
public static class FieldTableCodec
{
    /// <summary>Deeper nesting than this is rejected rather than risking the stack.</summary>
    public const int MaxDepth = 64;

    public static FieldTable? ReadTable(ref AmqpReader reader)
    {
        var bytes = reader.ReadLongString();
        var table = new FieldTable();
        if (!bytes.IsEmpty)
        {
            var inner = new AmqpReader(bytes);
            ReadEntries(ref inner, table, 0);
        }

        return table;
    }

    /// <summary>Decodes a table body (without its length prefix).</summary>
    public static FieldTable DecodeTableBody(ReadOnlySpan<byte> body)
    {
        var table = new FieldTable();
        var reader = new AmqpReader(body);
        ReadEntries(ref reader, table, 0);
        return table;
    }

    /// <summary>True when an encoded table body has an entry named <paramref name="key"/>.</summary>
    public static bool ContainsKey(ReadOnlySpan<byte> body, ReadOnlySpan<byte> key)
    {
        var reader = new AmqpReader(body);
        while (reader.Remaining > 0)
        {
            if (ReadKey(ref reader).SequenceEqual(key))
            {
                return true;
            }

            SkipValue(ref reader, 0);
        }

        return false;
    }

    /// <summary>
    /// The bytes of a longstr entry named <paramref name="key"/> in an encoded table body; false when
    /// there is none or it has another type.
    /// </summary>
    public static bool TryGetLongString(ReadOnlySpan<byte> body, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        var reader = new AmqpReader(body);
        while (reader.Remaining > 0)
        {
            if (ReadKey(ref reader).SequenceEqual(key))
            {
                if (reader.Remaining > 0 && body[reader.Position] == (byte)'S')
                {
                    reader.ReadOctet();
                    value = reader.ReadLongString();
                    return true;
                }

                break;
            }

            SkipValue(ref reader, 0);
        }

        value = default;
        return false;
    }

    /// <summary>Checks that a table body is well formed without building it.</summary>
    public static void ValidateTableBody(ReadOnlySpan<byte> body)
    {
        var reader = new AmqpReader(body);
        while (reader.Remaining > 0)
        {
            ReadKey(ref reader);
            SkipValue(ref reader, 0);
        }
    }

    /// <summary>A table key; keys must be UTF-8, as the decoder requires, so validation and decoding agree.</summary>
    private static ReadOnlySpan<byte> ReadKey(scoped ref AmqpReader reader)
    {
        var key = reader.ReadShortStringBytes();
        if (!System.Text.Unicode.Utf8.IsValid(key))
        {
            throw AmqpProtocolException.Syntax("shortstr is not valid UTF-8");
        }

        return key;
    }

    private static void ReadEntries(ref AmqpReader reader, FieldTable table, int depth)
    {
        while (reader.Remaining > 0)
        {
            var key = reader.ReadShortString();
            table[key] = ReadValue(ref reader, depth);
        }
    }

    public static object? ReadValue(ref AmqpReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            ThrowTooDeep();
        }

        var type = reader.ReadOctet();
        switch (type)
        {
            case (byte)'t':
                return reader.ReadOctet() != 0;
            case (byte)'b':
                return (sbyte)reader.ReadOctet();
            case (byte)'B':
                return reader.ReadOctet();
            case (byte)'s':
                return (short)reader.ReadShort();
            case (byte)'u':
                return reader.ReadShort();
            case (byte)'I':
                return (int)reader.ReadLong();
            case (byte)'i':
                return reader.ReadLong();
            case (byte)'l':
                return (long)reader.ReadLongLong();
            case (byte)'f':
                return BitConverter.Int32BitsToSingle((int)reader.ReadLong());
            case (byte)'d':
                return BitConverter.Int64BitsToDouble((long)reader.ReadLongLong());
            case (byte)'D':
                var scale = reader.ReadOctet();
                return new AmqpDecimal(scale, (int)reader.ReadLong());
            case (byte)'S':
                return reader.ReadLongString().ToArray();
            case (byte)'A':
                var arrayBytes = reader.ReadLongString();
                var list = new List<object?>();
                var arrayReader = new AmqpReader(arrayBytes);
                while (arrayReader.Remaining > 0)
                {
                    list.Add(ReadValue(ref arrayReader, depth + 1));
                }

                return list;
            case (byte)'T':
                return reader.ReadTimestamp();
            case (byte)'F':
                var tableBytes = reader.ReadLongString();
                var table = new FieldTable();
                var tableReader = new AmqpReader(tableBytes);
                ReadEntries(ref tableReader, table, depth + 1);
                return table;
            case (byte)'V':
                return null;
            case (byte)'x':
                return new AmqpBinary(reader.ReadLongString().ToArray());
            default:
                throw AmqpProtocolException.Syntax($"unknown field type '{(char)type}'");
        }
    }

    private static void SkipValue(ref AmqpReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            ThrowTooDeep();
        }

        var type = reader.ReadOctet();
        switch (type)
        {
            case (byte)'t' or (byte)'b' or (byte)'B':
                reader.ReadBytes(1);
                break;
            case (byte)'s' or (byte)'u':
                reader.ReadBytes(2);
                break;
            case (byte)'I' or (byte)'i' or (byte)'f':
                reader.ReadBytes(4);
                break;
            case (byte)'l' or (byte)'d' or (byte)'T':
                reader.ReadBytes(8);
                break;
            case (byte)'D':
                reader.ReadBytes(5);
                break;
            case (byte)'S' or (byte)'x':
                reader.ReadLongString();
                break;
            case (byte)'A':
                var arrayReader = new AmqpReader(reader.ReadLongString());
                while (arrayReader.Remaining > 0)
                {
                    SkipValue(ref arrayReader, depth + 1);
                }

                break;
            case (byte)'F':
                var tableReader = new AmqpReader(reader.ReadLongString());
                while (tableReader.Remaining > 0)
                {
                    ReadKey(ref tableReader);
                    SkipValue(ref tableReader, depth + 1);
                }

                break;
            case (byte)'V':
                break;
            default:
                throw AmqpProtocolException.Syntax($"unknown field type '{(char)type}'");
        }
    }

    /// <summary>Encoded size including the 4-byte length prefix; null is an empty table.</summary>
    public static int GetTableSize(FieldTable? table) => 4 + GetTableBodySize(table);

    public static int GetTableBodySize(IEnumerable<KeyValuePair<string, object?>>? table)
    {
        if (table is null)
        {
            return 0;
        }

        var size = 0;
        foreach (var entry in table)
        {
            size += AmqpWriter.ShortStringSize(entry.Key) + GetValueSize(entry.Value);
        }

        return size;
    }

    public static int GetValueSize(object? value) => 1 + value switch
    {
        null => 0,
        bool or sbyte or byte => 1,
        short or ushort => 2,
        int or uint or float => 4,
        long or double or AmqpTimestamp or DateTime => 8,
        AmqpDecimal => 5,
        decimal clr => CheckDecimal(clr),
        byte[] bytes => 4 + bytes.Length,
        string text => 4 + TextEncoding.UTF8.GetByteCount(text),
        ReadOnlyMemory<byte> memory => 4 + memory.Length,
        AmqpBinary binary => 4 + binary.Bytes.Length,
        FieldTable table => 4 + GetTableBodySize(table),
        IEnumerable<KeyValuePair<string, object?>> dictionary => 4 + GetTableBodySize(dictionary),
        IList list => 4 + GetArrayBodySize(list),
        _ => ThrowUnsupported(value),
    };

    private static int GetArrayBodySize(IList list)
    {
        var size = 0;
        foreach (var item in list)
        {
            size += GetValueSize(item);
        }

        return size;
    }

    public static void WriteTable(ref AmqpWriter writer, FieldTable? table) =>
        WriteTable(ref writer, (IEnumerable<KeyValuePair<string, object?>>?)table);

    public static void WriteTable(ref AmqpWriter writer, IEnumerable<KeyValuePair<string, object?>>? table)
    {
        var lengthAt = writer.ReserveLong();
        var start = writer.Position;
        if (table is not null)
        {
            foreach (var entry in table)
            {
                writer.WriteShortString(entry.Key);
                WriteValue(ref writer, entry.Value);
            }
        }

        writer.PatchLong(lengthAt, (uint)(writer.Position - start));
    }

    public static void WriteValue(ref AmqpWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteOctet((byte)'V');
                break;
            case bool b:
                writer.WriteOctet((byte)'t');
                writer.WriteOctet(b ? (byte)1 : (byte)0);
                break;
            case sbyte sb:
                writer.WriteOctet((byte)'b');
                writer.WriteOctet((byte)sb);
                break;
            case byte ub:
                writer.WriteOctet((byte)'B');
                writer.WriteOctet(ub);
                break;
            case short s:
                writer.WriteOctet((byte)'s');
                writer.WriteShort((ushort)s);
                break;
            case ushort us:
                writer.WriteOctet((byte)'u');
                writer.WriteShort(us);
                break;
            case int i:
                writer.WriteOctet((byte)'I');
                writer.WriteLong((uint)i);
                break;
            case uint ui:
                writer.WriteOctet((byte)'i');
                writer.WriteLong(ui);
                break;
            case long l:
                writer.WriteOctet((byte)'l');
                writer.WriteLongLong((ulong)l);
                break;
            case float f:
                writer.WriteOctet((byte)'f');
                writer.WriteLong((uint)BitConverter.SingleToInt32Bits(f));
                break;
            case double d:
                writer.WriteOctet((byte)'d');
                writer.WriteLongLong((ulong)BitConverter.DoubleToInt64Bits(d));
                break;
            case AmqpDecimal dec:
                writer.WriteOctet((byte)'D');
                writer.WriteOctet(dec.Scale);
                writer.WriteLong((uint)dec.Value);
                break;
            case decimal clr:
                CheckDecimal(clr);
                var bits = decimal.GetBits(clr);
                writer.WriteOctet((byte)'D');
                writer.WriteOctet((byte)((bits[3] >> 16) & 0xFF));
                writer.WriteLong(clr < 0 ? (uint)-(long)(uint)bits[0] : (uint)bits[0]);
                break;
            case byte[] bytes:
                writer.WriteOctet((byte)'S');
                writer.WriteLongString(bytes);
                break;
            case string text:
                writer.WriteOctet((byte)'S');
                writer.WriteLongString(TextEncoding.UTF8.GetBytes(text));
                break;
            case ReadOnlyMemory<byte> memory:
                writer.WriteOctet((byte)'S');
                writer.WriteLongString(memory.Span);
                break;
            case AmqpBinary binary:
                writer.WriteOctet((byte)'x');
                writer.WriteLongString(binary.Bytes);
                break;
            case AmqpTimestamp ts:
                writer.WriteOctet((byte)'T');
                writer.WriteTimestamp(ts);
                break;
            case DateTime dt:
                writer.WriteOctet((byte)'T');
                writer.WriteLongLong((ulong)new DateTimeOffset(dt.ToUniversalTime()).ToUnixTimeSeconds());
                break;
            case FieldTable table:
                writer.WriteOctet((byte)'F');
                WriteTable(ref writer, table);
                break;
            case IEnumerable<KeyValuePair<string, object?>> dictionary:
                writer.WriteOctet((byte)'F');
                WriteTable(ref writer, dictionary);
                break;
            case IList list:
                writer.WriteOctet((byte)'A');
                var lengthAt = writer.ReserveLong();
                var start = writer.Position;
                foreach (var item in list)
                {
                    WriteValue(ref writer, item);
                }

                writer.PatchLong(lengthAt, (uint)(writer.Position - start));
                break;
            default:
                ThrowUnsupported(value);
                break;
        }
    }

    /// <summary>Encodes a table (with its length prefix) into a new array.</summary>
    public static byte[] Encode(FieldTable? table)
    {
        var bytes = new byte[GetTableSize(table)];
        var writer = new AmqpWriter(bytes);
        WriteTable(ref writer, table);
        return bytes;
    }

    /// <summary>An AMQP decimal holds a signed 32-bit unscaled value: refuse what would not fit.</summary>
    private static int CheckDecimal(decimal value)
    {
        var bits = decimal.GetBits(value);
        var limit = value < 0 ? 2147483648u : int.MaxValue;
        if (bits[1] != 0 || bits[2] != 0 || (uint)bits[0] > limit)
        {
            throw new ArgumentException($"decimal {value} does not fit an AMQP decimal (signed 32-bit unscaled value)");
        }

        return 5;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ThrowUnsupported(object value) =>
        throw new ArgumentException($"values of type {value.GetType()} cannot go in an AMQP field table");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooDeep() => throw AmqpProtocolException.Syntax("field table nested too deeply");
}
