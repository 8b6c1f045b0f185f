using System.Buffers.Binary;

namespace Broker.RawClient;

/// <summary>One frame as read off the wire; for method frames <see cref="ClassId"/>/<see cref="MethodId"/> are set.</summary>
public sealed record RawFrame(byte Type, ushort Channel, byte[] Payload)
{
    public const byte MethodType = RawWriter.FrameMethod;
    public const byte HeaderType = RawWriter.FrameHeader;
    public const byte BodyType = RawWriter.FrameBody;
    public const byte HeartbeatType = RawWriter.FrameHeartbeat;

    public ushort ClassId => Type == MethodType ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : (ushort)0;

    public ushort MethodId => Type == MethodType ? BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(2)) : (ushort)0;

    public bool IsMethod(ushort classId, ushort methodId) => Type == MethodType && ClassId == classId && MethodId == methodId;

    /// <summary>A reader positioned after the class and method ids.</summary>
    public RawReader Arguments() => new(Payload, 4);

    public override string ToString() => Type == MethodType ? $"method {ClassId}.{MethodId} on channel {Channel}" : $"frame type {Type} on channel {Channel}";
}

/// <summary>A connection.close or channel.close received from the broker.</summary>
public sealed record RawClose(ushort ReplyCode, string ReplyText, ushort ClassId, ushort MethodId)
{
    public static RawClose Read(RawFrame frame)
    {
        var args = frame.Arguments();
        return new RawClose(args.ReadShort(), args.ReadShortString(), args.ReadShort(), args.ReadShort());
    }
}

/// <summary>Thrown when the broker closes the channel or connection while another method was expected.</summary>
public sealed class RawCloseException(string message, RawClose close) : Exception(message)
{
    public RawClose Close { get; } = close;
}

/// <summary>The broker sent something the conversation did not expect (or nothing at all).</summary>
public sealed class RawProtocolException(string message) : Exception(message);
