using Broker.RawClient;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests.Helpers;

/// <summary>
/// Per-test setup and teardown: one open connection and channel, unique names, and cleanup of every queue
/// and exchange the test named, so the suite can run repeatedly (and in parallel) against one external broker.
/// </summary>
public abstract class BrokerTestBase : IAsyncLifetime
{
    private readonly List<IConnection> _connections = [];
    private readonly List<string> _queues = [];
    private readonly List<string> _exchanges = [];

    protected BrokerTestBase(BrokerFixture fixture)
    {
        Fixture = fixture;
    }

    protected BrokerFixture Fixture { get; }

    /// <summary>The test's main connection, opened before the test runs.</summary>
    protected IConnection Connection { get; private set; } = null!;

    /// <summary>A channel on <see cref="Connection"/>, opened before the test runs.</summary>
    protected IChannel Channel { get; private set; } = null!;

    private IChannel? _publisher;

    /// <summary>
    /// Publishes on a confirm-tracking channel and waits for the broker's ack, so the message is enqueued
    /// before the test looks at queue state from another channel (RabbitMQ routes asynchronously).
    /// </summary>
    protected async Task SendAsync(string exchange, string routingKey, string body, BasicProperties? properties = null)
    {
        _publisher ??= await Connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await _publisher.BasicPublishAsync(exchange, routingKey, mandatory: false, properties ?? new BasicProperties(), Amqp.Body(body));
    }

    /// <summary>Sends the bodies in order to a queue through the default exchange, confirmed.</summary>
    protected async Task SendManyAsync(string queue, params string[] bodies)
    {
        foreach (var body in bodies)
        {
            await SendAsync("", queue, body);
        }
    }

    /// <summary>
    /// Returns the bodies that reached a queue: publishes a marker to the queue on the same channel as the
    /// test's publishes (RabbitMQ keeps per-channel order into a queue), then consumes until the marker.
    /// Anything routed before the marker is in the list; nothing routed is an empty list, deterministically.
    /// </summary>
    protected async Task<IReadOnlyList<string>> DrainAsync(string queue, IChannel? publishedOn = null)
    {
        var marker = $"marker-{Guid.NewGuid():N}";
        await (publishedOn ?? Channel).PublishAsync("", queue, marker);
        await using var channel = await Connection.CreateChannelAsync();
        var consumer = await channel.ConsumeAsync(queue, autoAck: true);
        var bodies = new List<string>();
        while ((await consumer.NextAsync()).Text is var text && text != marker)
        {
            bodies.Add(text);
        }

        await channel.CloseAsync();
        return bodies;
    }

    public virtual async Task InitializeAsync()
    {
        Connection = await ConnectAsync();
        Channel = await Connection.CreateChannelAsync();
    }

    /// <summary>Opens another connection that is closed when the test ends.</summary>
    protected async Task<IConnection> ConnectAsync(Action<ConnectionFactory>? configure = null)
    {
        var factory = Fixture.CreateFactory();
        configure?.Invoke(factory);
        var connection = await factory.CreateConnectionAsync(GetType().Name);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        return connection;
    }

    /// <summary>A unique queue name, deleted at the end of the test.</summary>
    protected string QueueName(string prefix = "q")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        lock (_queues)
        {
            _queues.Add(name);
        }

        return name;
    }

    /// <summary>A unique exchange name, deleted at the end of the test.</summary>
    protected string ExchangeName(string prefix = "x")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        lock (_exchanges)
        {
            _exchanges.Add(name);
        }

        return name;
    }

    /// <summary>Registers a server-named queue for deletion.</summary>
    protected void TrackQueue(string name)
    {
        lock (_queues)
        {
            _queues.Add(name);
        }
    }

    /// <summary>Declares a plain (non-durable, non-exclusive, non-auto-delete) queue with a unique name.</summary>
    protected async Task<string> DeclareQueueAsync(IChannel? channel = null, IDictionary<string, object?>? arguments = null, string prefix = "q")
    {
        var name = QueueName(prefix);
        await (channel ?? Channel).QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false, arguments);
        return name;
    }

    /// <summary>Declares a non-durable exchange with a unique name.</summary>
    protected async Task<string> DeclareExchangeAsync(string type, IChannel? channel = null, IDictionary<string, object?>? arguments = null, bool autoDelete = false)
    {
        var name = ExchangeName(type);
        await (channel ?? Channel).ExchangeDeclareAsync(name, type, durable: false, autoDelete, arguments);
        return name;
    }

    /// <summary>
    /// Declares an internal exchange. RabbitMQ.Client 7 always declares non-internal exchanges, so this goes
    /// through the raw client.
    /// </summary>
    protected async Task<string> DeclareInternalExchangeAsync(string type)
    {
        var name = ExchangeName($"internal-{type}");
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        await raw.DeclareExchangeAsync(1, name, type, @internal: true);
        await raw.CloseAsync();
        return name;
    }

    /// <summary>Opens a fresh channel on <see cref="Connection"/>.</summary>
    protected Task<IChannel> NewChannelAsync(CreateChannelOptions? options = null) => Connection.CreateChannelAsync(options);

    /// <summary>
    /// Whether a queue exists, probed with a passive declare on a throwaway channel (405 means it exists but
    /// is exclusive to another connection).
    /// </summary>
    protected async Task<bool> QueueExistsAsync(string name)
    {
        await using var probe = await Connection.CreateChannelAsync();
        try
        {
            await probe.QueueDeclarePassiveAsync(name);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 405)
        {
            return true;
        }
    }

    /// <summary>Whether an exchange exists, probed with a passive declare on a throwaway channel.</summary>
    protected async Task<bool> ExchangeExistsAsync(string name)
    {
        await using var probe = await Connection.CreateChannelAsync();
        try
        {
            await probe.ExchangeDeclarePassiveAsync(name);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            try
            {
                if (connection.IsOpen)
                {
                    await connection.CloseAsync();
                }

                connection.Dispose();
            }
            catch (Exception)
            {
                // already closed by the broker or the test
            }
        }

        if (_queues.Count > 0 || _exchanges.Count > 0)
        {
            await CleanUpAsync();
        }

        // A failure the broker logged while the test ran fails the test.
        Fixture.ThrowIfBrokerErrors(GetType().Name);
    }

    private async Task CleanUpAsync()
    {
        await using var cleanup = await Fixture.ConnectAsync("cleanup");
        var channel = await cleanup.CreateChannelAsync();
        foreach (var queue in _queues)
        {
            channel = await TryAsync(cleanup, channel, ch => ch.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false));
        }

        foreach (var exchange in _exchanges)
        {
            channel = await TryAsync(cleanup, channel, ch => ch.ExchangeDeleteAsync(exchange, ifUnused: false));
        }

        await cleanup.CloseAsync();
    }

    private static async Task<IChannel> TryAsync(IConnection connection, IChannel channel, Func<IChannel, Task> action)
    {
        try
        {
            await action(channel);
            return channel;
        }
        catch (OperationInterruptedException)
        {
            // e.g. an exclusive queue whose owner is still closing (405): it goes away with its owner
            return await connection.CreateChannelAsync();
        }
    }
}
