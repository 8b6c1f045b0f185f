using System.Buffers;

namespace Broker.Protocol.Framing;

/// <summary>
/// A frame as a view over the receive buffer: valid only until the reader advances past it.
/// </summary>
public readonly struct Frame
{
    public Frame(FrameType type, ushort channel, ReadOnlySequence<byte> payload)
    {
        Type = type;
        Channel = channel;
        Payload = payload;
    }

    public FrameType Type { get; }

    public ushort Channel { get; }

    public ReadOnlySequence<byte> Payload { get; }
}
