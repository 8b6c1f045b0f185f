using System.Net;
using Broker.DataModel.Encoding;
using Broker.Engine.Monitoring;
using Broker.Protocol;

namespace Broker.Server.Connections;

/// <summary>The connection as the management API sees it: a snapshot, its channels, a forced close.</summary>
internal sealed partial class AmqpConnection
{
    private long _receivedBytes;
    private long _receivedFrames;
    private readonly DateTimeOffset _connectedAt = DateTimeOffset.UtcNow;

    /// <summary>The listener's address the client reached ("127.0.0.1:5672"), when known.</summary>
    public string? LocalEndPoint { get; }

    public FieldTable ClientProperties { get; private set; } = new();

    public string AuthMechanism { get; private set; } = "PLAIN";

    public ConnectionInfo Describe()
    {
        var (peerHost, peerPort) = Split(RemoteEndPoint);
        var (host, port) = LocalEndPoint is null ? (string.Empty, 0) : Split(LocalEndPoint);
        var state = _state switch
        {
            ConnectionState.Open => Volatile.Read(ref _blockedSent) == 1 ? "blocked" : "running",
            ConnectionState.Closing or ConnectionState.Closed => "closing",
            _ => "starting",
        };
        return new ConnectionInfo(
            Name,
            ClientProperties.GetString("connection_name"),
            VirtualHostName ?? string.Empty,
            UserName,
            peerHost,
            peerPort,
            host,
            port,
            AuthMechanism,
            FrameMax,
            ChannelMax,
            Heartbeat,
            ClientProperties,
            _connectedAt,
            Volatile.Read(ref _openChannels),
            Volatile.Read(ref _receivedBytes),
            Volatile.Read(ref _receivedFrames),
            Output.SentBytes,
            state);
    }

    public void CopyChannels(List<ChannelInfo> into)
    {
        var channels = Volatile.Read(ref _channels);
        foreach (var channel in channels)
        {
            if (channel is not null)
            {
                into.Add(channel.Describe());
            }
        }
    }

    public void CloseByOperator(string reason) => CloseFromBroker(ReplyCodes.ConnectionForced, reason);

    private static string FormatAddress(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();

    private static (string Host, int Port) Split(string endPoint)
    {
        var colon = endPoint.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(endPoint.AsSpan(colon + 1), out var port))
        {
            return (endPoint, 0);
        }

        var host = endPoint[..colon].Trim('[', ']');
        return (IPAddress.TryParse(host, out var address) ? FormatAddress(address) : host, port);
    }
}
