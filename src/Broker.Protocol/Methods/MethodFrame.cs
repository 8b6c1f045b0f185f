using System.Buffers.Binary;
using Broker.DataModel;
using Broker.DataModel.Encoding;

namespace Broker.Protocol.Methods;

/// <summary>Reads a method frame's ids and decodes its arguments into the method's struct.</summary>
public static class MethodFrame
{
    /// <summary>The method id (<c>class &lt;&lt; 16 | method</c>) at the start of a method frame payload.</summary>
    public static uint ReadId(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            throw AmqpProtocolException.Frame("method frame too short");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(payload);
    }

    /// <summary>Decodes the arguments of a method frame payload (ids included).</summary>
    public static T Decode<T>(ReadOnlySpan<byte> payload)
        where T : struct, IAmqpMethod<T>
    {
        var reader = new AmqpReader(payload[4..]);
        return T.ReadFrom(ref reader);
    }
}
