using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Routing;

/// <summary>
/// A routing key decoded once per publish into a caller-provided char buffer, so exchanges look it up
/// in string-keyed tables through span lookups without allocating a string.
/// </summary>
public readonly ref struct RoutingKey
{
    public RoutingKey(ReadOnlySpan<char> chars)
    {
        Chars = chars;
    }

    public ReadOnlySpan<char> Chars { get; }

    /// <summary>Most chars a shortstr of 255 UTF-8 bytes can decode to.</summary>
    public const int MaxChars = 255;

    /// <summary>Longest routing key: a shortstr's 255 bytes.</summary>
    public const int MaxBytes = 255;

    public static RoutingKey Decode(ReadOnlySpan<byte> utf8, Span<char> buffer)
    {
        var count = TextEncoding.UTF8.GetChars(utf8, buffer);
        return new RoutingKey(buffer[..count]);
    }

    public override string ToString() => new(Chars);
}
