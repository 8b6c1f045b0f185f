namespace Broker.Protocol.Framing;

public static class FrameConstants
{
    /// <summary>Type, channel and size.</summary>
    public const int HeaderSize = 7;

    /// <summary>Header plus the end octet: what frame_max counts beyond the payload.</summary>
    public const int Overhead = 8;

    public const byte FrameEnd = 0xCE;

    /// <summary>The smallest frame_max a peer may negotiate, and the limit before tuning.</summary>
    public const uint MinFrameMax = 4096;

    /// <summary><c>AMQP 0 0 9 1</c>: what we send back to a peer that speaks anything else.</summary>
    public static ReadOnlySpan<byte> ProtocolHeader => "AMQP\0\0\u0009\u0001"u8;
}
