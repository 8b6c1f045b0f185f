using Broker.Protocol.Framing;
using Broker.Protocol.Methods;

namespace Broker.Server.Connections;

internal sealed partial class AmqpConnection
{
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _hasPublished;
    private int _blockedSent;

    /// <summary>A channel received basic.publish: this connection is a publisher (alarms may block it).</summary>
    public void OnPublish() => _hasPublished = true;

    /// <summary>An alarm was raised or cleared: tell this publisher (if it asked to be told).</summary>
    public void OnAlarmChanged(bool active)
    {
        if (!IsOpen || !_hasPublished)
        {
            return;
        }

        if (active)
        {
            SendBlocked();
        }
        else if (Interlocked.Exchange(ref _blockedSent, 0) == 1 && ConnectionBlockedNotify)
        {
            WriteAndFlush(default(ConnectionUnblocked));
        }
    }

    /// <summary>
    /// Before reading more: a publisher waits while an alarm is active (as RabbitMQ stops reading a
    /// blocked connection's socket), and while the store is far behind with writing.
    /// </summary>
    private async ValueTask ThrottleAsync()
    {
        if (!_hasPublished)
        {
            return;
        }

        var alarms = Engine.Alarms;
        var limit = _server.Options.StorePendingLimit;
        if (!alarms.IsActive && Engine.Store.PendingBytes <= limit)
        {
            return;
        }

        // The socket is not read meanwhile: the peer's heartbeats go unseen, so the missed-heartbeat
        // check is paused (RabbitMQ pauses its heartbeat monitor while a connection is blocked).
        Volatile.Write(ref _readingPaused, true);
        try
        {
            while (alarms.IsActive && !_abort)
            {
                SendBlocked();
                await Task.WhenAny(alarms.WhenCleared(), _aborted.Task);
            }

            // Internal flow control, without a notification (RabbitMQ's credit flow does the same).
            while (Engine.Store.PendingBytes > limit && !_abort)
            {
                await Task.Delay(1);
            }
        }
        finally
        {
            _lastReceivedMs = _server.Clock.NowMs;
            Volatile.Write(ref _readingPaused, false);
        }
    }

    private void SendBlocked()
    {
        if (Interlocked.Exchange(ref _blockedSent, 1) == 0 && ConnectionBlockedNotify)
        {
            WriteAndFlush(new ConnectionBlocked(Engine.Alarms.Reason));
        }
    }

    private void WriteAndFlush<T>(in T method)
        where T : struct, IAmqpMethod<T>
    {
        lock (Output.SyncRoot)
        {
            if (Output.IsCompleted)
            {
                return;
            }

            FrameWriter.WriteMethod(Output.Writer, 0, method);
        }

        Output.Flush();
    }
}
