using Broker.Testing;

namespace Broker.InteropTests;

/// <summary>
/// The broker under test with its management API, for tools that speak HTTP (rabbitmqadmin): an
/// embedded broker with the API on a free port, or the broker at BROKER_TEST_URI whose API
/// BROKER_TEST_MANAGEMENT_URI names (http://USER:PASSWORD@HOST:PORT/, e.g. RabbitMQ's on 15672).
/// </summary>
public sealed class ManagementBrokerFixture : IAsyncLifetime
{
    private TestBroker? _broker;

    private TestBroker Broker => _broker ?? throw new InvalidOperationException("the fixture is not initialized");

    public string Host { get; private set; } = "127.0.0.1";

    public int Port { get; private set; }

    public string User { get; private set; } = "guest";

    public string Password { get; private set; } = "guest";

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(options: new EmbeddedBrokerOptions { ManagementPort = 0 });
        var management = _broker.ManagementUri
            ?? throw new InvalidOperationException($"set {TestBroker.ManagementUriVariable} (e.g. http://guest:guest@127.0.0.1:15672/) to the management API of the broker at {TestBroker.DefaultUriVariable}");
        Host = management.Host;
        Port = management.Port;
        if (management.UserInfo.Length > 0)
        {
            var parts = management.UserInfo.Split(':', 2);
            User = Uri.UnescapeDataString(parts[0]);
            Password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
        }
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
            _broker.ThrowIfErrors("the end of the test class and the broker's stop");
        }
    }

    /// <summary>Fails when the embedded broker logged an error since the last check.</summary>
    public void ThrowIfBrokerErrors(string context) => Broker.ThrowIfErrors(context);
}
