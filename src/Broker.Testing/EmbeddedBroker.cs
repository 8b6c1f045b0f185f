using System.Net;
using Broker.Engine;
using Broker.Server.Hosting;

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
    private readonly bool _ownsDataDirectory;
    private int _disposed;

    private EmbeddedBroker(BrokerServer server, Uri amqpUri, string dataDirectory, bool ownsDataDirectory)
    {
        _server = server;
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

        var engine = new BrokerEngine(new EngineOptions
        {
            DefaultUser = options.User,
            DefaultPassword = options.Password,
        });
        var server = new BrokerServer(
            engine,
            new ServerOptions { Port = options.Port, BindAddress = IPAddress.Loopback, Heartbeat = options.Heartbeat },
            options.LoggerFactory);
        await server.StartAsync(cancellationToken);

        var uri = new UriBuilder("amqp", "127.0.0.1", server.Port, "/")
        {
            UserName = Uri.EscapeDataString(options.User),
            Password = Uri.EscapeDataString(options.Password),
        }.Uri;
        return new EmbeddedBroker(server, uri, dataDirectory, ownsDataDirectory);
    }

    /// <summary>Stops the broker: open connections are closed with 320 CONNECTION_FORCED.</summary>
    public Task StopAsync() => _server.StopAsync();

    /// <summary>Stops the broker and deletes its data directory if it created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _server.DisposeAsync();
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
