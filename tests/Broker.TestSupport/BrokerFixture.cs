using Broker.Testing;
using RabbitMQ.Client;
using Xunit;

namespace Broker.TestSupport;

/// <summary>
/// The broker under test, for an xunit class: the one at BROKER_TEST_URI when that is set (for example
/// a RabbitMQ 3.10 on amqp://guest:guest@127.0.0.1:5673/), else an <see cref="EmbeddedBroker"/> started
/// for the test class. Tests call <see cref="ThrowIfBrokerErrors"/> when they end, so a failure the
/// embedded broker logged fails the test that caused it.
/// </summary>
public class BrokerFixture : IAsyncLifetime
{
    private readonly string _uriVariable;
    private readonly EmbeddedBrokerOptions? _options;
    private TestBroker? _broker;

    public BrokerFixture()
        : this(TestBroker.DefaultUriVariable, options: null)
    {
    }

    /// <summary>A fixture for another broker: the one <paramref name="uriVariable"/> names, else one embedded with <paramref name="options"/>.</summary>
    protected BrokerFixture(string uriVariable, EmbeddedBrokerOptions? options)
    {
        _uriVariable = uriVariable;
        _options = options;
    }

    private TestBroker Broker => _broker ?? throw new InvalidOperationException("the fixture is not initialized");

    public Uri Uri => Broker.Uri;

    /// <summary>True when the tests run against an external broker (RabbitMQ or another Broker).</summary>
    public bool IsExternal => Broker.IsExternal;

    /// <summary>The broker started in this process; null when the tests use an external one.</summary>
    public EmbeddedBroker? Embedded => Broker.Embedded;

    public async Task InitializeAsync() => _broker = await TestBroker.StartAsync(_uriVariable, _options);

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();

            // What the broker logged after the last test's check, or while it stopped.
            _broker.ThrowIfErrors("the end of the test class and the broker's stop");
        }
    }

    /// <summary>Fails when the embedded broker logged an error since the last check.</summary>
    public void ThrowIfBrokerErrors(string context) => Broker.ThrowIfErrors(context);

    public ConnectionFactory CreateFactory() => new()
    {
        Uri = Uri,
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        RequestedHeartbeat = TimeSpan.FromSeconds(30),
    };

    public Task<IConnection> ConnectAsync(string? name = null) => CreateFactory().CreateConnectionAsync(name ?? "integration-test");
}
