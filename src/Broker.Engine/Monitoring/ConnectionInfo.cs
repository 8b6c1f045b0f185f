using Broker.DataModel.Encoding;

namespace Broker.Engine.Monitoring;

/// <summary>
/// One connection at one moment, with the fields RabbitMQ's management API reports. <see cref="Name"/>
/// is RabbitMQ's: "peer address:port -> local address:port".
/// </summary>
public sealed record ConnectionInfo(
    string Name,
    string? UserProvidedName,
    string VirtualHost,
    string User,
    string PeerHost,
    int PeerPort,
    string Host,
    int Port,
    string AuthMechanism,
    uint FrameMax,
    ushort ChannelMax,
    ushort Heartbeat,
    FieldTable ClientProperties,
    DateTimeOffset ConnectedAt,
    int Channels,
    long ReceivedBytes,
    long ReceivedFrames,
    long SentBytes,
    string State);

/// <summary>One channel at one moment, with its message counters since it opened.</summary>
public sealed record ChannelInfo(
    string ConnectionName,
    string PeerHost,
    int PeerPort,
    ushort Number,
    string VirtualHost,
    string User,
    int ConsumerCount,
    int Unacked,
    int Unconfirmed,
    int PrefetchCount,
    int GlobalPrefetchCount,
    bool Confirm,
    bool Transactional,
    int UncommittedMessages,
    int UncommittedAcks,
    ChannelStats Stats)
{
    /// <summary>RabbitMQ's channel name: the connection's name and the channel number in parentheses.</summary>
    public string Name => $"{ConnectionName} ({Number})";
}
