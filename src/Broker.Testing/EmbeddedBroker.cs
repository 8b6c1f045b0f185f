using System.Net;
using Broker.Engine;
using Broker.Server.Hosting;
using Broker.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Testing;

/// <summary>
/// A broker started inside the current process, for tests: it listens on 127.0.0.1 on a free port
/// and keeps its data in its own temporary directory. Several can run in one process.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await EmbeddedBroker.StartAsync();
/// var factory = new ConnectionFactory { Uri = broker.AmqpUri };
/// await using var connection = await factory.CreateConnectionAsync();
/// </code>
/// </example>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    private readonly BrokerServer _server;
    private readonly DurableStorage _storage;
    private readonly bool _ownsDataDirectory;
    private int _disposed;

    private EmbeddedBroker(BrokerServer server, DurableStorage storage, Uri amqpUri, string dataDirectory, bool ownsDataDirectory)
    {
        _server = server;
        _storage = storage;
        AmqpUri = amqpUri;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    /// <summary>amqp://USER:PASSWORD@127.0.0.1:PORT/ for the default user and virtual host.</summary>
    public Uri AmqpUri { get; }

    /// <summary>The TCP port the broker listens on.</summary>
    public int Port => _server.Port;

    /// <summary>The broker's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Connections currently open (handshake completed).</summary>
    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>Starts a broker and returns once it accepts connections.</summary>
    public static async Task<EmbeddedBroker> StartAsync(EmbeddedBrokerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedBrokerOptions();
        var ownsDataDirectory = options.DataDirectory is null;
        var dataDirectory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "broker-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var storage = DurableStorage.Open(
            dataDirectory,
            new EngineOptions { DefaultUser = options.User, DefaultPassword = options.Password },
            loggerFactory,
            typeof(EmbeddedBroker).Assembly.GetName().Version?.ToString() ?? "0",
            options.DefinitionsFile);
        var server = new BrokerServer(
            storage.Engine,
            new ServerOptions
            {
                Port = options.Port,
                BindAddress = IPAddress.Loopback,
                Heartbeat = options.Heartbeat,
                ConsumerTimeout = options.ConsumerTimeout,
                DataDirectory = dataDirectory,
            },
            loggerFactory);
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch
        {
            storage.Dispose();
            throw;
        }

        var uri = new UriBuilder("amqp", "127.0.0.1", server.Port, "/")
        {
            UserName = Uri.EscapeDataString(options.User),
            Password = Uri.EscapeDataString(options.Password),
        }.Uri;
        return new EmbeddedBroker(server, storage, uri, dataDirectory, ownsDataDirectory);
    }

    /// <summary>Stops the broker: open connections are closed with 320 CONNECTION_FORCED.</summary>
    public async Task StopAsync()
    {
        await _server.StopAsync();
        _storage.Dispose();
    }

    /// <summary>Stops the broker and deletes its data directory if it created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _server.DisposeAsync();
        _storage.Dispose();
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        }
    }
}
