namespace Broker.Testing;

/// <summary>
/// A broker started inside the current process, for tests: it listens on 127.0.0.1 on a free port
/// and keeps its data in its own temporary directory. Several can run in one process.
/// </summary>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    private EmbeddedBroker(Uri amqpUri)
    {
        AmqpUri = amqpUri;
    }

    /// <summary>amqp://guest:guest@127.0.0.1:PORT/ (user and password from the options).</summary>
    public Uri AmqpUri { get; }

    /// <summary>Starts a broker and returns once it accepts connections.</summary>
    public static Task<EmbeddedBroker> StartAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the embedded broker is being written");

    /// <summary>Stops the broker and deletes its data directory.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
