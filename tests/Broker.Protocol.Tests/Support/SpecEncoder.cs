using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Support;

/// <summary>
/// An encoder written from the AMQP 0-9-1 text (section 4.2.5), independent of the generated code:
/// integers big-endian; shortstr a length octet then bytes; longstr a 32-bit length then bytes;
/// consecutive bits packed into octets, the first bit in the low-order bit, a new octet after eight
/// bits or any other field.
/// </summary>
internal static class SpecEncoder
{
    /// <summary>A method frame payload: class id, method id, arguments.</summary>
    public static byte[] EncodePayload(SpecMethod method, IReadOnlyList<object?> values)
    {
        Assert.Equal(method.Arguments.Count, values.Count);
        var bytes = new List<byte>();
        AddShort(bytes, method.ClassId);
        AddShort(bytes, method.MethodId);
        var bits = 0;
        var bitCount = 0;
        for (var i = 0; i < values.Count; i++)
        {
            var type = method.Arguments[i].Type;
            var value = values[i];
            if (type == "bit")
            {
                if (bitCount == 8)
                {
                    bytes.Add((byte)bits);
                    bits = 0;
                    bitCount = 0;
                }

                if ((bool)value!)
                {
                    bits |= 1 << bitCount;
                }

                bitCount++;
                continue;
            }

            if (bitCount > 0)
            {
                bytes.Add((byte)bits);
                bits = 0;
                bitCount = 0;
            }

            switch (type)
            {
                case "octet":
                    bytes.Add((byte)value!);
                    break;
                case "short":
                    AddShort(bytes, (ushort)value!);
                    break;
                case "long":
                    AddLong(bytes, (uint)value!);
                    break;
                case "longlong":
                    var longlong = (ulong)value!;
                    AddLong(bytes, (uint)(longlong >> 32));
                    AddLong(bytes, (uint)longlong);
                    break;
                case "shortstr":
                    var text = System.Text.Encoding.UTF8.GetBytes((string)value!);
                    bytes.Add(checked((byte)text.Length));
                    bytes.AddRange(text);
                    break;
                case "longstr":
                    var longstr = (byte[]?)value ?? [];
                    AddLong(bytes, (uint)longstr.Length);
                    bytes.AddRange(longstr);
                    break;
                case "table":
                    // Tables have their own golden tests; here only their place in the method matters.
                    bytes.AddRange(FieldTableCodec.Encode((FieldTable?)value));
                    break;
                default:
                    throw new NotSupportedException($"spec type {type}");
            }
        }

        if (bitCount > 0)
        {
            bytes.Add((byte)bits);
        }

        return [.. bytes];
    }

    /// <summary>The C# type the generator should use for a spec type.</summary>
    public static Type ClrType(string specType) => specType switch
    {
        "octet" => typeof(byte),
        "short" => typeof(ushort),
        "long" => typeof(uint),
        "longlong" => typeof(ulong),
        "bit" => typeof(bool),
        "shortstr" => typeof(string),
        "longstr" => typeof(byte[]),
        "table" => typeof(FieldTable),
        _ => throw new NotSupportedException(specType),
    };

    private static void AddShort(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }

    private static void AddLong(List<byte> bytes, uint value)
    {
        bytes.Add((byte)(value >> 24));
        bytes.Add((byte)(value >> 16));
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
