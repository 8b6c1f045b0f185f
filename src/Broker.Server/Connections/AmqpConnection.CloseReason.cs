using Microsoft.Extensions.Logging;

namespace Broker.Server.Connections;

/// <summary>Why a connection ended, for its one close line (RabbitMQ logs the same causes, in several lines).</summary>
internal sealed partial class AmqpConnection
{
    private CloseRecord? _closeRecord;

    /// <summary>The name in log lines: "PEER -> LISTENER", then " - NAME" when the client gave a connection_name, as RabbitMQ's.</summary>
    public string DisplayName { get; private set; } = string.Empty;

    /// <summary>
    /// Records why the connection ends. The first cause wins: a forced close the client then hangs up
    /// on stays a forced close. Called from the read loop, the timer and the management API.
    /// </summary>
    private void RecordClose(string cause, string reason, LogLevel level = LogLevel.Warning) =>
        Interlocked.CompareExchange(ref _closeRecord, new CloseRecord(cause, reason, level), null);

    private void LogClosed()
    {
        var record = Volatile.Read(ref _closeRecord) ?? new CloseRecord("unknown", "connection ended", LogLevel.Warning);
        var lifetimeSeconds = Math.Round((_server.Clock.NowMs - StartedMs) / 1000.0, 1);
        Log.ConnectionClosed(_logger, record.Level, DisplayName, UserName, VirtualHostName ?? string.Empty, lifetimeSeconds, record.Cause, record.Reason);
    }

    /// <param name="Cause">A short stable token for log queries: client_close, missed_heartbeats, socket_closed, connection_reset, forced, connection_error, internal_error.</param>
    private sealed record CloseRecord(string Cause, string Reason, LogLevel Level);
}
