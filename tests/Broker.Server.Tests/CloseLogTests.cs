using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests;

/// <summary>
/// The one line logged when an open connection ends: its name, how long it lived, and why, with a
/// cause token for log queries (RabbitMQ spreads the same facts over several lines).
/// </summary>
public sealed class CloseLogTests : IAsyncLifetime
{
    private readonly ServerHarness _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Fact]
    public async Task A_client_close_is_logged_with_its_reply_code_and_the_connection_name()
    {
        var conversation = await _server.ConnectAsync(new RawConnectOptions { ConnectionName = "orders-api" });
        _server.Time.Advance(TimeSpan.FromSeconds(12.3));

        await conversation.Client.CloseAsync();
        await conversation.ExpectEndAsync();

        Assert.Equal((LogLevel.Information, "closed AMQP connection peer-1 - orders-api user 'guest' vhost '/' after 12.3 s (client_close): client closed it: 200 bye"), CloseLine());
    }

    [Fact]
    public async Task A_forced_close_is_logged_as_forced_even_when_the_client_then_hangs_up()
    {
        var conversation = await _server.ConnectAsync();

        conversation.Connection.CloseFromBroker(320, "broker forced connection closure with reason 'shutdown'");
        await conversation.Client.ExpectConnectionCloseAsync();
        await conversation.Client.DisposeAsync();
        await conversation.Run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal((LogLevel.Information, "closed AMQP connection peer-1 user 'guest' vhost '/' after 0 s (forced): 320 CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"), CloseLine());
    }

    [Fact]
    public async Task A_connection_error_is_one_close_line_with_its_code()
    {
        var conversation = await _server.ConnectAsync();

        // A content header on channel 0 is a connection error, whatever its code.
        await conversation.Client.SendFrameAsync(2, 0, new byte[14]);
        var close = await conversation.ExpectConnectionCloseAsync();
        await conversation.ExpectEndAsync();

        var (level, line) = CloseLine();
        Assert.Equal(LogLevel.Warning, level);
        Assert.Equal($"closed AMQP connection peer-1 user 'guest' vhost '/' after 0 s (connection_error): {close.ReplyCode} {close.ReplyText}", line);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Message.StartsWith("closing AMQP connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missed_heartbeats_and_a_hang_up_without_close_are_warnings()
    {
        var silent = await _server.ConnectAsync(new RawConnectOptions { Heartbeat = 10 });
        _server.Tick(TimeSpan.FromSeconds(21));
        await silent.ExpectEndAsync();
        Assert.Equal((LogLevel.Warning, "closed AMQP connection peer-1 user 'guest' vhost '/' after 21 s (missed_heartbeats): missed heartbeats from client, timeout: 10s"), CloseLine());

        var gone = await _server.ConnectAsync();
        await gone.Client.DisposeAsync();
        await gone.Run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains(_server.Logs.Entries, e => e is { Level: LogLevel.Warning, Message: "closed AMQP connection peer-2 user 'guest' vhost '/' after 0 s (socket_closed): client unexpectedly closed TCP connection" });
    }

    private (LogLevel Level, string Message) CloseLine()
    {
        var lines = _server.Logs.Entries.Where(e => e.Message.StartsWith("closed AMQP connection", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        return (lines[0].Level, lines[0].Message);
    }
}
