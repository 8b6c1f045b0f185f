using System.Buffers.Text;
using System.Text;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// Message bodies that name a unique id and can be checked byte for byte: "id=NNNNNNNNNN;" followed by
/// filler computed from the id. A body that does not verify was corrupted on the way.
/// </summary>
public static class TestMessages
{
    private const int PrefixLength = 14;

    public static byte[] Body(long id, int size)
    {
        size = Math.Max(size, PrefixLength);
        var body = new byte[size];
        Encoding.ASCII.GetBytes($"id={id:D10};").CopyTo(body, 0);
        Fill(id, body.AsSpan(PrefixLength));
        return body;
    }

    /// <summary>Reads the id of a body made by <see cref="Body"/>; false if the body is not exactly such a body.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out long id)
    {
        id = -1;
        if (body.Length < PrefixLength || !body.StartsWith("id="u8) || body[PrefixLength - 1] != (byte)';'
            || !Utf8Parser.TryParse(body[3..(PrefixLength - 1)], out long parsed, out var consumed) || consumed != 10)
        {
            return false;
        }

        Span<byte> expected = body.Length - PrefixLength <= 4096 ? stackalloc byte[body.Length - PrefixLength] : new byte[body.Length - PrefixLength];
        Fill(parsed, expected);
        if (!body[PrefixLength..].SequenceEqual(expected))
        {
            return false;
        }

        id = parsed;
        return true;
    }

    /// <summary>A short printable rendering of a body for failure messages.</summary>
    public static string Describe(ReadOnlySpan<byte> body)
    {
        var shown = body[..Math.Min(body.Length, 40)];
        var text = new StringBuilder();
        foreach (var b in shown)
        {
            text.Append(b is >= 32 and < 127 ? (char)b : '.');
        }

        return $"{body.Length} bytes \"{text}{(body.Length > shown.Length ? "..." : "")}\"";
    }

    private static void Fill(long id, Span<byte> destination)
    {
        // xorshift64 seeded by the id: different for every id and every position.
        var state = (ulong)id * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
        for (var i = 0; i < destination.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            destination[i] = (byte)('a' + (int)(state % 26));
        }
    }
}
