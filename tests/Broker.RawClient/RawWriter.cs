using System.Buffers.Binary;
using System.Text;

namespace Broker.RawClient;

/// <summary>
/// A big-endian AMQP 0-9-1 encoder: frames (<see cref="BeginFrame"/> ... <see cref="EndFrame"/>) and
/// the fields inside them, including field tables. Written by hand on purpose: tests must be able to
/// send what no correct codec would.
/// </summary>
public sealed class RawWriter
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

    /// <summary>Starts a frame: type, channel, and a size that <see cref="EndFrame"/> fills in.</summary>
    public RawWriter BeginFrame(byte type, ushort channel)
    {
        _frameStart = Length;
        Octet(type).Short(channel).Long(0);
        return this;
    }

    public RawWriter BeginMethod(ushort channel, ushort classId, ushort methodId) =>
        BeginFrame(FrameMethod, channel).Short(classId).Short(methodId);

    public RawWriter EndFrame()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_frameStart + 3), (uint)(Length - _frameStart - 7));
        Octet(FrameEnd);
        _frameStart = -1;
        return this;
    }

    public RawWriter Octet(byte value)
    {
        Ensure(1)[0] = value;
        Length += 1;
        return this;
    }

    public RawWriter Short(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(Ensure(2), value);
        Length += 2;
        return this;
    }

    public RawWriter Long(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Ensure(4), value);
        Length += 4;
        return this;
    }

    public RawWriter LongLong(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Ensure(8), value);
        Length += 8;
        return this;
    }

    /// <summary>A shortstr; longer than 255 bytes only when <paramref name="allowTooLong"/> (its length byte then wraps).</summary>
    public RawWriter ShortString(string value, bool allowTooLong = false)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > 255 && !allowTooLong)
        {
            throw new ArgumentException($"short string too long: {value}", nameof(value));
        }

        Octet((byte)count);
        Encoding.UTF8.GetBytes(value, Ensure(count));
        Length += count;
        return this;
    }

    public RawWriter LongString(ReadOnlySpan<byte> value)
    {
        Long((uint)value.Length);
        return Bytes(value);
    }

    public RawWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Ensure(bytes.Length));
        Length += bytes.Length;
        return this;
    }

    /// <summary>Packs consecutive bit fields into one octet, first bit lowest.</summary>
    public RawWriter Bits(params bool[] bits)
    {
        byte value = 0;
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                value |= (byte)(1 << i);
            }
        }

        return Octet(value);
    }

    public RawWriter EmptyTable() => Long(0);

    /// <summary>A field table of strings, booleans, integers, byte arrays and nested tables; null is empty.</summary>
    public RawWriter Table(IEnumerable<KeyValuePair<string, object?>>? table)
    {
        var sizeAt = Length;
        Long(0);
        foreach (var (key, value) in table ?? [])
        {
            ShortString(key);
            FieldValue(value);
        }

        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(sizeAt), (uint)(Length - sizeAt - 4));
        return this;
    }

    private void FieldValue(object? value)
    {
        switch (value)
        {
            case string s:
                Octet((byte)'S').LongString(Encoding.UTF8.GetBytes(s));
                break;
            case byte[] bytes:
                Octet((byte)'S').LongString(bytes);
                break;
            case bool b:
                Octet((byte)'t').Octet(b ? (byte)1 : (byte)0);
                break;
            case int i:
                Octet((byte)'I').Long((uint)i);
                break;
            case long l:
                Octet((byte)'l').LongLong((ulong)l);
                break;
            case null:
                Octet((byte)'V');
                break;
            case IEnumerable<KeyValuePair<string, object?>> nested:
                Octet((byte)'F').Table(nested);
                break;
            default:
                throw new NotSupportedException(value.GetType().Name);
        }
    }

    private Span<byte> Ensure(int count)
    {
        if (Length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        return _buffer.AsSpan(Length, count);
    }
}
