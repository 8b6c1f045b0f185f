using System.Buffers.Binary;
using System.Text;

namespace Broker.Benchmarks.Clients;

/// <summary>Minimal AMQP 0-9-1 encoder for the raw client: frames, method arguments, field tables.</summary>
internal sealed class AmqpWriter
{
    public const byte FrameMethod = 1;
    public const byte FrameHeader = 2;
    public const byte FrameBody = 3;
    public const byte FrameHeartbeat = 8;
    public const byte FrameEnd = 0xCE;

    private byte[] _buffer = new byte[256];
    private int _frameStart = -1;

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, Length);

    public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

    public void Clear()
    {
        Length = 0;
        _frameStart = -1;
    }

    public AmqpWriter BeginFrame(byte type, ushort channel)
    {
        _frameStart = Length;
        Octet(type).Short(channel).Long(0);
        return this;
    }

    public AmqpWriter BeginMethod(ushort channel, ushort classId, ushort methodId) =>
        BeginFrame(FrameMethod, channel).Short(classId).Short(methodId);

    public AmqpWriter EndFrame()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_frameStart + 3), (uint)(Length - _frameStart - 7));
        Octet(FrameEnd);
        _frameStart = -1;
        return this;
    }

    public AmqpWriter Octet(byte v)
    {
        Ensure(1)[0] = v;
        Length += 1;
        return this;
    }

    public AmqpWriter Short(ushort v)
    {
        BinaryPrimitives.WriteUInt16BigEndian(Ensure(2), v);
        Length += 2;
        return this;
    }

    public AmqpWriter Long(uint v)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Ensure(4), v);
        Length += 4;
        return this;
    }

    public AmqpWriter LongLong(ulong v)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Ensure(8), v);
        Length += 8;
        return this;
    }

    public AmqpWriter ShortStr(string s)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        if (n > 255)
        {
            throw new ArgumentException($"short string too long: {s}");
        }

        Octet((byte)n);
        Encoding.UTF8.GetBytes(s, Ensure(n));
        Length += n;
        return this;
    }

    public AmqpWriter LongStr(ReadOnlySpan<byte> bytes)
    {
        Long((uint)bytes.Length);
        return Bytes(bytes);
    }

    public AmqpWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Ensure(bytes.Length));
        Length += bytes.Length;
        return this;
    }

    public AmqpWriter EmptyTable() => Long(0);

    /// <summary>A field table of string values ('S').</summary>
    public AmqpWriter StringTable(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var sizeAt = Length;
        Long(0);
        foreach (var (k, v) in entries)
        {
            ShortStr(k).Octet((byte)'S').LongStr(Encoding.UTF8.GetBytes(v));
        }

        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(sizeAt), (uint)(Length - sizeAt - 4));
        return this;
    }

    private Span<byte> Ensure(int n)
    {
        if (Length + n > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + n));
        }

        return _buffer.AsSpan(Length, n);
    }
}

/// <summary>Minimal AMQP 0-9-1 decoding helpers over a method payload.</summary>
internal static class AmqpRead
{
    public static ushort Short(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16BigEndian(s[at..]);

    public static uint Long(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32BigEndian(s[at..]);

    public static ulong LongLong(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64BigEndian(s[at..]);

    public static string ShortStr(ReadOnlySpan<byte> s, ref int at)
    {
        var n = s[at];
        var v = Encoding.UTF8.GetString(s.Slice(at + 1, n));
        at += 1 + n;
        return v;
    }

    /// <summary>Reads the top-level string ('S') entries of a field table; skips every other field type.</summary>
    public static Dictionary<string, string> StringEntries(ReadOnlySpan<byte> s, ref int at)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var size = (int)Long(s, at);
        at += 4;
        var end = at + size;
        while (at < end)
        {
            var key = ShortStr(s, ref at);
            var type = (char)s[at++];
            if (type == 'S')
            {
                var n = (int)Long(s, at);
                result[key] = Encoding.UTF8.GetString(s.Slice(at + 4, n));
                at += 4 + n;
            }
            else
            {
                at += FieldValueSize(s, at, type);
            }
        }

        at = end;
        return result;
    }

    private static int FieldValueSize(ReadOnlySpan<byte> s, int at, char type) => type switch
    {
        't' or 'b' or 'B' => 1,
        's' or 'u' => 2,
        'I' or 'i' or 'f' => 4,
        'l' or 'L' or 'd' or 'T' => 8,
        'D' => 5,
        'V' => 0,
        'S' or 'x' or 'A' or 'F' => 4 + (int)Long(s, at),
        _ => throw new InvalidDataException($"unknown field type '{type}'"),
    };
}
