using RabbitMQ.Client;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// Publishes in order on a confirm channel without per-message tracking: each publish is awaited only
/// until it is sent (so the wire order is the call order), and the broker's basic.ack/basic.nack
/// (multiple or not) are counted; at most <see cref="Window"/> publishes wait for their confirm.
/// </summary>
public sealed class WindowedPublisher
{
    private readonly IChannel _channel;
    private readonly Lock _lock = new();
    private readonly HashSet<ulong> _settledAhead = [];
    private ulong _settledUpTo;
    private ulong _published;
    private long _nacked;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WindowedPublisher(IChannel channel, int window)
    {
        _channel = channel;
        Window = window;
        channel.BasicAcksAsync += (_, e) =>
        {
            Settle(e.DeliveryTag, e.Multiple, nack: false);
            return Task.CompletedTask;
        };
        channel.BasicNacksAsync += (_, e) =>
        {
            Settle(e.DeliveryTag, e.Multiple, nack: true);
            return Task.CompletedTask;
        };
    }

    public int Window { get; }

    public IChannel Channel => _channel;

    public long Nacked => Interlocked.Read(ref _nacked);

    public static async Task<WindowedPublisher> CreateAsync(IConnection connection, int window)
    {
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false));
        return new WindowedPublisher(channel, window);
    }

    public async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body)
    {
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                if (_published - _settledUpTo < (ulong)Window)
                {
                    _published++;
                    break;
                }

                progress = _progress.Task;
            }

            await progress.WaitAsync(Amqp.Patience);
        }

        await _channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body);
    }

    /// <summary>Waits until every publish so far is confirmed (acked or nacked).</summary>
    public async Task WaitForConfirmsAsync()
    {
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                if (_settledUpTo == _published)
                {
                    return;
                }

                progress = _progress.Task;
            }

            await progress.WaitAsync(Amqp.Patience);
        }
    }

    private void Settle(ulong tag, bool multiple, bool nack)
    {
        lock (_lock)
        {
            var before = _settledUpTo;
            if (multiple)
            {
                _settledUpTo = Math.Max(_settledUpTo, tag);
            }
            else if (tag == _settledUpTo + 1)
            {
                _settledUpTo = tag;
            }
            else if (tag > _settledUpTo)
            {
                _settledAhead.Add(tag);
            }

            while (_settledAhead.Remove(_settledUpTo + 1))
            {
                _settledUpTo++;
            }

            if (nack)
            {
                Interlocked.Add(ref _nacked, multiple ? (long)(_settledUpTo - before) : 1);
            }

            var progress = _progress;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            progress.TrySetResult();
        }
    }
}
