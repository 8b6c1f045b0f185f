using System.Buffers.Binary;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.Benchmarks.Clients;

/// <summary><see cref="IBenchConnection"/> on RabbitMQ.Client 7 (async API, one consumer dispatch task per channel).</summary>
internal sealed class DotnetConnection : IBenchConnection
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private IChannel? _publishChannel;
    private Exception? _failure;

    private DotnetConnection(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
        _connection.ConnectionShutdownAsync += (_, e) =>
        {
            if (e.Initiator != ShutdownInitiator.Application)
            {
                _failure ??= new InvalidOperationException($"connection closed by {e.Initiator}: {e.ReplyCode} {e.ReplyText}");
            }

            return Task.CompletedTask;
        };
        _channel.ChannelShutdownAsync += OnChannelShutdown;
    }

    public Exception? Failure => _failure;

    public static async Task<DotnetConnection> ConnectAsync(Uri uri, string name, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            Uri = uri,
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            ConsumerDispatchConcurrency = 1,
            ClientProvidedName = name,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(15),
        };
        var connection = await factory.CreateConnectionAsync(ct);
        try
        {
            var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            return new DotnetConnection(connection, channel);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task DeclareQueueAsync(string name, bool durable, IDictionary<string, object?>? arguments, CancellationToken ct) =>
        _channel.QueueDeclareAsync(name, durable, exclusive: false, autoDelete: false, arguments, cancellationToken: ct);

    public Task DeclareExchangeAsync(string name, string type, CancellationToken ct) =>
        _channel.ExchangeDeclareAsync(name, type, durable: false, autoDelete: false, arguments: null, cancellationToken: ct);

    public Task BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken ct) =>
        _channel.QueueBindAsync(queue, exchange, routingKey, arguments: null, cancellationToken: ct);

    public Task DeleteQueueAsync(string name, CancellationToken ct) =>
        _channel.QueueDeleteAsync(name, ifUnused: false, ifEmpty: false, cancellationToken: ct);

    public async Task<uint> QueueMessageCountAsync(string name, CancellationToken ct) =>
        (await _channel.QueueDeclarePassiveAsync(name, ct)).MessageCount;

    public Task DeleteExchangeAsync(string name, CancellationToken ct) =>
        _channel.ExchangeDeleteAsync(name, ifUnused: false, cancellationToken: ct);

    public async Task StartConsumerAsync(string queue, ushort prefetch, int ackEvery, ConsumerCounter counter, BodyObserver? observer,
        IDictionary<string, object?>? arguments, CancellationToken ct)
    {
        await _channel.BasicQosAsync(0, prefetch, global: false, ct);
        await _channel.BasicConsumeAsync(queue, autoAck: false, consumerTag: "", noLocal: false, exclusive: false, arguments,
            new CountingConsumer(_channel, ackEvery, counter, observer), ct);
    }

    public async Task<IBenchPublisher> CreatePublisherAsync(string exchange, string routingKey, int bodySize, bool persistent, ConfirmTracker? confirms, CancellationToken ct)
    {
        var channel = _channel;
        if (confirms != null)
        {
            // Confirm mode without the library's tracking: the tracker counts basic.ack/nack itself, so
            // publishing is not serialised behind each confirm and the window is ours.
            channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false), ct);
            channel.ChannelShutdownAsync += OnChannelShutdown;
            channel.BasicAcksAsync += (_, e) =>
            {
                confirms.Resolve(e.DeliveryTag, e.Multiple, nack: false);
                return Task.CompletedTask;
            };
            channel.BasicNacksAsync += (_, e) =>
            {
                confirms.Resolve(e.DeliveryTag, e.Multiple, nack: true);
                return Task.CompletedTask;
            };
            _publishChannel = channel;
        }

        return new Publisher(channel, exchange, routingKey, bodySize, persistent);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _connection.CloseAsync(Constants.ReplySuccess, "bye", TimeSpan.FromSeconds(5), abort: false, cts.Token);
        }
        catch (Exception)
        {
            // Closing is best effort: the broker may already have closed the connection.
        }

        if (_publishChannel != null)
        {
            await _publishChannel.DisposeAsync();
        }

        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private Task OnChannelShutdown(object sender, ShutdownEventArgs e)
    {
        if (e.Initiator != ShutdownInitiator.Application)
        {
            _failure ??= new InvalidOperationException($"channel closed by {e.Initiator}: {e.ReplyCode} {e.ReplyText}");
        }

        return Task.CompletedTask;
    }

    private sealed class CountingConsumer(IChannel channel, int ackEvery, ConsumerCounter counter, BodyObserver? observer)
        : AsyncDefaultBasicConsumer(channel)
    {
        private int _unacked;

        public override Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange,
            string routingKey, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        {
            observer?.Invoke(body.Span);
            counter.Increment();
            if (++_unacked < ackEvery)
            {
                return Task.CompletedTask;
            }

            _unacked = 0;
            return Channel.BasicAckAsync(deliveryTag, multiple: true, cancellationToken).AsTask();
        }
    }

    private sealed class Publisher : IBenchPublisher
    {
        private readonly IChannel _channel;
        private readonly CachedString _exchange;
        private readonly CachedString _routingKey;
        private readonly BasicProperties _properties;
        private readonly byte[] _body;

        public Publisher(IChannel channel, string exchange, string routingKey, int bodySize, bool persistent)
        {
            _channel = channel;
            _exchange = new CachedString(exchange);
            _routingKey = new CachedString(routingKey);
            _properties = new BasicProperties { DeliveryMode = persistent ? DeliveryModes.Persistent : DeliveryModes.Transient };
            _body = new byte[bodySize];
            Random.Shared.NextBytes(_body);
        }

        public async ValueTask PublishAsync(int count, CancellationToken ct)
        {
            for (var i = 0; i < count; i++)
            {
                // Without confirms this completes synchronously while the client's write pipe has room,
                // so awaiting costs nothing; the await only parks us when the socket pushes back.
                await _channel.BasicPublishAsync(_exchange, _routingKey, mandatory: false, _properties, _body, ct);
            }
        }

        public ValueTask PublishStampedAsync(long timestamp, CancellationToken ct)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_body, timestamp);
            return _channel.BasicPublishAsync(_exchange, _routingKey, mandatory: false, _properties, _body, ct);
        }
    }
}
