using Broker.Protocol.Methods;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Methods;

/// <summary>
/// The generated methods against the spec, through an encoder written from the AMQP text
/// (<see cref="SpecEncoder"/>): same arguments in the same order with the same types, same bytes on the wire.
/// </summary>
public class MethodSpecTests
{
    public static TheoryData<string> SpecMethods() => [.. SpecTable.Methods.Select(m => m.Name)];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var spec in SpecTable.Methods)
        {
            var bits = spec.Arguments.Count(a => a.Type == "bit");
            for (var variant = 0; variant < 2 + bits; variant++)
            {
                data.Add(spec.Name, variant);
            }
        }

        return data;
    }

    [Fact]
    public void The_spec_and_the_generated_code_have_the_same_methods()
    {
        Assert.Equal(66, SpecTable.Methods.Count);
        Assert.Equal(
            SpecTable.Methods.Select(m => m.TypeName).Order(),
            MethodCatalog.Types.Select(t => t.Name).Order());
    }

    [Theory]
    [MemberData(nameof(SpecMethods))]
    public void Generated_arguments_match_the_spec_in_name_order_and_type(string name)
    {
        var spec = SpecTable.Methods.Single(m => m.Name == name);
        var type = MethodCatalog.ByName(spec.TypeName);

        Assert.Equal(spec.ClassId, MethodCatalog.GetClassIndex(type));
        Assert.Equal(spec.MethodId, MethodCatalog.GetMethodIndex(type));
        var parameters = MethodCatalog.GetParameters(type);
        Assert.Equal(spec.Arguments.Select(a => a.PascalName), parameters.Select(p => p.Name!));
        Assert.Equal(spec.Arguments.Select(a => SpecEncoder.ClrType(a.Type)), parameters.Select(p => p.ParameterType));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_encoding_matches_the_spec_encoding(string name, int variant)
    {
        var spec = SpecTable.Methods.Single(m => m.Name == name);
        var type = MethodCatalog.ByName(spec.TypeName);
        var arguments = MethodCatalog.SampleArguments(type, variant);
        var method = MethodCatalog.Create(type, arguments);

        var expected = SpecEncoder.EncodePayload(spec, arguments);
        var frame = Frames.ReadSingle(MethodCatalog.WriteFrame(method, 9));

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(frame.Payload));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_decoding_reads_the_spec_encoding(string name, int variant)
    {
        var spec = SpecTable.Methods.Single(m => m.Name == name);
        var type = MethodCatalog.ByName(spec.TypeName);
        var arguments = MethodCatalog.SampleArguments(type, variant);
        var method = MethodCatalog.Create(type, arguments);

        var decoded = MethodCatalog.DecodeById(SpecEncoder.EncodePayload(spec, arguments));

        MethodCatalog.AssertArgumentsEqual(method, decoded);
    }

    [Fact]
    public void Unused_high_bits_of_a_bit_octet_are_ignored_when_reading()
    {
        // queue.declare with every flag octet bit set: the five defined bits read as true, the rest ignored.
        byte[] payload = [0x00, 0x32, 0x00, 0x0A, 0x00, 0x00, 0x01, (byte)'q', 0xFF, 0x00, 0x00, 0x00, 0x00];

        var declare = MethodFrame.Decode<QueueDeclare>(payload);

        Assert.Equal(new QueueDeclare(0, "q", true, true, true, true, true, declare.Arguments), declare);
    }
}
