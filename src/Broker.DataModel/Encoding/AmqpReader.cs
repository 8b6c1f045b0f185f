using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Broker.DataModel.Encoding;

/// <summary>
/// Reads AMQP primitive types from a contiguous payload. Running past the end is malformed input
/// (a frame's size already told us how many bytes there are), so it throws instead of returning false.
/// </summary>
public ref struct AmqpReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public AmqpReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly ReadOnlySpan<byte> RemainingSpan => _data[_position..];

    public byte ReadOctet()
    {
        if (_position >= _data.Length)
        {
            ThrowTruncated();
        }

        return _data[_position++];
    }

    public ushort ReadShort() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint ReadLong() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong ReadLongLong() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public AmqpTimestamp ReadTimestamp() => new(ReadLongLong());

    /// <summary>A shortstr's bytes, without copying.</summary>
    public ReadOnlySpan<byte> ReadShortStringBytes()
    {
        var length = ReadOctet();
        return Take(length);
    }

    /// <summary>A shortstr as text; bytes that are not UTF-8 are malformed input, not silently replaced.</summary>
    public string ReadShortString()
    {
        var bytes = ReadShortStringBytes();
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw AmqpProtocolException.Syntax("shortstr is not valid UTF-8");
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A longstr's bytes, without copying.</summary>
    public ReadOnlySpan<byte> ReadLongString()
    {
        var length = ReadLong();
        if (length > (uint)Remaining)
        {
            ThrowTruncated();
        }

        return Take((int)length);
    }

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_data.Length - _position))
        {
            ThrowTruncated();
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTruncated() => throw AmqpProtocolException.Syntax("truncated field");
}
