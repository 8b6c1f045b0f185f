using System.IO.Pipelines;
using Broker.Engine;
using Broker.Server.Connections;
using Broker.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests.Support;

/// <summary>
/// AMQP connections of a real engine and connection code, served over in-memory pipes: no socket,
/// no listener, a clock the test moves. Disposing ends every conversation and fails the test when the
/// server logged an error or a connection's read loop ended with an exception.
/// </summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly ServerContext _context;
    private readonly List<Conversation> _conversations = [];
    private int _peers;

    public ServerHarness(ServerOptions? options = null, BrokerEngine? engine = null)
    {
        Engine = engine ?? BrokerEngine.InMemory();
        Options = options ?? new ServerOptions();
        _context = new ServerContext(Engine, Options, Logs.CreateLogger("Broker.Connections"), new ServerClock(Time));
        Engine.UnexpectedError += (exception, context) => Logs.CreateLogger("Broker.Engine").LogError(exception, "background failure in {Context}", context);
        Engine.Alarms.Changed += active =>
        {
            foreach (var connection in _context.Connections.Snapshot())
            {
                connection.OnAlarmChanged(active);
            }
        };
    }

    public BrokerEngine Engine { get; }

    public ServerOptions Options { get; }

    public ManualTime Time { get; } = new();

    public RecordingLoggerFactory Logs { get; } = new();

    public static Uri GuestUri { get; } = new("amqp://guest:guest@in-memory/");

    /// <summary>A connection that has completed the handshake (unless <paramref name="handshake"/> is false).</summary>
    public async Task<Conversation> ConnectAsync(RawConnectOptions? options = null, bool handshake = true, Uri? uri = null, string? remoteEndPoint = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var connection = new AmqpConnection(_context, new Transport(toServer.Reader, toClient.Writer), remoteEndPoint ?? $"peer-{Interlocked.Increment(ref _peers)}");
        _context.Connections.Add(connection);
        var run = Task.Run(() => connection.RunAsync(CancellationToken.None));
        var stream = new DuplexStream(toClient.Reader, toServer.Writer);
        var client = handshake
            ? await RawAmqpConnection.ConnectAsync(stream, uri ?? GuestUri, options)
            : RawAmqpConnection.Attach(stream, options);
        var conversation = new Conversation(connection, run, client);
        _conversations.Add(conversation);
        return conversation;
    }

    /// <summary>Moves the clock and runs the server's once-a-second timer, as the listener would.</summary>
    public void Tick(TimeSpan by)
    {
        Time.Advance(by);
        foreach (var connection in _context.Connections.Snapshot())
        {
            connection.OnTimer(Time.NowMs);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var conversation in _conversations)
        {
            conversation.Connection.Abort();
        }

        foreach (var conversation in _conversations)
        {
            await conversation.Run.WaitAsync(TimeSpan.FromSeconds(10));
            await conversation.Client.DisposeAsync();
        }

        Assert.True(Logs.Errors.Count == 0, "the server logged errors:\n" + string.Join("\n", Logs.Errors));
    }

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>One connection: the server's side, its read loop, and the hand-written client.</summary>
internal sealed record Conversation(AmqpConnection Connection, Task Run, RawAmqpConnection Client)
{
    /// <summary>Reads until the server sends connection.close; answers close-ok; returns the close.</summary>
    public Task<RawClose> ExpectConnectionCloseAsync() => Client.ExpectConnectionCloseAsync();

    /// <summary>The server ended the connection: its read loop finished and the client sees the end of the stream.</summary>
    public async Task ExpectEndAsync()
    {
        Assert.True(await Client.TransportClosedAsync(TimeSpan.FromSeconds(5)), "the server did not close the transport");
        await Run.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
