using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using TextEncoding = System.Text.Encoding;

namespace Broker.DataModel.Encoding;

/// <summary>
/// Writes AMQP primitive types into a span sized beforehand (methods know their exact size),
/// so a frame is written with one <c>GetSpan</c> and one <c>Advance</c>.
/// </summary>
public ref struct AmqpWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    public AmqpWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = 0;
    }

    public readonly int Position => _position;

    public static int ShortStringSize(string? value)
    {
        var length = value is null ? 0 : TextEncoding.UTF8.GetByteCount(value);
        if (length > 255)
        {
            ThrowShortStringTooLong();
        }

        return 1 + length;
    }

    public static int LongStringSize(byte[]? value) => 4 + (value?.Length ?? 0);

    public void WriteOctet(byte value) => _destination[_position++] = value;

    public void WriteShort(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], value);
        _position += 2;
    }

    public void WriteLong(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_destination[_position..], value);
        _position += 4;
    }

    public void WriteLongLong(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_destination[_position..], value);
        _position += 8;
    }

    public void WriteTimestamp(AmqpTimestamp value) => WriteLongLong(value.UnixSeconds);

    public void WriteShortString(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            WriteOctet(0);
            return;
        }

        var written = TextEncoding.UTF8.GetBytes(value, _destination[(_position + 1)..]);
        if (written > 255)
        {
            ThrowShortStringTooLong();
        }

        _destination[_position] = (byte)written;
        _position += 1 + written;
    }

    public void WriteShortString(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 255)
        {
            ThrowShortStringTooLong();
        }

        WriteOctet((byte)utf8.Length);
        WriteBytes(utf8);
    }

    public void WriteLongString(byte[]? value) => WriteLongString(value.AsSpan());

    public void WriteLongString(ReadOnlySpan<byte> value)
    {
        WriteLong((uint)value.Length);
        WriteBytes(value);
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_destination[_position..]);
        _position += value.Length;
    }

    /// <summary>Reserves room for a big-endian uint to be filled in later (table lengths).</summary>
    public int ReserveLong()
    {
        var at = _position;
        _position += 4;
        return at;
    }

    public readonly void PatchLong(int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(_destination[at..], value);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowShortStringTooLong() =>
        throw new ArgumentException("a shortstr holds at most 255 bytes of UTF-8");
}
