using System.Net;
using Broker.Engine;
using Broker.Protocol;
using Broker.Server.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Server.Hosting;

/// <summary>
/// One broker: the engine, the AMQP listener and its connections. Start it, read <see cref="Port"/>,
/// stop it. Holds no static state, so several can run in one process.
/// </summary>
public sealed class BrokerServer : IAsyncDisposable
{
    private readonly ServerContext _context;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ILogger _lifecycle;
    private readonly CancellationTokenSource _stopping = new();

    // Cancelled only when connections did not close in time: aborting them earlier would drop the
    // 320 CONNECTION_FORCED they are owed.
    private readonly CancellationTokenSource _abortConnections = new();
    private readonly List<Task> _connectionTasks = [];
    private readonly Lock _tasksLock = new();
    private IConnectionListener? _listener;
    private Task? _acceptLoop;
    private Timer? _timer;
    private ResourceMonitor? _monitor;

    public BrokerServer(BrokerEngine engine, ServerOptions options, ILoggerFactory? loggerFactory = null)
    {
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Broker.Server");
        _lifecycle = _loggerFactory.CreateLogger(LifecycleLog.Category);
        Engine = engine;
        Options = options;
        _context = new ServerContext(engine, options, _loggerFactory.CreateLogger("Broker.Connections"));
    }

    public BrokerEngine Engine { get; }

    public ServerOptions Options { get; }

    /// <summary>The port the listener is bound to (useful with port 0).</summary>
    public int Port { get; private set; }

    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>Connections that completed the handshake and are open.</summary>
    public int ConnectionCount
    {
        get
        {
            var open = 0;
            foreach (var connection in _context.Connections.Snapshot())
            {
                open += connection.IsOpen ? 1 : 0;
            }

            return open;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var transportOptions = new SocketTransportOptions
        {
            NoDelay = true,
            MaxReadBufferSize = Options.InputBufferBytes,

            // The output pipe's own threshold stays above ours so its flushes only wait when the
            // socket really stalls; ConnectionOutput decides when consumers are skipped.
            MaxWriteBufferSize = Options.OutputSaturationBytes * 2,
            UnsafePreferInlineScheduling = true,
        };
        var factory = new SocketTransportFactory(Microsoft.Extensions.Options.Options.Create(transportOptions), _loggerFactory);
        _monitor = new ResourceMonitor(Engine, Options, _logger);
        Engine.Alarms.Changed += OnAlarmChanged;
        Engine.UnexpectedError += OnUnexpectedError;
        var address = ListenAddress(Options.BindAddress);
        try
        {
            try
            {
                _listener = await factory.BindAsync(new IPEndPoint(address, Options.Port), cancellationToken);
            }
            catch (System.Net.Sockets.SocketException ex) when (address.Equals(IPAddress.IPv6Any)
                && ex.SocketErrorCode is System.Net.Sockets.SocketError.AddressFamilyNotSupported or System.Net.Sockets.SocketError.AddressNotAvailable)
            {
                // IPv6 switched off where the OS still claims it: listen on IPv4 alone, as without IPv6.
                address = IPAddress.Any;
                _listener = await factory.BindAsync(new IPEndPoint(address, Options.Port), cancellationToken);
            }
        }
        catch (AddressInUseException ex)
        {
            // Readable lines for the executable to print instead of Kestrel's exceptions.
            throw new IOException($"cannot listen for AMQP on {FormatAddress(address)}:{Options.Port}: {ex.Message} (is another broker or RabbitMQ running?)", ex);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new IOException($"cannot listen for AMQP on {FormatAddress(address)}:{Options.Port}: {ex.Message}", ex);
        }

        EndPoint = (IPEndPoint)_listener.EndPoint;
        Port = EndPoint.Port;
        _timer = new Timer(static state => ((BrokerServer)state!).OnTimer(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _acceptLoop = AcceptLoopAsync(_listener);
        LifecycleLog.Listening(_lifecycle, $"amqp://{FormatAddress(EndPoint.Address)}:{Port}");
    }

    /// <summary>
    /// Stops accepting, closes every connection with 320 CONNECTION_FORCED (as RabbitMQ does at
    /// shutdown) and waits for them to finish, at most <paramref name="timeout"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        Engine.Alarms.Changed -= OnAlarmChanged;
        if (_listener is not null)
        {
            await _listener.UnbindAsync();
        }

        foreach (var connection in _context.Connections.Snapshot())
        {
            // Open connections hear why (as from RabbitMQ at shutdown); half-open ones are dropped.
            connection.CloseFromBroker(ReplyCodes.ConnectionForced, "broker forced connection closure with reason 'shutdown'");
        }

        // Clients answer close-ok and hang up; the connection's close timeout covers those that do not.

        Task[] pending;
        lock (_tasksLock)
        {
            pending = [.. _connectionTasks];
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(timeout ?? TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            await _abortConnections.CancelAsync();
            foreach (var connection in _context.Connections.Snapshot())
            {
                connection.Abort();
            }

            // Aborted connections still give back what they hold (requeues, auto-delete queues) before
            // the caller closes the store under them: wait for that, briefly.
            try
            {
                await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
            }
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        Engine.UnexpectedError -= OnUnexpectedError;
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }

    /// <summary>
    /// Closes every connection with 320 CONNECTION_FORCED and <paramref name="reason"/>, keeps listening,
    /// and returns once they are gone (what they held given back): connections that did not finish
    /// within <paramref name="timeout"/> are dropped. For resetting a broker between tests.
    /// </summary>
    public async Task CloseAllConnectionsAsync(string reason, TimeSpan timeout)
    {
        foreach (var connection in _context.Connections.Snapshot())
        {
            connection.CloseFromBroker(ReplyCodes.ConnectionForced, reason);
        }

        Task[] pending;
        lock (_tasksLock)
        {
            pending = [.. _connectionTasks];
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            foreach (var connection in _context.Connections.Snapshot())
            {
                connection.Abort();
            }

            try
            {
                await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
        _abortConnections.Dispose();
    }

    private async Task AcceptLoopAsync(IConnectionListener listener)
    {
        while (true)
        {
            ConnectionContext? connection;
            try
            {
                connection = await listener.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (connection is null)
            {
                return;
            }

            var task = ServeAsync(connection);
            lock (_tasksLock)
            {
                _connectionTasks.Add(task);
            }

            _ = task.ContinueWith(
                static (finished, state) =>
                {
                    var server = (BrokerServer)state!;
                    lock (server._tasksLock)
                    {
                        server._connectionTasks.Remove(finished);
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(ConnectionContext context)
    {
        await Task.Yield();
        try
        {
            var connection = new AmqpConnection(_context, context.Transport, Describe(context.RemoteEndPoint) ?? "unknown", Describe(context.LocalEndPoint));
            _context.Connections.Add(connection);
            try
            {
                await connection.RunAsync(_abortConnections.Token);
            }
            finally
            {
                _context.Connections.Remove(connection);
            }
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(_logger, ex);
        }
        finally
        {
            await context.DisposeAsync();
        }
    }

    private void OnUnexpectedError(Exception exception, string context) => Log.BackgroundFailure(_logger, exception, context);

    private void OnAlarmChanged(bool active)
    {
        foreach (var connection in _context.Connections.Snapshot())
        {
            connection.OnAlarmChanged(active);
        }
    }

    private void OnTimer()
    {
        try
        {
            var now = _context.Clock.NowMs;
            _monitor?.Check(now);
            foreach (var connection in _context.Connections.Snapshot())
            {
                connection.OnTimer(now);
            }
        }
        catch (Exception ex)
        {
            Log.BackgroundFailure(_logger, ex, "the server timer");
        }
    }

    private static string FormatAddress(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    /// <summary>
    /// [::] is a dual-stack socket (Kestrel sets DualMode for it), so clients reach it over IPv6 and
    /// IPv4, as RabbitMQ's default listener; where the OS has no IPv6 it becomes 0.0.0.0.
    /// </summary>
    public static IPAddress ListenAddress(IPAddress configured) =>
        configured.Equals(IPAddress.IPv6Any) && !System.Net.Sockets.Socket.OSSupportsIPv6 ? IPAddress.Any : configured;

    /// <summary>"127.0.0.1:53422" for an IPv4 peer of the dual-stack socket, not "[::ffff:127.0.0.1]:53422", as RabbitMQ names it.</summary>
    private static string? Describe(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        null => null,
        _ => endPoint.ToString(),
    };
}

internal static partial class Log
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "connection failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "unexpected failure in {Context}; the broker carries on")]
    public static partial void BackgroundFailure(ILogger logger, Exception exception, string context);
}
