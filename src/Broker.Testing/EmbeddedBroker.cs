using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    private static readonly JsonSerializerOptions DefinitionsJsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly BrokerOptions _brokerOptions;
    private readonly ManagementOptions? _managementOptions;
    private readonly ErrorRecorder _errors;
    private readonly bool _ownsDataDirectory;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private RunningBroker _running;
    private bool _stopped;
    private int _disposed;

    private EmbeddedBroker(EmbeddedBrokerOptions options, BrokerOptions brokerOptions, ManagementOptions? managementOptions, ErrorRecorder errors, RunningBroker running, bool ownsDataDirectory)
    {
        Options = options;
        _brokerOptions = brokerOptions;
        _managementOptions = managementOptions;
        _errors = errors;
        _running = running;
        _ownsDataDirectory = ownsDataDirectory;

        // A restart in place listens where the first start did, so clients reconnect to the same URI.
        brokerOptions.Server.Port = running.Runtime.Server.Port;
        if (managementOptions is not null && running.Management is { } management)
        {
            managementOptions.Port = managementOptions.Port is null ? null : management.Port;
            managementOptions.PrometheusPort = managementOptions.PrometheusPort is null ? null : management.PrometheusPort;
        }

        AmqpUri = UriFor(options.VirtualHost);
    }

    /// <summary>amqp://USER:PASSWORD@127.0.0.1:PORT/VHOST for the default user and virtual host.</summary>
    public Uri AmqpUri { get; }

    /// <summary>http://127.0.0.1:PORT/ of the management API, or null when it is off (<see cref="EmbeddedBrokerOptions.ManagementPort"/>).</summary>
    public Uri? ManagementUri => _running.Management is { Port: > 0 } server ? new Uri($"http://127.0.0.1:{server.Port}/") : null;

    /// <summary>http://127.0.0.1:PORT/ of the Prometheus endpoint, or null when it is off.</summary>
    public Uri? PrometheusUri => _running.Management is { PrometheusPort: > 0 } server ? new Uri($"http://127.0.0.1:{server.PrometheusPort}/") : null;

    /// <summary>The TCP port the broker listens on (the same after <see cref="RestartAsync"/>).</summary>
    public int Port => _brokerOptions.Server.Port;

    /// <summary>The broker's data directory.</summary>
    public string DataDirectory => _brokerOptions.DataDirectory;

    /// <summary>The options the broker was started with.</summary>
    public EmbeddedBrokerOptions Options { get; }

    /// <summary>
    /// The broker's engine, for what a test sets up that no AMQP method can: virtual hosts, users and
    /// permissions, tracing (<c>Engine.TryGetVirtualHost(name, out var vhost)</c>, then
    /// <c>vhost.Tracing = true</c>), queue and exchange state. A new one after <see cref="RestartAsync"/>.
    /// </summary>
    public BrokerEngine Engine => _running.Runtime.Engine;

    /// <summary>Connections currently open (handshake completed).</summary>
    public int ConnectionCount => _running.Runtime.Server.ConnectionCount;

    /// <summary>
    /// What the broker logged at error level since it started (or since <see cref="TakeErrors"/>): its
    /// own failures, never a client's mistakes. A test that caused one should fail.
    /// </summary>
    public IReadOnlyList<BrokerLogEntry> Errors => _errors.Snapshot();

    /// <summary>Returns the errors logged since the last call and forgets them (for a check after each test).</summary>
    public IReadOnlyList<BrokerLogEntry> TakeErrors() => _errors.Take();

    private BrokerRuntime Runtime => _running.Runtime;

    /// <summary>Starts a broker and returns once it accepts connections.</summary>
    public static async Task<EmbeddedBroker> StartAsync(EmbeddedBrokerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedBrokerOptions();
        var ownsDataDirectory = options.DataDirectory is null;
        var dataDirectory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "broker-test-" + Guid.NewGuid().ToString("N"));
        var brokerOptions = BuildBrokerOptions(options, dataDirectory);
        var managementOptions = options.ManagementPort is not null || options.PrometheusPort is not null
            ? new ManagementOptions { Port = options.ManagementPort, PrometheusPort = options.PrometheusPort }
            : null;

        ILoggerFactory logs = options.LoggerFactory ?? NullLoggerFactory.Instance;
        if (options.LogOutput is { } write)
        {
            logs = new OutputLoggerFactory(write, options.LogOutputLevel, logs);
        }

        var errors = new ErrorRecorder(logs);
        RunningBroker running;
        try
        {
            running = await RunningBroker.StartAsync(brokerOptions, managementOptions, errors, cancellationToken);
        }
        catch
        {
            if (ownsDataDirectory)
            {
                TryDelete(dataDirectory);
            }

            throw;
        }

        return new EmbeddedBroker(options, brokerOptions, managementOptions, errors, running, ownsDataDirectory);
    }

    /// <summary>The URI of <paramref name="virtualHost"/> on this broker, with the default user's credentials.</summary>
    public Uri UriFor(string virtualHost) => new UriBuilder("amqp", "127.0.0.1", Port, virtualHost == "/" ? "/" : "/" + Uri.EscapeDataString(virtualHost))
    {
        UserName = Uri.EscapeDataString(Options.User),
        Password = Uri.EscapeDataString(Options.Password),
    }.Uri;

    /// <summary>Stops the broker: open connections are closed with 320 CONNECTION_FORCED.</summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (!_stopped)
            {
                _stopped = true;
                await _running.StopAsync();
            }
        }
        finally
        {
            _lifecycle.Release();
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
        await _running.DisposeAsync();
        _lifecycle.Dispose();
        if (_ownsDataDirectory)
        {
            TryDelete(DataDirectory);
        }
    }

    private static BrokerOptions BuildBrokerOptions(EmbeddedBrokerOptions options, string dataDirectory)
    {
        var engine = new EngineOptions
        {
            DefaultUser = options.User,
            DefaultPassword = options.Password,
            DefaultVirtualHost = options.VirtualHost,
            Compat = CompatibilityProfile.TryParse(options.Compat, out var compat)
                ? compat
                : throw new ArgumentException($"Compat: '{options.Compat}' is not 3.13 or 4", nameof(options)),
        };
        if (options.MaxMessageSize is { } maxMessageSize)
        {
            engine.MaxMessageSize = maxMessageSize;
        }

        return new BrokerOptions
        {
            DataDirectory = dataDirectory,
            DefinitionsFile = options.DefinitionsFile,
            Definitions = DefinitionsFromOptions(options),
            Engine = engine,
            Server = new ServerOptions
            {
                Port = options.Port,
                BindAddress = IPAddress.Loopback,
                Heartbeat = options.Heartbeat,
                ConsumerTimeout = options.ConsumerTimeout,
                FrameMax = options.FrameMax,
                ChannelMax = options.ChannelMax,
                ServerProduct = options.ServerProduct,
                ServerVersion = options.ServerVersion,
            },
        };
    }

    private static JsonObject? DefinitionsFromOptions(EmbeddedBrokerOptions options)
    {
        var given = (options.DefinitionsFile is null ? 0 : 1) + (options.DefinitionsJson is null ? 0 : 1) + (options.Definitions is null ? 0 : 1);
        if (given > 1)
        {
            throw new ArgumentException("set one of DefinitionsFile, DefinitionsJson and Definitions", nameof(options));
        }

        try
        {
            var node = options.DefinitionsJson is { } json
                ? JsonNode.Parse(json)
                : options.Definitions switch
                {
                    null => null,
                    JsonNode jsonNode => jsonNode.DeepClone(),
                    var other => JsonSerializer.SerializeToNode(other, other.GetType(), DefinitionsJsonOptions),
                };
            return node switch
            {
                null => null,
                JsonObject definitions => definitions,
                _ => throw new ArgumentException("definitions: a JSON object is expected (RabbitMQ's definitions format)", nameof(options)),
            };
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"definitions: {ex.Message}", nameof(options), ex);
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

    /// <summary>One run of the broker, from start to stop; a restart in place makes a new one over the same data directory.</summary>
    private sealed class RunningBroker(ServiceProvider services, IHostedService[] components) : IAsyncDisposable
    {
        private int _stopped;

        public BrokerRuntime Runtime { get; } = services.GetRequiredService<BrokerRuntime>();

        public ManagementServer? Management { get; } = services.GetService<ManagementServer>();

        public static async Task<RunningBroker> StartAsync(BrokerOptions brokerOptions, ManagementOptions? managementOptions, ILoggerFactory logs, CancellationToken cancellationToken)
        {
            var services = new ServiceCollection();
            services.AddSingleton(logs);
            var builder = services.AddBroker(brokerOptions);
            if (managementOptions is not null)
            {
                builder.AddManagement(managementOptions);
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
                throw;
            }

            return new RunningBroker(provider, components);
        }

        public async Task StopAsync()
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0)
            {
                return;
            }

            for (var i = components.Length - 1; i >= 0; i--)
            {
                await components[i].StopAsync(CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await services.DisposeAsync();
        }
    }
}
