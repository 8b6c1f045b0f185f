using Broker.Testing;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// The broker under test: the one at BROKER_TEST_URI when that is set (for example a RabbitMQ 3.10 on
/// amqp://guest:guest@127.0.0.1:5673/), else an <see cref="EmbeddedBroker"/> started for this test class.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private EmbeddedBroker? _embedded;

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

    public ConnectionFactory CreateFactory() => new()
    {
        Uri = Uri,
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        RequestedHeartbeat = TimeSpan.FromSeconds(30),
    };

    public Task<IConnection> ConnectAsync(string? name = null) => CreateFactory().CreateConnectionAsync(name ?? "integration-test");
}
