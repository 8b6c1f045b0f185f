using System.Net;
using Broker.Engine;
using Broker.Hosting;
using Broker.Management;
using Broker.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Testing;

/// <summary>
/// A broker started inside the current process, for tests: it listens on 127.0.0.1 on a free port
/// and keeps its data in its own temporary directory. Several can run in one process. It is composed
/// exactly as the broker executable is (<c>services.AddBroker</c>), without the generic host.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await EmbeddedBroker.StartAsync();
/// var factory = new ConnectionFactory { Uri = broker.AmqpUri };
/// await using var connection = await factory.CreateConnectionAsync();
/// </code>
/// </example>
public sealed partial class EmbeddedBroker : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly ErrorRecorder _errors;
    private readonly IHostedService[] _components;
    private readonly BrokerRuntime _runtime;
    private readonly bool _ownsDataDirectory;
    private int _stopped;
    private int _disposed;

    private EmbeddedBroker(ServiceProvider services, ErrorRecorder errors, IHostedService[] components, Uri amqpUri, string dataDirectory, bool ownsDataDirectory)
    {
        _services = services;
        _errors = errors;
        _components = components;
        _runtime = services.GetRequiredService<BrokerRuntime>();
        AmqpUri = amqpUri;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    /// <summary>amqp://USER:PASSWORD@127.0.0.1:PORT/ for the default user and virtual host.</summary>
    public Uri AmqpUri { get; }

    /// <summary>http://127.0.0.1:PORT/ of the management API, or null when it is off (<see cref="EmbeddedBrokerOptions.ManagementPort"/>).</summary>
    public Uri? ManagementUri => _services.GetService<ManagementServer>() is { Port: > 0 } server ? new Uri($"http://127.0.0.1:{server.Port}/") : null;

    /// <summary>http://127.0.0.1:PORT/ of the Prometheus endpoint, or null when it is off.</summary>
    public Uri? PrometheusUri => _services.GetService<ManagementServer>() is { PrometheusPort: > 0 } server ? new Uri($"http://127.0.0.1:{server.PrometheusPort}/") : null;

    /// <summary>The TCP port the broker listens on.</summary>
    public int Port => _runtime.Server.Port;

    /// <summary>The broker's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>
    /// The broker's engine, for what a test sets up that no AMQP method can: virtual hosts, users and
    /// permissions, tracing (<c>Engine.TryGetVirtualHost(name, out var vhost)</c>, then
    /// <c>vhost.Tracing = true</c>), queue and exchange state.
    /// </summary>
    public BrokerEngine Engine => _runtime.Engine;

    /// <summary>Connections currently open (handshake completed).</summary>
    public int ConnectionCount => _runtime.Server.ConnectionCount;

    /// <summary>
    /// What the broker logged at error level since it started (or since <see cref="TakeErrors"/>): its
    /// own failures, never a client's mistakes. A test that caused one should fail.
    /// </summary>
    public IReadOnlyList<BrokerLogEntry> Errors => _errors.Snapshot();

    /// <summary>Returns the errors logged since the last call and forgets them (for a check after each test).</summary>
    public IReadOnlyList<BrokerLogEntry> TakeErrors() => _errors.Take();

    /// <summary>Starts a broker and returns once it accepts connections.</summary>
    public static async Task<EmbeddedBroker> StartAsync(EmbeddedBrokerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedBrokerOptions();
        var ownsDataDirectory = options.DataDirectory is null;
        var dataDirectory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "broker-test-" + Guid.NewGuid().ToString("N"));
        var brokerOptions = new BrokerOptions
        {
            DataDirectory = dataDirectory,
            DefinitionsFile = options.DefinitionsFile,
            Engine = new EngineOptions
            {
                DefaultUser = options.User,
                DefaultPassword = options.Password,
                Compat = CompatibilityProfile.TryParse(options.Compat, out var compat)
                    ? compat
                    : throw new ArgumentException($"Compat: '{options.Compat}' is not 3.13 or 4", nameof(options)),
            },
            Server = new ServerOptions
            {
                Port = options.Port,
                BindAddress = IPAddress.Loopback,
                Heartbeat = options.Heartbeat,
                ConsumerTimeout = options.ConsumerTimeout,
                ServerProduct = options.ServerProduct,
                ServerVersion = options.ServerVersion,
            },
        };

        var errors = new ErrorRecorder(options.LoggerFactory ?? NullLoggerFactory.Instance);
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(errors);
        var builder = services.AddBroker(brokerOptions);
        if (options.ManagementPort is not null || options.PrometheusPort is not null)
        {
            builder.AddManagement(new ManagementOptions { Port = options.ManagementPort, PrometheusPort = options.PrometheusPort });
        }

        var provider = services.BuildServiceProvider();

        // The broker first, then whatever plugged in beside it, as the generic host would start them.
        var components = provider.GetServices<IHostedService>().ToArray();
        var started = 0;
        try
        {
            for (; started < components.Length; started++)
            {
                await components[started].StartAsync(cancellationToken);
            }
        }
        catch
        {
            for (var i = started - 1; i >= 0; i--)
            {
                await components[i].StopAsync(CancellationToken.None);
            }

            await provider.DisposeAsync();
            if (ownsDataDirectory)
            {
                TryDelete(dataDirectory);
            }

            throw;
        }

        var runtime = provider.GetRequiredService<BrokerRuntime>();
        var uri = new UriBuilder("amqp", "127.0.0.1", runtime.Server.Port, "/")
        {
            UserName = Uri.EscapeDataString(options.User),
            Password = Uri.EscapeDataString(options.Password),
        }.Uri;
        return new EmbeddedBroker(provider, errors, components, uri, dataDirectory, ownsDataDirectory);
    }

    /// <summary>Stops the broker: open connections are closed with 320 CONNECTION_FORCED.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        for (var i = _components.Length - 1; i >= 0; i--)
        {
            await _components[i].StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Stops the broker and deletes its data directory if it created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync();
        await _services.DisposeAsync();
        if (_ownsDataDirectory)
        {
            TryDelete(DataDirectory);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
