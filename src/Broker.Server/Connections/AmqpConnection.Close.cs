using Broker.Protocol;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;

namespace Broker.Server.Connections;

internal sealed partial class AmqpConnection
{
    /// <summary>
    /// A connection error: release everything, send connection.close with the code, and wait a while
    /// for close-ok (frames other than close and close-ok are ignored meanwhile).
    /// </summary>
    private void CloseWithError(ushort replyCode, string replyText, uint methodId, string explanation)
    {
        if (_state is ConnectionState.Closing or ConnectionState.Closed)
        {
            return;
        }

        var wasOpen = _state == ConnectionState.Open;
        if (wasOpen)
        {
            // The close line says it, with how long the connection lived.
            RecordClose("connection_error", $"{replyCode} {replyText}");
        }
        else
        {
            // A handshake that fails gets no close line: this is its one line.
            Log.ConnectionError(_logger, RemoteEndPoint, replyText);
        }

        ReleaseResources();
        WriteMethod(0, new ConnectionClose(replyCode, replyText, (ushort)(methodId >> 16), (ushort)methodId));
        _closingSinceMs = _server.Clock.NowMs;
        _state = wasOpen || replyCode != ReplyCodes.AccessRefused ? ConnectionState.Closing : ConnectionState.Closed;
        _ = explanation;
    }

    /// <summary>Closes the connection from the broker's side, e.g. 320 CONNECTION_FORCED at shutdown.</summary>
    public void CloseFromBroker(ushort replyCode, string explanation)
    {
        var replyText = Errors.AmqpException.FormatReplyText(replyCode, explanation);
        RecordClose("forced", $"{replyCode} {replyText}", Microsoft.Extensions.Logging.LogLevel.Information);

        // Called from outside the read loop: hand the close to it through the output lock.
        lock (Output.SyncRoot)
        {
            if (_state != ConnectionState.Open || Output.IsCompleted)
            {
                Abort();
                return;
            }

            // Closing before the frame can leave: a quick close-ok must find the connection expecting it.
            _closingSinceMs = _server.Clock.NowMs;
            _state = ConnectionState.Closing;
            FrameWriter.WriteMethod(Output.Writer, 0, new ConnectionClose(replyCode, replyText, 0, 0));
        }

        Output.Flush();
    }

    /// <summary>Stops the read loop; the connection is torn down without further frames.</summary>
    public void Abort()
    {
        _abort = true;
        _aborted.TrySetResult();
        _transport.Input.CancelPendingRead();
    }

    /// <summary>Gives back channels (requeuing their unacknowledged deliveries) and exclusive queues.</summary>
    private void ReleaseResources()
    {
        var channels = _channels;
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i]?.Release();
        }

        foreach (var queue in _exclusiveQueues)
        {
            queue.VirtualHost.DeleteQueue(queue);
        }

        _exclusiveQueues.Clear();
    }

    private async Task ShutdownAsync()
    {
        Engine.Clients.Remove(this);
        ReleaseResources();

        // Requeued deliveries may have gone to other connections' consumers: flush those too.
        Batch.FlushAll();
        Output.Flush();
        Output.MarkCompleted();
        try
        {
            // Let close-ok and the last frames reach the socket before completing the pipe.
            await _transport.Output.FlushAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception)
        {
            // The peer is gone or not reading; the frames have nowhere to go.
        }

        await _transport.Output.CompleteAsync();
        await _transport.Input.CompleteAsync();
        if (_virtualHost is not null)
        {
            LogClosed();
        }
    }
}
