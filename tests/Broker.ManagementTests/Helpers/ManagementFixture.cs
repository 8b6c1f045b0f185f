using System.Net.Http.Headers;
using System.Text;
using Broker.Testing;
using RabbitMQ.Client;

namespace Broker.ManagementTests.Helpers;

/// <summary>
/// The broker under test with its management API and Prometheus endpoint, for an xunit class: an
/// embedded broker started with both on free ports, or, when BROKER_TEST_URI is set, that broker with
/// its management API at BROKER_TEST_MANAGEMENT_URI (credentials in the user info) and its Prometheus
/// endpoint at BROKER_TEST_PROMETHEUS_URI.
/// </summary>
public sealed class ManagementFixture : IAsyncLifetime
{
    /// <summary>Where an external broker's Prometheus endpoint is (e.g. http://127.0.0.1:15692/).</summary>
    public const string PrometheusUriVariable = "BROKER_TEST_PROMETHEUS_URI";

    private TestBroker? _broker;

    private TestBroker Broker => _broker ?? throw new InvalidOperationException("the fixture is not initialized");

    /// <summary>amqp://guest:guest@HOST:PORT/ of the broker under test.</summary>
    public Uri AmqpUri => Broker.Uri;

    /// <summary>The management API's base address, without credentials.</summary>
    public Uri ManagementUri { get; private set; } = null!;

    /// <summary>The Prometheus endpoint's base address, or null when an external broker's is not named.</summary>
    public Uri? PrometheusUri { get; private set; }

    /// <summary>The administrator the API is called as (guest unless the management URI names another).</summary>
    public string AdminUser { get; private set; } = "guest";

    public string AdminPassword { get; private set; } = "guest";

    public bool IsExternal => Broker.IsExternal;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(options: new EmbeddedBrokerOptions { ManagementPort = 0, PrometheusPort = 0 });
        var management = _broker.ManagementUri
            ?? throw new InvalidOperationException($"{TestBroker.ManagementUriVariable} must name the management API of the broker at {TestBroker.DefaultUriVariable}");
        if (management.UserInfo.Length > 0)
        {
            var parts = management.UserInfo.Split(':', 2);
            AdminUser = Uri.UnescapeDataString(parts[0]);
            AdminPassword = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
        }

        ManagementUri = new UriBuilder(management) { UserName = string.Empty, Password = string.Empty }.Uri;
        PrometheusUri = _broker.IsExternal
            ? Environment.GetEnvironmentVariable(PrometheusUriVariable) is { Length: > 0 } prometheus ? new Uri(prometheus) : null
            : _broker.Embedded!.PrometheusUri;
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

    /// <summary>A client of the management API that sends these credentials (none when <paramref name="user"/> is null).</summary>
    public ManagementClient Client(string? user, string? password = null)
    {
        var http = new HttpClient { BaseAddress = ManagementUri, Timeout = TimeSpan.FromSeconds(30) };
        if (user is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }

        return new ManagementClient(http);
    }

    /// <summary>A client of the management API as the administrator.</summary>
    public ManagementClient AdminClient() => Client(AdminUser, AdminPassword);

    /// <summary>An AMQP connection factory for the broker under test, in a vhost and as a user (the AMQP URI's by default).</summary>
    public ConnectionFactory Factory(string virtualHost = "/", string? user = null, string? password = null)
    {
        var parts = AmqpUri.UserInfo.Split(':', 2);
        return new ConnectionFactory
        {
            HostName = AmqpUri.Host,
            Port = AmqpUri.Port,
            VirtualHost = virtualHost,
            UserName = user ?? Uri.UnescapeDataString(parts[0]),
            Password = password ?? (user is null && parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty),
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
        };
    }
}
