using Broker.DataModel;
using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Encoding;

/// <summary>Malformed tables are protocol errors (AmqpProtocolException), never another exception type.</summary>
public class MalformedFieldTableTests
{
    public static TheoryData<string, byte[]> MalformedBodies() => new()
    {
        { "unknown type tag", [0x01, (byte)'k', (byte)'Z', 0x00] },
        { "unknown type tag 0", [0x01, (byte)'k', 0x00] },
        { "shortstr 'U' of 0-8 is not a field type", [0x01, (byte)'k', (byte)'U', 0x00, 0x01] },
        { "key longer than the body", [0x05, (byte)'k', (byte)'e'] },
        { "key without a value", [0x01, (byte)'k'] },
        { "truncated signed int", [0x01, (byte)'k', (byte)'I', 0x00, 0x00] },
        { "truncated long", [0x01, (byte)'k', (byte)'l', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] },
        { "truncated double", [0x01, (byte)'k', (byte)'d', 0x00] },
        { "truncated decimal", [0x01, (byte)'k', (byte)'D', 0x02, 0x00, 0x00, 0x00] },
        { "truncated timestamp", [0x01, (byte)'k', (byte)'T', 0x00] },
        { "truncated bool", [0x01, (byte)'k', (byte)'t'] },
        { "truncated short", [0x01, (byte)'k', (byte)'s', 0x01] },
        { "truncated longstr length", [0x01, (byte)'k', (byte)'S', 0x00, 0x00] },
        { "longstr beyond the body", [0x01, (byte)'k', (byte)'S', 0x00, 0x00, 0x00, 0x05, (byte)'a'] },
        { "longstr length 2^32-1", [0x01, (byte)'k', (byte)'S', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'a'] },
        { "longstr length 2^31", [0x01, (byte)'k', (byte)'S', 0x80, 0x00, 0x00, 0x00, (byte)'a'] },
        { "binary beyond the body", [0x01, (byte)'k', (byte)'x', 0x00, 0x00, 0x00, 0x02, 0x01] },
        { "nested table beyond the body", [0x01, (byte)'k', (byte)'F', 0x00, 0x00, 0x00, 0x09, 0x01, (byte)'a'] },
        { "array beyond the body", [0x01, (byte)'k', (byte)'A', 0x7F, 0xFF, 0xFF, 0xFF] },
        { "nested table with a truncated entry", [0x01, (byte)'k', (byte)'F', 0x00, 0x00, 0x00, 0x03, 0x01, (byte)'a', (byte)'I'] },
        { "array with an unknown tag", [0x01, (byte)'k', (byte)'A', 0x00, 0x00, 0x00, 0x01, (byte)'?'] },
        { "array with a truncated value", [0x01, (byte)'k', (byte)'A', 0x00, 0x00, 0x00, 0x02, (byte)'I', 0x00] },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void Malformed_bodies_throw_AmqpProtocolException_from_every_entry_point(string why, byte[] body)
    {
        _ = why;
        AssertProtocolError(() => FieldTableCodec.DecodeTableBody(body));
        AssertProtocolError(() => FieldTableCodec.ValidateTableBody(body));
        AssertProtocolError(() => FieldTableCodec.ContainsKey(body, "absent"u8));

        byte[] prefixed = [(byte)(body.Length >> 24), (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
        AssertProtocolError(() =>
        {
            var reader = new AmqpReader(prefixed);
            FieldTableCodec.ReadTable(ref reader);
        });
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x01, 0x00, 0x01, (byte)'k' })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    public void A_table_length_beyond_the_buffer_is_a_protocol_error(byte[] input)
    {
        AssertProtocolError(() =>
        {
            var reader = new AmqpReader(input);
            FieldTableCodec.ReadTable(ref reader);
        });
    }

    [Theory]
    [InlineData('F')]
    [InlineData('A')]
    public void Nesting_up_to_MaxDepth_is_read(char container)
    {
        var body = Nested(FieldTableCodec.MaxDepth, container);

        FieldTableCodec.ValidateTableBody(body);
        Assert.True(FieldTableCodec.ContainsKey(body, "k"u8));
        var value = FieldTableCodec.DecodeTableBody(body)["k"];
        for (var i = 1; i < FieldTableCodec.MaxDepth; i++)
        {
            value = container == 'F' ? Assert.IsType<FieldTable>(value)["k"] : Assert.Single(Assert.IsType<List<object?>>(value));
        }

        Assert.Equal(1, container == 'F' ? Assert.IsType<FieldTable>(value)["k"] : Assert.Single(Assert.IsType<List<object?>>(value)));
    }

    [Theory]
    [InlineData('F', 1)]
    [InlineData('A', 1)]
    [InlineData('F', 10_000)]
    [InlineData('A', 100_000)]
    public void Nesting_deeper_than_MaxDepth_is_a_protocol_error(char container, int extra)
    {
        var body = Nested(FieldTableCodec.MaxDepth + extra, container);

        AssertProtocolError(() => FieldTableCodec.DecodeTableBody(body));
        AssertProtocolError(() => FieldTableCodec.ValidateTableBody(body));
        AssertProtocolError(() => FieldTableCodec.ContainsKey(body, "absent"u8));
    }

    [Fact]
    public void Every_truncation_of_a_rich_table_is_a_protocol_error()
    {
        var table = new FieldTable
        {
            { "t", true }, { "b", (sbyte)1 }, { "B", (byte)1 }, { "s", (short)1 }, { "u", (ushort)1 }, { "I", 1 }, { "i", 1u },
            { "l", 1L }, { "f", 1f }, { "d", 1d }, { "D", new AmqpDecimal(1, 1) }, { "S", "x"u8.ToArray() },
            { "A", new List<object?> { 1, "y"u8.ToArray() } }, { "T", new AmqpTimestamp(1) }, { "F", new FieldTable { { "n", 1 } } },
            { "V", null }, { "x", new AmqpBinary([1]) },
        };
        var body = FieldTableCodec.Encode(table)[4..];

        // Cutting the body anywhere inside an entry leaves a truncated entry; cuts between entries are valid tables.
        var boundaries = new HashSet<int>();
        var reader = new AmqpReader(body);
        boundaries.Add(0);
        while (reader.Remaining > 0)
        {
            reader.ReadShortStringBytes();
            FieldTableCodec.ReadValue(ref reader, 0);
            boundaries.Add(reader.Position);
        }

        for (var length = 0; length < body.Length; length++)
        {
            var cut = body[..length];
            if (boundaries.Contains(length))
            {
                Assert.Equal(boundaries.Count(b => b > 0 && b <= length), FieldTableCodec.DecodeTableBody(cut).Count);
            }
            else
            {
                AssertProtocolError(() => FieldTableCodec.DecodeTableBody(cut));
                AssertProtocolError(() => FieldTableCodec.ValidateTableBody(cut));
            }
        }
    }

    /// <summary>A table body whose key "k" holds <paramref name="depth"/> nested containers around the int 1.</summary>
    private static byte[] Nested(int depth, char container)
    {
        var entry = container == 'F' ? 2 : 0; // a nested table's single entry is named "k"
        var sizes = new int[depth + 1]; // sizes[i]: bytes of container i (1-based) including tag and length
        sizes[depth] = 5 + entry + 5;
        for (var i = depth - 1; i >= 1; i--)
        {
            sizes[i] = 5 + entry + sizes[i + 1];
        }

        var bytes = new byte[2 + sizes[1]];
        var at = 0;
        bytes[at++] = 1;
        bytes[at++] = (byte)'k';
        for (var i = 1; i <= depth; i++)
        {
            var length = sizes[i] - 5;
            bytes[at++] = (byte)container;
            bytes[at++] = (byte)(length >> 24);
            bytes[at++] = (byte)(length >> 16);
            bytes[at++] = (byte)(length >> 8);
            bytes[at++] = (byte)length;
            if (container == 'F')
            {
                bytes[at++] = 1;
                bytes[at++] = (byte)'k';
            }
        }

        bytes[at++] = (byte)'I';
        bytes[at + 3] = 1;
        Assert.Equal(bytes.Length, at + 4);
        return bytes;
    }

    private static void AssertProtocolError(Action action)
    {
        var error = Record.Exception(action);
        Assert.NotNull(error);
        Assert.IsType<AmqpProtocolException>(error);
        Assert.Equal(ReplyCodes.SyntaxError, ((AmqpProtocolException)error).ReplyCode);
    }
}
