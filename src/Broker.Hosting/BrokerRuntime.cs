using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.Messages;
using Broker.Engine.Stores;
using Broker.Server.Hosting;
using Broker.Storage;
using Broker.Storage.Definitions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Hosting;

/// <summary>
/// One running broker, composed in one place: storage opens the data directory and supplies the
/// stores, the engine is built over them, storage's recovery step rebuilds it (or the defaults are
/// created for a fresh directory), a definitions file is imported, and the AMQP server listens. As a
/// hosted service it starts with the host and stops with it: connections get 320, then storage writes
/// out and syncs what is pending.
/// </summary>
public sealed class BrokerRuntime : IHostedService, IAsyncDisposable
{
    private readonly BrokerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private IBrokerStorage? _storage;
    private BrokerEngine? _engine;
    private BrokerServer? _server;
    private int _stopped;

    public BrokerRuntime(BrokerOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Broker");
    }

    /// <summary>The engine, once <see cref="Open"/> (or start) ran.</summary>
    public BrokerEngine Engine => _engine ?? throw new InvalidOperationException("the broker is not open yet");

    /// <summary>What the broker was configured with.</summary>
    public BrokerOptions Options => _options;

    /// <summary>The data directory's storage, once open (definitions export and import).</summary>
    public DurableStorage Storage => _storage as DurableStorage ?? throw new InvalidOperationException("the broker is not open yet");

    /// <summary>The AMQP server, once open.</summary>
    public BrokerServer Server => _server ?? throw new InvalidOperationException("the broker is not open yet");

    /// <summary>
    /// Everything before listening: opens (and locks) the data directory, recovers or creates the
    /// engine's state and imports the definitions file. Start calls it; call it first to report a data
    /// directory in use or a bad definitions file before anything else starts. Throws
    /// <see cref="IOException"/>, <see cref="InvalidDataException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the broker cannot start.
    /// </summary>
    public void Open()
    {
        if (_engine is not null)
        {
            return;
        }

        // Read first: a bad file stops the start before the data directory is touched.
        var import = ReadStartupDefinitions();
        try
        {
            Directory.CreateDirectory(_options.DataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create the data directory {Path.GetFullPath(_options.DataDirectory)}: {ex.Message}", ex);
        }

        var pool = new MessagePool();
        var durable = DurableStorage.Open(_options.DataDirectory, pool, _loggerFactory, _options.ProductVersion);
        IBrokerStorage storage = durable;
        try
        {
            var engine = new BrokerEngine(_options.Engine, storage.Messages, pool);
            var recovered = storage.Recover(engine);
            engine.Definitions = storage.Definitions;
            if (!recovered && import is null)
            {
                // A fresh broker: the default user and vhost, as RabbitMQ creates them (not when a
                // definitions file says what there is).
                engine.CreateDefaults();
            }

            if (import is not null)
            {
                durable.Import(engine, DefinitionsSource, import);
            }

            // The disk alarm watches the data directory; the caller's options stay as they were.
            var serverOptions = _options.Server.Copy();
            serverOptions.DataDirectory ??= _options.DataDirectory;
            _server = new BrokerServer(engine, serverOptions, _loggerFactory);
            _storage = storage;
            _engine = engine;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Brings a running broker back to what a fresh data directory starts with: the defaults, or what
    /// the definitions file (or JSON) says. The caller has emptied it first (no vhost, no user).
    /// </summary>
    public void RecreateStartState()
    {
        var import = ReadStartupDefinitions();
        if (import is null)
        {
            Engine.CreateDefaults();
        }
        else
        {
            Storage.Import(Engine, DefinitionsSource, import);
        }
    }

    private string DefinitionsSource => _options.DefinitionsFile ?? "the definitions in the broker's options";

    private JsonObject? ReadStartupDefinitions() =>
        _options.DefinitionsFile is { } file ? DefinitionsImport.Read(file) : _options.Definitions?.DeepClone() as JsonObject;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Open();
        await Server.StartAsync(cancellationToken);
    }

    /// <summary>Closes every connection with 320 CONNECTION_FORCED, then writes out and syncs storage.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_server is not null)
        {
            if (_server.EndPoint is not null)
            {
                // Not after a start that failed before listening: there was nothing to stop.
                Log.Stopping(_logger, _server.ConnectionCount);
            }

            await _server.StopAsync(_options.StopTimeout);
        }

        if (_storage is null)
        {
            return;
        }

        _engine?.Stop();
        _storage.Dispose();
        Log.Stopped(_logger, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "broker stopping: closing {Connections} connections with 320 CONNECTION_FORCED, then syncing storage")]
    public static partial void Stopping(ILogger logger, int connections);

    // The allocation figures are for benchmarks: the publish/deliver/ack path should add nothing.
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "broker stopped in {ElapsedMs} ms: {AllocatedBytes} bytes allocated, {Gen0} gen0, {Gen1} gen1, {Gen2} gen2 collections")]
    public static partial void Stopped(ILogger logger, long elapsedMs, long allocatedBytes, int gen0, int gen1, int gen2);
}
