using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Encoding;

public class FieldTableEqualityTests
{
    [Fact]
    public void Tables_with_the_same_entries_are_equal_whatever_their_order()
    {
        var a = new FieldTable { { "x", 1 }, { "y", "text"u8.ToArray() } };
        var b = new FieldTable { { "y", "text"u8.ToArray() }, { "x", 1 } };

        Assert.True(a.Equals(b));
        Assert.True(b.Equals(a));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(new FieldTable().Equals(new FieldTable()));
    }

    [Fact]
    public void Tables_differing_in_a_key_a_value_or_a_count_are_not_equal()
    {
        var a = new FieldTable { { "x", 1 } };

        Assert.False(a.Equals(new FieldTable { { "z", 1 } }));
        Assert.False(a.Equals(new FieldTable { { "x", 2 } }));
        Assert.False(a.Equals(new FieldTable { { "x", 1 }, { "y", 1 } }));
        Assert.False(a.Equals(new FieldTable()));
        Assert.False(a.Equals(null));
        Assert.False(a.Equals((object)"x"));
    }

    [Fact]
    public void Values_of_different_types_are_not_equal_even_with_the_same_number()
    {
        Assert.False(new FieldTable { { "x", 1 } }.Equals(new FieldTable { { "x", 1L } }));
        Assert.False(new FieldTable { { "x", (byte)1 } }.Equals(new FieldTable { { "x", (sbyte)1 } }));
        Assert.False(new FieldTable { { "x", 1.0f } }.Equals(new FieldTable { { "x", 1.0d } }));
        Assert.False(new FieldTable { { "x", "1"u8.ToArray() } }.Equals(new FieldTable { { "x", new AmqpBinary("1"u8.ToArray()) } }));
    }

    [Fact]
    public void Longstr_values_compare_by_content_and_equal_their_string_form()
    {
        Assert.True(new FieldTable { { "x", "abc"u8.ToArray() } }.Equals(new FieldTable { { "x", "abc"u8.ToArray() } }));
        Assert.True(new FieldTable { { "x", "abc" } }.Equals(new FieldTable { { "x", "abc"u8.ToArray() } }));
        Assert.True(new FieldTable { { "x", "abc"u8.ToArray() } }.Equals(new FieldTable { { "x", "abc" } }));
        Assert.False(new FieldTable { { "x", "abc"u8.ToArray() } }.Equals(new FieldTable { { "x", "abd"u8.ToArray() } }));
        Assert.True(new FieldTable { { "x", new AmqpBinary([1, 2]) } }.Equals(new FieldTable { { "x", new AmqpBinary([1, 2]) } }));
        Assert.False(new FieldTable { { "x", new AmqpBinary([1, 2]) } }.Equals(new FieldTable { { "x", new AmqpBinary([1, 3]) } }));
    }

    [Fact]
    public void Nested_tables_and_arrays_compare_deeply()
    {
        FieldTable Make(byte[] leaf) => new()
        {
            { "list", new List<object?> { 1, new FieldTable { { "leaf", leaf } }, null } },
        };

        Assert.True(Make("a"u8.ToArray()).Equals(Make("a"u8.ToArray())));
        Assert.False(Make("a"u8.ToArray()).Equals(Make("b"u8.ToArray())));
        Assert.False(new FieldTable { { "l", new List<object?> { 1 } } }.Equals(new FieldTable { { "l", new List<object?> { 1, 2 } } }));
        Assert.False(new FieldTable { { "l", new List<object?> { 1, 2 } } }.Equals(new FieldTable { { "l", new List<object?> { 2, 1 } } }));
    }

    [Fact]
    public void Void_equals_only_void_and_a_present_void_differs_from_an_absent_key()
    {
        Assert.True(new FieldTable { { "x", null } }.Equals(new FieldTable { { "x", null } }));
        Assert.False(new FieldTable { { "x", null } }.Equals(new FieldTable { { "x", 0 } }));
        Assert.False(new FieldTable { { "x", null } }.Equals(new FieldTable { { "y", null } }));
    }

    [Fact]
    public void Indexer_add_remove_and_lookups()
    {
        var table = new FieldTable { { "a", 1 }, { "b", 2 } };

        table["a"] = 10;
        table["c"] = 3;

        Assert.Equal(["a", "b", "c"], table.Select(e => e.Key));
        Assert.Equal(10, table["a"]);
        Assert.Null(table["missing"]);
        Assert.True(table.ContainsKey("b"));
        Assert.True(table.Remove("b"));
        Assert.False(table.Remove("b"));
        Assert.False(table.ContainsKey("b"));
        Assert.Equal(2, table.Count);
        Assert.True(table.TryGetValue("c", out var c));
        Assert.Equal(3, c);
        Assert.False(table.TryGetValue("b", out _));
    }

    [Fact]
    public void GetString_reads_longstr_values_only()
    {
        var table = new FieldTable { { "bytes", "abc"u8.ToArray() }, { "text", "def" }, { "number", 1 } };

        Assert.Equal("abc", table.GetString("bytes"));
        Assert.Equal("def", table.GetString("text"));
        Assert.Null(table.GetString("number"));
        Assert.Null(table.GetString("missing"));
    }

    [Fact]
    public void Constructed_from_entries_keeps_order_and_collapses_repeated_keys()
    {
        var table = new FieldTable([new("b", 1), new("a", 2), new("b", 3)]);

        Assert.Equal(["b", "a"], table.Select(e => e.Key));
        Assert.Equal(3, table["b"]);
    }

    [Theory]
    [InlineData(null, "void")]
    [InlineData(true, "bool")]
    [InlineData((sbyte)1, "byte")]
    [InlineData((byte)1, "unsignedbyte")]
    [InlineData((short)1, "short")]
    [InlineData((ushort)1, "unsignedshort")]
    [InlineData(1, "signedint")]
    [InlineData(1u, "unsignedint")]
    [InlineData(1L, "long")]
    [InlineData(1f, "float")]
    [InlineData(1d, "double")]
    [InlineData("s", "longstr")]
    public void Type_names_are_RabbitMQs(object? value, string name) => Assert.Equal(name, FieldValues.TypeName(value));

    [Fact]
    public void Type_names_of_composite_values_are_RabbitMQs()
    {
        Assert.Equal("longstr", FieldValues.TypeName("x"u8.ToArray()));
        Assert.Equal("array", FieldValues.TypeName(new List<object?>()));
        Assert.Equal("table", FieldValues.TypeName(new FieldTable()));
        Assert.Equal("timestamp", FieldValues.TypeName(new AmqpTimestamp(1)));
        Assert.Equal("decimal", FieldValues.TypeName(new AmqpDecimal(1, 1)));
        Assert.Equal("binary", FieldValues.TypeName(new AmqpBinary([])));
    }

    [Fact]
    public void Format_prints_values_as_RabbitMQ_error_texts_do()
    {
        Assert.Equal("undefined", FieldValues.Format(null));
        Assert.Equal("true", FieldValues.Format(true));
        Assert.Equal("abc", FieldValues.Format("abc"u8.ToArray()));
        Assert.Equal("-5", FieldValues.Format(-5));
        Assert.Equal("1.5", FieldValues.Format(1.5));
        Assert.Equal("{a=1, b=x}", new FieldTable { { "a", 1 }, { "b", "x"u8.ToArray() } }.ToString());
    }

    [Fact]
    public void AsInteger_widens_integer_types_only()
    {
        Assert.Equal(-1L, FieldValues.AsInteger((sbyte)-1));
        Assert.Equal(255L, FieldValues.AsInteger((byte)255));
        Assert.Equal(-1L, FieldValues.AsInteger((short)-1));
        Assert.Equal(65535L, FieldValues.AsInteger((ushort)65535));
        Assert.Equal(-1L, FieldValues.AsInteger(-1));
        Assert.Equal(4000000000L, FieldValues.AsInteger(4000000000u));
        Assert.Equal(long.MinValue, FieldValues.AsInteger(long.MinValue));
        Assert.Null(FieldValues.AsInteger(1.0));
        Assert.Null(FieldValues.AsInteger("1"));
        Assert.Null(FieldValues.AsInteger(true));
        Assert.Null(FieldValues.AsInteger(null));
    }
}
