using Broker.Testing;

namespace Broker.InteropTests;

/// <summary>
/// The broker the client processes talk to: the one at BROKER_TEST_URI when that is set (for example a
/// RabbitMQ 3.10 on amqp://guest:guest@127.0.0.1:5673/), else an <see cref="EmbeddedBroker"/> started for
/// the test class.
/// </summary>
public sealed class InteropBrokerFixture : IAsyncLifetime
{
    private EmbeddedBroker? _embedded;

    /// <summary>The AMQP URI handed to the clients, e.g. amqp://guest:guest@127.0.0.1:5672/.</summary>
    public Uri Uri { get; private set; } = null!;

    /// <summary>True when the tests run against an external broker (RabbitMQ or another Broker).</summary>
    public bool IsExternal { get; private set; }

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("BROKER_TEST_URI");
        if (!string.IsNullOrEmpty(external))
        {
            Uri = new Uri(external);
            IsExternal = true;
            return;
        }

        _embedded = await EmbeddedBroker.StartAsync();
        Uri = _embedded.AmqpUri;
    }

    public async Task DisposeAsync()
    {
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
