using Broker.Server.Errors;

namespace Broker.Server.Connections;

internal sealed partial class AmqpConnection
{
    private int _consumerTimeoutPending;

    /// <summary>
    /// Server timer (about once a second): when a channel's oldest unacknowledged delivery is older than
    /// the consumer timeout, wakes the read loop to close that channel, as RabbitMQ's consumer_timeout does.
    /// </summary>
    private void CheckConsumerTimeout(long nowMs)
    {
        var timeoutMs = (long)_server.Options.ConsumerTimeout.TotalMilliseconds;
        if (timeoutMs <= 0 || Volatile.Read(ref _consumerTimeoutPending) != 0)
        {
            return;
        }

        // The array is replaced, never shrunk in place, by the loop: a stale read only delays the check.
        var channels = Volatile.Read(ref _channels);
        for (var i = 0; i < channels.Length; i++)
        {
            if (channels[i] is { } channel && channel.AckTimedOut(nowMs, timeoutMs))
            {
                Volatile.Write(ref _consumerTimeoutPending, 1);
                _transport.Input.CancelPendingRead();
                return;
            }
        }
    }

    /// <summary>On the read loop: closes every channel whose delivery waited too long for its ack (406).</summary>
    private void CloseTimedOutChannels()
    {
        Volatile.Write(ref _consumerTimeoutPending, 0);
        var timeoutMs = (long)_server.Options.ConsumerTimeout.TotalMilliseconds;
        if (timeoutMs <= 0 || _state != ConnectionState.Open)
        {
            return;
        }

        var now = _server.Clock.NowMs;
        var channels = _channels;
        for (var i = 0; i < channels.Length; i++)
        {
            if (channels[i] is { } channel && channel.AckTimedOut(now, timeoutMs))
            {
                CloseChannelWithError(channel, AmqpException.PreconditionFailed(
                    $"delivery acknowledgement on channel {channel.Number} timed out. Timeout value used: {timeoutMs} ms. "
                    + "This timeout value can be configured, see consumers doc guide to learn more",
                    0));
            }
        }
    }
}
