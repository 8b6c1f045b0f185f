using System.Text;
using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Storage.Definitions;

namespace Broker.Storage.Tests.Definitions;

public sealed class FieldTableJsonTests
{
    [Fact]
    public void ToJson_WritesEachTypeAsRabbitMqDoes()
    {
        var nested = new FieldTable { ["inner"] = Encoding.UTF8.GetBytes("value") };
        var table = new FieldTable
        {
            ["longstr"] = Encoding.UTF8.GetBytes("text"),
            ["string"] = "plain",
            ["bool"] = true,
            ["sbyte"] = (sbyte)-5,
            ["byte"] = (byte)200,
            ["short"] = (short)-3000,
            ["ushort"] = (ushort)60000,
            ["int"] = -70000,
            ["uint"] = 4_000_000_000u,
            ["long"] = long.MinValue,
            ["float"] = 1.5f,
            ["double"] = 2.25,
            ["decimal"] = new AmqpDecimal(2, -12345),
            ["timestamp"] = new AmqpTimestamp(1_700_000_000),
            ["binary"] = new AmqpBinary([1, 2, 3]),
            ["table"] = nested,
            ["array"] = new List<object?> { Encoding.UTF8.GetBytes("a"), 1, false },
            ["void"] = null,
        };

        var json = JsonNode.Parse(FieldTableJson.ToJson(table).ToJsonString())!.AsObject();

        Assert.Equal("text", json["longstr"]!.GetValue<string>());
        Assert.Equal("plain", json["string"]!.GetValue<string>());
        Assert.True(json["bool"]!.GetValue<bool>());
        Assert.Equal(-5, json["sbyte"]!.GetValue<long>());
        Assert.Equal(200, json["byte"]!.GetValue<long>());
        Assert.Equal(-3000, json["short"]!.GetValue<long>());
        Assert.Equal(60000, json["ushort"]!.GetValue<long>());
        Assert.Equal(-70000, json["int"]!.GetValue<long>());
        Assert.Equal(4_000_000_000, json["uint"]!.GetValue<long>());
        Assert.Equal(long.MinValue, json["long"]!.GetValue<long>());
        Assert.Equal(1.5, json["float"]!.GetValue<double>());
        Assert.Equal(2.25, json["double"]!.GetValue<double>());
        Assert.Equal(-123.45m, json["decimal"]!.GetValue<decimal>());
        Assert.Equal(1_700_000_000, json["timestamp"]!.GetValue<long>());
        Assert.Equal(Convert.ToBase64String([1, 2, 3]), json["binary"]!.GetValue<string>());
        Assert.Equal("value", json["table"]!["inner"]!.GetValue<string>());
        Assert.Equal("""["a",1,false]""", json["array"]!.ToJsonString());
        Assert.Null(json["void"]);
        Assert.True(json.ContainsKey("void"));
    }

    [Fact]
    public void FromJson_ReadsStringsAsLongstrsAndOtherValuesAsIs()
    {
        var json = JsonNode.Parse("""
            {
              "s": "text",
              "f": 1.25,
              "exp": 1.5e3,
              "t": true,
              "fa": false,
              "n": null,
              "o": { "inner": "x", "deeper": { "k": "v" } },
              "a": [ "a", 3.5, true, null, { "k": "v" }, [ "x" ] ]
            }
            """);

        var table = FieldTableJson.FromJson(json);

        Assert.Equal(Encoding.UTF8.GetBytes("text"), Assert.IsType<byte[]>(table["s"]));
        Assert.Equal(1.25, Assert.IsType<double>(table["f"]));
        Assert.Equal(1500.0, table["exp"]);
        Assert.Equal(true, table["t"]);
        Assert.Equal(false, table["fa"]);
        Assert.True(table.ContainsKey("n"));
        Assert.Null(table["n"]);
        var nested = Assert.IsType<FieldTable>(table["o"]);
        Assert.Equal("x", nested.GetString("inner"));
        Assert.Equal("v", Assert.IsType<FieldTable>(nested["deeper"]).GetString("k"));
        var array = Assert.IsType<List<object?>>(table["a"]);
        Assert.Equal(6, array.Count);
        Assert.Equal(Encoding.UTF8.GetBytes("a"), array[0]);
        Assert.Equal(3.5, array[1]);
        Assert.Equal(true, array[2]);
        Assert.Null(array[3]);
        Assert.Equal("v", Assert.IsType<FieldTable>(array[4]).GetString("k"));
        Assert.Equal(Encoding.UTF8.GetBytes("x"), Assert.IsType<List<object?>>(array[5])[0]);
    }

    [Fact]
    public void FromJson_ReadsIntegersAsLongs()
    {
        var json = JsonNode.Parse("""{ "i": 42, "negative": -7, "big": 9223372036854775807, "nested": { "k": 1 }, "array": [ 2 ] }""");

        var table = FieldTableJson.FromJson(json);

        Assert.Equal(42L, Assert.IsType<long>(table["i"]));
        Assert.Equal(-7L, Assert.IsType<long>(table["negative"]));
        Assert.Equal(long.MaxValue, Assert.IsType<long>(table["big"]));
        Assert.Equal(1L, Assert.IsType<long>(Assert.IsType<FieldTable>(table["nested"])["k"]));
        Assert.Equal(2L, Assert.IsType<long>(Assert.IsType<List<object?>>(table["array"])[0]));
    }

    [Fact]
    public void FromJson_OfNothingOrANonObject_IsAnEmptyTable()
    {
        Assert.Equal(0, FieldTableJson.FromJson(null).Count);
        Assert.Equal(0, FieldTableJson.FromJson(JsonNode.Parse("[1,2]")).Count);
        Assert.Equal(0, FieldTableJson.FromJson(JsonNode.Parse("\"x\"")).Count);
    }

    [Fact]
    public void RoundTripThroughText_KeepsOrderAndValues()
    {
        var table = new FieldTable
        {
            ["z"] = Encoding.UTF8.GetBytes("last"),
            ["a"] = true,
            ["m"] = new FieldTable { ["k"] = false },
            ["l"] = new List<object?> { 0.25, Encoding.UTF8.GetBytes("two") },
            ["d"] = 0.5,
        };

        var read = FieldTableJson.FromJson(JsonNode.Parse(FieldTableJson.ToJson(table).ToJsonString()));

        Assert.Equal(["z", "a", "m", "l", "d"], read.Select(e => e.Key));
        Assert.Equal(table, read);
    }

    [Fact]
    public void RoundTripInMemory_ReadsWhatToJsonBuilds()
    {
        var table = new FieldTable
        {
            ["s"] = Encoding.UTF8.GetBytes("text"),
            ["i"] = 7,
            ["d"] = 0.5,
            ["b"] = true,
            ["n"] = null,
            ["t"] = new FieldTable { ["k"] = 1L },
            ["a"] = new List<object?> { 2, "x" },
        };

        var read = FieldTableJson.FromJson(FieldTableJson.ToJson(table));

        Assert.Equal(Encoding.UTF8.GetBytes("text"), read["s"]);
        Assert.Equal(7L, Assert.IsType<long>(read["i"]));
        Assert.Equal(0.5, read["d"]);
        Assert.Equal(true, read["b"]);
        Assert.Null(read["n"]);
        Assert.Equal(1L, Assert.IsType<FieldTable>(read["t"])["k"]);
        Assert.Equal(new List<object?> { 2L, Encoding.UTF8.GetBytes("x") }, read["a"]);
    }

    [Fact]
    public void RoundTripInMemory_GivesWhatTheRoundTripThroughTextGives()
    {
        var table = new FieldTable
        {
            ["sbyte"] = (sbyte)-5,
            ["uint"] = 4_000_000_000u,
            ["float"] = 1.5f,
            ["decimal"] = new AmqpDecimal(2, -12345),
            ["whole decimal"] = new AmqpDecimal(0, 5),
            ["timestamp"] = new AmqpTimestamp(1_700_000_000),
            ["binary"] = new AmqpBinary([1, 2, 3]),
        };
        var json = FieldTableJson.ToJson(table);
        var throughText = FieldTableJson.FromJson(JsonNode.Parse(json.ToJsonString()));

        var inMemory = FieldTableJson.FromJson(json);

        Assert.Equal(throughText.Select(e => (e.Key, e.Value?.GetType())), inMemory.Select(e => (e.Key, e.Value?.GetType())));
        Assert.Equal(throughText, inMemory);
    }

    [Fact]
    public void RoundTripThroughText_WidensIntegersToLong()
    {
        var table = new FieldTable { ["b"] = (byte)1, ["s"] = (short)2, ["i"] = 3, ["u"] = 4u };

        var read = FieldTableJson.FromJson(JsonNode.Parse(FieldTableJson.ToJson(table).ToJsonString()));

        Assert.All(read, e => Assert.IsType<long>(e.Value));
        Assert.Equal([1L, 2L, 3L, 4L], read.Select(e => (long)e.Value!));
    }
}
