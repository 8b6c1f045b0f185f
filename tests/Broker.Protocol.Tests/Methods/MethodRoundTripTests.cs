using System.Buffers;
using System.Reflection;
using Broker.DataModel;
using Broker.DataModel.Encoding;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Methods;

public class MethodRoundTripTests
{
    /// <summary>Every generated method, each in its all-empty, all-set and one-bit-at-a-time variants.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var type in MethodCatalog.Types)
        {
            for (var variant = 0; variant < 2 + MethodCatalog.BitCount(type); variant++)
            {
                data.Add(type.Name, variant);
            }
        }

        return data;
    }

    public static TheoryData<string> MethodsWithArguments() =>
        [.. MethodCatalog.Types.Where(t => MethodCatalog.GetParameters(t).Length > 0).Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Method_round_trips_through_FrameWriter_and_FrameReader(string typeName, int variant)
    {
        var type = MethodCatalog.ByName(typeName);
        var method = MethodCatalog.Create(type, MethodCatalog.SampleArguments(type, variant));

        var frame = Frames.ReadSingle(MethodCatalog.WriteFrame(method, channel: 0x1234));

        Assert.Equal(FrameType.Method, frame.Type);
        Assert.Equal(0x1234, frame.Channel);
        Assert.Equal(4 + MethodCatalog.GetSize(method), frame.Payload.Length);
        Assert.Equal(MethodCatalog.GetId(type), MethodFrame.ReadId(frame.Payload));
        var decoded = MethodCatalog.Decode(type, frame.Payload);
        MethodCatalog.AssertArgumentsEqual(method, decoded);
    }

    [Fact]
    public void Every_method_id_in_MethodIds_has_a_struct_covered_by_the_round_trip()
    {
        var declared = typeof(MethodIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(uint))
            .ToDictionary(f => (uint)f.GetRawConstantValue()!, f => f.Name);
        var covered = Cases().Select(row => MethodCatalog.GetId(MethodCatalog.ByName((string)row[0]))).ToHashSet();

        Assert.Equal(66, declared.Count);
        Assert.Empty(declared.Keys.Where(id => !covered.Contains(id)).Select(id => declared[id]));
        Assert.Equal(declared.Count, MethodCatalog.Types.Count);

        // Each struct is named like its MethodIds constant.
        foreach (var type in MethodCatalog.Types)
        {
            Assert.Equal(type.Name, declared[MethodCatalog.GetId(type)]);
        }
    }

    [Fact]
    public void Ids_names_and_content_flags_agree_with_the_spec()
    {
        foreach (var type in MethodCatalog.Types)
        {
            var id = MethodCatalog.GetId(type);
            var spec = SpecTable.Methods.Single(m => m.TypeName == type.Name);
            Assert.Equal(((uint)MethodCatalog.GetClassIndex(type) << 16) | MethodCatalog.GetMethodIndex(type), id);
            Assert.Equal(spec.Id, id);
            Assert.True(MethodIds.IsKnown(id), type.Name);
            Assert.Equal(spec.Name, MethodIds.GetName(id));
            Assert.Equal(MethodCatalog.GetHasContent(type), MethodIds.HasContent(id));
        }

        Assert.Equal(
            ["basic.deliver", "basic.get-ok", "basic.publish", "basic.return"],
            MethodCatalog.Types.Where(MethodCatalog.GetHasContent).Select(t => MethodIds.GetName(MethodCatalog.GetId(t))).Order());
    }

    [Theory]
    [InlineData(0u, "unknown method 0.0")]
    [InlineData((99u << 16) | 1u, "unknown method 99.1")]
    [InlineData((60u << 16) | 41u, "unknown method 60.41")]
    [InlineData((40u << 16) | 41u, "unknown method 40.41")]
    public void Unknown_method_ids_are_not_known(uint id, string name)
    {
        Assert.False(MethodIds.IsKnown(id));
        Assert.False(MethodIds.HasContent(id));
        Assert.Equal(name, MethodIds.GetName(id));
    }

    [Fact]
    public void Null_longstr_and_table_arguments_are_written_as_empty()
    {
        var withNulls = new ConnectionStart(0, 9, ServerProperties: null, Mechanisms: null, Locales: null);
        var withEmpty = new ConnectionStart(0, 9, new(), [], []);

        var bytes = MethodCatalog.WriteFrame(withNulls, 0);
        Assert.Equal(MethodCatalog.WriteFrame(withEmpty, 0), bytes);

        var decoded = MethodFrame.Decode<ConnectionStart>(Frames.ReadSingle(bytes).Payload);
        Assert.Equal(0, Assert.IsType<FieldTable>(decoded.ServerProperties).Count);
        Assert.Empty(decoded.Mechanisms!);
        Assert.Empty(decoded.Locales!);
    }

    [Theory]
    [InlineData(255, 'a', true)]
    [InlineData(256, 'a', false)]
    [InlineData(127, 'é', true)]
    [InlineData(128, 'é', false)]
    public void Shortstr_arguments_are_limited_to_255_utf8_bytes(int count, char c, bool fits)
    {
        var name = new string(c, count);
        var output = new ArrayBufferWriter<byte>();

        if (fits)
        {
            FrameWriter.WriteMethod(output, 1, new QueueDeclare(Queue: name));
            var decoded = MethodFrame.Decode<QueueDeclare>(Frames.ReadSingle(output.WrittenSpan.ToArray()).Payload);
            Assert.Equal(name, decoded.Queue);
        }
        else
        {
            Assert.Throws<ArgumentException>(() => FrameWriter.WriteMethod(output, 1, new QueueDeclare(Queue: name)));
            Assert.Equal(0, output.WrittenCount);
        }
    }

    [Theory]
    [MemberData(nameof(MethodsWithArguments))]
    public void Every_truncation_of_a_method_payload_is_a_protocol_error(string typeName)
    {
        var type = MethodCatalog.ByName(typeName);
        var method = MethodCatalog.Create(type, MethodCatalog.SampleArguments(type, 1));
        var payload = Frames.ReadSingle(MethodCatalog.WriteFrame(method, 1)).Payload;

        for (var length = 4; length < payload.Length; length++)
        {
            var truncated = payload[..length];
            var error = Assert.Throws<AmqpProtocolException>(() => MethodCatalog.Decode(type, truncated));
            Assert.True(ReplyCodes.IsHardError(error.ReplyCode), $"length {length}: reply code {error.ReplyCode}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void A_method_payload_shorter_than_its_ids_is_a_frame_error(int length)
    {
        var error = Assert.Throws<AmqpProtocolException>(() => MethodFrame.ReadId(new byte[length]));
        Assert.Equal(ReplyCodes.FrameError, error.ReplyCode);
    }
}
