namespace Broker.Testing;

/// <summary>
/// A virtual host made for one test by <see cref="EmbeddedBroker.CreateVirtualHostAsync"/>: connect to
/// <see cref="AmqpUri"/>; dispose it to delete the virtual host and all it holds.
/// </summary>
public sealed class TestVirtualHost : IAsyncDisposable
{
    private int _disposed;

    internal TestVirtualHost(EmbeddedBroker broker, string name, Uri amqpUri)
    {
        Broker = broker;
        Name = name;
        AmqpUri = amqpUri;
    }

    /// <summary>The broker it lives on.</summary>
    public EmbeddedBroker Broker { get; }

    /// <summary>The virtual host's name.</summary>
    public string Name { get; }

    /// <summary>amqp://USER:PASSWORD@127.0.0.1:PORT/NAME for the broker's default user.</summary>
    public Uri AmqpUri { get; }

    /// <summary>Deletes the virtual host (its connections are closed with 320 CONNECTION_FORCED).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Broker.DeleteVirtualHostAsync(Name);
        }
    }
}
