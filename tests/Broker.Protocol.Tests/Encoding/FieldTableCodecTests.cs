using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Encoding;

public class FieldTableCodecTests
{
    /// <summary>Each field value type: a value, its tag and its encoding after the tag (big-endian, as RabbitMQ writes it).</summary>
    public static TheoryData<string, object?, Type?, string> ValueTypes() => new()
    {
        { "t", true, typeof(bool), "01" },
        { "t", false, typeof(bool), "00" },
        { "b", (sbyte)-2, typeof(sbyte), "FE" },
        { "B", (byte)200, typeof(byte), "C8" },
        { "s", (short)-2, typeof(short), "FFFE" },
        { "u", (ushort)65535, typeof(ushort), "FFFF" },
        { "I", -2, typeof(int), "FFFFFFFE" },
        { "i", 4000000000u, typeof(uint), "EE6B2800" },
        { "l", -2L, typeof(long), "FFFFFFFFFFFFFFFE" },
        { "f", 1.5f, typeof(float), "3FC00000" },
        { "d", -1.5d, typeof(double), "BFF8000000000000" },
        { "D", new AmqpDecimal(2, -12345), typeof(AmqpDecimal), "02FFFFCFC7" },
        { "S", "hé"u8.ToArray(), typeof(byte[]), "0000000368C3A9" },
        { "A", new List<object?> { 1, "a"u8.ToArray() }, typeof(List<object?>), "0000000B" + "4900000001" + "530000000161" },
        { "T", new AmqpTimestamp(1700000000), typeof(AmqpTimestamp), "000000006553F100" },
        { "F", new FieldTable { { "k", (byte)1 } }, typeof(FieldTable), "00000004" + "016B" + "4201" },
        { "V", null, null, string.Empty },
        { "x", new AmqpBinary([1, 2, 0xCE]), typeof(AmqpBinary), "0000000301 02CE".Replace(" ", string.Empty, StringComparison.Ordinal) },
    };

    private static byte[] EncodeSingle(object? value) => FieldTableCodec.Encode(new FieldTable { { "key", value } });

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    [Theory]
    [MemberData(nameof(ValueTypes))]
    public void Every_value_type_has_its_tag_and_encoding(string tag, object? value, Type? type, string encodedHex)
    {
        _ = type;
        var expectedBody = "036B6579" + Hex([(byte)tag[0]]) + encodedHex;
        var expected = ((expectedBody.Length / 2).ToString("X8", System.Globalization.CultureInfo.InvariantCulture)) + expectedBody;

        var encoded = EncodeSingle(value);

        Assert.Equal(expected, Hex(encoded));
        Assert.Equal(encoded.Length, FieldTableCodec.GetTableSize(new FieldTable { { "key", value } }));
    }

    [Theory]
    [MemberData(nameof(ValueTypes))]
    public void Every_value_type_round_trips_with_its_exact_type(string tag, object? value, Type? type, string encodedHex)
    {
        _ = tag;
        _ = encodedHex;
        var encoded = EncodeSingle(value);

        foreach (var decoded in new[] { DecodeWithReadTable(encoded), FieldTableCodec.DecodeTableBody(encoded.AsSpan(4)) })
        {
            var (key, actual) = Assert.Single(decoded);
            Assert.Equal("key", key);
            if (type is null)
            {
                Assert.Null(actual);
            }
            else
            {
                Assert.NotNull(actual);
                Assert.Equal(type, actual.GetType());
                Assert.True(FieldValues.AreEqual(value, actual), $"{FieldValues.Format(value)} came back as {FieldValues.Format(actual)}");
            }
        }
    }

    [Fact]
    public void Lowercase_s_is_a_signed_short_as_RabbitMQ_reads_it()
    {
        // 's' followed by 0x8000: a shortstr would be a 128-byte string; RabbitMQ reads it as -32768.
        byte[] body = [0x01, (byte)'n', (byte)'s', 0x80, 0x00];

        var table = FieldTableCodec.DecodeTableBody(body);

        Assert.Equal((short)-32768, table["n"]);
    }

    [Fact]
    public void Strings_are_written_as_longstr_and_read_back_as_bytes()
    {
        var encoded = EncodeSingle("héllo");

        Assert.Equal(Hex(EncodeSingle("héllo"u8.ToArray())), Hex(encoded));
        var value = FieldTableCodec.DecodeTableBody(encoded.AsSpan(4))["key"];
        Assert.Equal("héllo"u8.ToArray(), Assert.IsType<byte[]>(value));
    }

    [Fact]
    public void Other_accepted_clr_types_are_written_as_their_amqp_types()
    {
        Assert.Equal(Hex(EncodeSingle("ab"u8.ToArray())), Hex(EncodeSingle(new ReadOnlyMemory<byte>("ab"u8.ToArray()))));
        Assert.Equal(Hex(EncodeSingle(new AmqpDecimal(2, 150))), Hex(EncodeSingle(1.50m)));
        Assert.Equal(Hex(EncodeSingle(new AmqpDecimal(1, -15))), Hex(EncodeSingle(-1.5m)));
        Assert.Equal(
            Hex(EncodeSingle(new AmqpTimestamp(1700000000))),
            Hex(EncodeSingle(DateTimeOffset.FromUnixTimeSeconds(1700000000).UtcDateTime)));
        Assert.Equal(
            Hex(EncodeSingle(new FieldTable { { "a", 1 } })),
            Hex(EncodeSingle(new Dictionary<string, object?> { { "a", 1 } })));
        Assert.Equal(Hex(EncodeSingle(new List<object?> { 1, null })), Hex(EncodeSingle(new object?[] { 1, null })));
    }

    [Theory]
    [InlineData("3000000000")]
    [InlineData("5000000000")]
    [InlineData("-3000000000")]
    [InlineData("21474836.48")]
    [InlineData("-2147483649")]
    public void A_clr_decimal_that_does_not_fit_an_amqp_decimal_is_refused_not_corrupted(string text)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Throws<ArgumentException>(() => EncodeSingle(value));
        Assert.Throws<ArgumentException>(() => FieldTableCodec.GetValueSize(value));
    }

    [Theory]
    [InlineData("2147483647")]
    [InlineData("-2147483647")]
    [InlineData("21474836.47")]
    [InlineData("1234.5678")]
    [InlineData("0.0000000001")]
    [InlineData("0")]
    public void A_clr_decimal_that_fits_an_amqp_decimal_round_trips(string text)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        var decoded = FieldTableCodec.DecodeTableBody(EncodeSingle(value).AsSpan(4))["key"];

        Assert.Equal(value, Assert.IsType<AmqpDecimal>(decoded).ToDecimal());
    }

    [Theory]
    [InlineData("-2147483648")]
    [InlineData("-21474836.48")]
    public void The_most_negative_clr_decimal_that_fits_round_trips(string text)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        var decoded = FieldTableCodec.DecodeTableBody(EncodeSingle(value).AsSpan(4))["key"];

        Assert.Equal(value, Assert.IsType<AmqpDecimal>(decoded).ToDecimal());
    }

    [Fact]
    public void Values_of_unsupported_types_are_refused_when_writing()
    {
        Assert.Throws<ArgumentException>(() => EncodeSingle(Guid.Empty));
        Assert.Throws<ArgumentException>(() => EncodeSingle(new object()));
    }

    [Fact]
    public void AmqpDecimal_converts_to_decimal()
    {
        Assert.Equal(-123.45m, new AmqpDecimal(2, -12345).ToDecimal());
        Assert.Equal(7m, new AmqpDecimal(0, 7).ToDecimal());
        Assert.Equal(-2147483.648m, new AmqpDecimal(3, int.MinValue).ToDecimal());
    }

    [Fact]
    public void Nested_tables_and_arrays_round_trip()
    {
        var table = new FieldTable
        {
            { "outer", new FieldTable
                {
                    { "list", new List<object?> { 1, new List<object?> { (short)2, new FieldTable { { "deep", "x"u8.ToArray() } } }, null } },
                    { "empty-table", new FieldTable() },
                    { "empty-list", new List<object?>() },
                }
            },
            { "after", 3L },
        };

        var encoded = FieldTableCodec.Encode(table);
        var decoded = FieldTableCodec.DecodeTableBody(encoded.AsSpan(4));

        Assert.Equal(table, decoded);
        Assert.Equal(Hex(encoded), Hex(FieldTableCodec.Encode(decoded)));
        var outer = Assert.IsType<FieldTable>(decoded["outer"]);
        var list = Assert.IsType<List<object?>>(outer["list"]);
        var inner = Assert.IsType<List<object?>>(list[1]);
        var deep = Assert.IsType<FieldTable>(inner[1]);
        Assert.Equal("x"u8.ToArray(), deep["deep"]);
        Assert.Null(list[2]);
        Assert.Empty(Assert.IsType<List<object?>>(outer["empty-list"]));
    }

    [Fact]
    public void Key_order_is_kept_when_writing_and_reading()
    {
        string[] keys = ["zeta", "alpha", "mu", "beta", "x-match", "A", "a"];
        var table = new FieldTable();
        for (var i = 0; i < keys.Length; i++)
        {
            table.Add(keys[i], i);
        }

        var decoded = FieldTableCodec.DecodeTableBody(FieldTableCodec.Encode(table).AsSpan(4));

        Assert.Equal(keys, decoded.Select(e => e.Key));
        Assert.Equal(Enumerable.Range(0, keys.Length).Cast<object?>(), decoded.Select(e => e.Value));
    }

    [Fact]
    public void A_repeated_key_keeps_its_first_position_and_last_value()
    {
        byte[] body = [0x01, (byte)'a', (byte)'B', 1, 0x01, (byte)'b', (byte)'B', 2, 0x01, (byte)'a', (byte)'B', 3];

        var table = FieldTableCodec.DecodeTableBody(body);

        Assert.Equal(["a", "b"], table.Select(e => e.Key));
        Assert.Equal((byte)3, table["a"]);
    }

    [Fact]
    public void An_empty_or_null_table_is_four_zero_bytes()
    {
        Assert.Equal([0, 0, 0, 0], FieldTableCodec.Encode(null));
        Assert.Equal([0, 0, 0, 0], FieldTableCodec.Encode(new FieldTable()));
        Assert.Equal(4, FieldTableCodec.GetTableSize(null));

        var reader = new AmqpReader([0, 0, 0, 0]);
        Assert.Equal(0, FieldTableCodec.ReadTable(ref reader)!.Count);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void ContainsKey_and_ValidateTableBody_work_on_encoded_bodies()
    {
        var body = FieldTableCodec.Encode(new FieldTable { { "a", 1 }, { "nested", new FieldTable { { "b", 2 } } }, { "c", null } }).AsSpan(4).ToArray();

        FieldTableCodec.ValidateTableBody(body);
        Assert.True(FieldTableCodec.ContainsKey(body, "a"u8));
        Assert.True(FieldTableCodec.ContainsKey(body, "nested"u8));
        Assert.True(FieldTableCodec.ContainsKey(body, "c"u8));
        Assert.False(FieldTableCodec.ContainsKey(body, "b"u8));
        Assert.False(FieldTableCodec.ContainsKey([], "a"u8));
    }

    [Fact]
    public void ReadTable_leaves_the_reader_after_the_table()
    {
        var encoded = FieldTableCodec.Encode(new FieldTable { { "a", 1 } });
        byte[] input = [.. encoded, 0xAB];

        var reader = new AmqpReader(input);
        FieldTableCodec.ReadTable(ref reader);

        Assert.Equal(0xAB, reader.ReadOctet());
    }

    private static FieldTable DecodeWithReadTable(byte[] encoded)
    {
        var reader = new AmqpReader(encoded);
        var table = FieldTableCodec.ReadTable(ref reader)!;
        Assert.Equal(0, reader.Remaining);
        return table;
    }
}
