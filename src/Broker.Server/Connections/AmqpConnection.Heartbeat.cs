using Broker.Protocol.Framing;

namespace Broker.Server.Connections;

internal sealed partial class AmqpConnection
{
    /// <summary>The read loop is holding back (alarm, store backlog): silence from the peer proves nothing.</summary>
    private bool _readingPaused;

    /// <summary>
    /// Called about once a second by the server's timer: sends heartbeats when the connection has been
    /// quiet for half the interval, drops peers silent for two intervals, and enforces the handshake
    /// and close timeouts.
    /// </summary>
    public void OnTimer(long nowMs)
    {
        switch (_state)
        {
            case ConnectionState.Open:
                break;
            case ConnectionState.Closing:
                if (nowMs - _closingSinceMs > (long)_server.Options.CloseTimeout.TotalMilliseconds)
                {
                    Abort();
                }

                return;
            case ConnectionState.Closed:
                return;
            default:
                if (nowMs - StartedMs > (long)_server.Options.HandshakeTimeout.TotalMilliseconds)
                {
                    Log.HandshakeTimeout(_logger, RemoteEndPoint);
                    Abort();
                }

                return;
        }

        CheckConsumerTimeout(nowMs);
        if (Heartbeat == 0)
        {
            return;
        }

        var intervalMs = Heartbeat * 1000L;
        if (!Volatile.Read(ref _readingPaused) && nowMs - Volatile.Read(ref _lastReceivedMs) > 2 * intervalMs)
        {
            RecordClose("missed_heartbeats", $"missed heartbeats from client, timeout: {Heartbeat}s");
            Abort();
            return;
        }

        if (nowMs - Output.LastSentMs >= intervalMs / 2)
        {
            lock (Output.SyncRoot)
            {
                if (Output.IsCompleted)
                {
                    return;
                }

                FrameWriter.WriteHeartbeat(Output.Writer);
            }

            Output.Flush();
        }
    }
}
