using Microsoft.Extensions.Logging;

namespace Broker.Server.Connections;

/// <summary>Connection log lines: one per open, close and error, never one per message.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "accepted AMQP connection {Connection} user '{User}' vhost '{VirtualHost}'")]
    public static partial void ConnectionOpened(ILogger logger, string connection, string user, string virtualHost);

    // Information for a close the client or the operator asked for, Warning for the others.
    [LoggerMessage(EventId = 2, Message = "closed AMQP connection {Connection} user '{User}' vhost '{VirtualHost}' after {LifetimeSeconds} s ({CloseCause}): {CloseReason}")]
    public static partial void ConnectionClosed(ILogger logger, LogLevel level, string connection, string user, string virtualHost, double lifetimeSeconds, string closeCause, string closeReason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "closing AMQP connection {RemoteEndPoint}: {ReplyText}")]
    public static partial void ConnectionError(ILogger logger, string remoteEndPoint, string replyText);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "channel error on connection {RemoteEndPoint}, channel {Channel}: {ReplyText}")]
    public static partial void ChannelError(ILogger logger, string remoteEndPoint, ushort channel, string replyText);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{RemoteEndPoint} sent an unsupported protocol header; replied with AMQP 0-9-1's and closed")]
    public static partial void BadProtocolHeader(ILogger logger, string remoteEndPoint);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "login refused for user '{User}' from {RemoteEndPoint} (mechanism {Mechanism})")]
    public static partial void AuthenticationFailed(ILogger logger, string remoteEndPoint, string user, string mechanism);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "{RemoteEndPoint} did not complete the handshake in time: closing")]
    public static partial void HandshakeTimeout(ILogger logger, string remoteEndPoint);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "unexpected error on connection {RemoteEndPoint}")]
    public static partial void UnexpectedError(ILogger logger, Exception exception, string remoteEndPoint);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "user '{User}' can only connect via localhost, not from {RemoteEndPoint} (loopback_users)")]
    public static partial void LoopbackUserRefused(ILogger logger, string remoteEndPoint, string user);
}
