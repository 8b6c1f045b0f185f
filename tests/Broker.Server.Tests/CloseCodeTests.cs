using Broker.Engine.Security;
using Broker.Engine.Stores;

namespace Broker.Server.Tests;

/// <summary>
/// Every reply code the broker closes a channel or a connection with, each from the smallest
/// conversation that provokes it, with RabbitMQ's text and the failing method's ids.
/// </summary>
public sealed class CloseCodeTests : IAsyncLifetime
{
    private readonly ServerHarness _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Fact]
    public async Task Shutdown_is_320_for_every_open_connection()
    {
        var conversation = await _server.ConnectAsync();

        conversation.Connection.CloseFromBroker(320, "broker forced connection closure with reason 'shutdown'");

        Assert.Equal(new RawClose(320, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'", 0, 0), await conversation.ExpectConnectionCloseAsync());
        await conversation.ExpectEndAsync();
    }

    [Fact]
    public async Task A_reserved_queue_name_is_a_channel_403_and_the_connection_goes_on()
    {
        var client = await OpenAsync();

        await DeclareQueueAsync(client, "amq.mine");

        Assert.Equal(new RawClose(403, "ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'", 50, 10), await client.ExpectChannelCloseAsync(1));
        await client.OpenChannelAsync(2);
    }

    [Fact]
    public async Task Writing_without_permission_is_a_channel_403()
    {
        _server.Engine.Users.AddOrUpdate("reader", "pw", []);
        _server.Engine.Users.SetPermissions("reader", "/", new Permissions(".*", "^$", ".*"));
        var client = (await _server.ConnectAsync(uri: new Uri("amqp://reader:pw@in-memory/"))).Client;
        await client.OpenChannelAsync(1);

        await client.SendMethodAsync(1, 60, 40, w => w.Short(0).ShortString("amq.direct").ShortString("k").Bits(false, false));
        await client.SendContentAsync(1, [1]);

        Assert.Equal(new RawClose(403, "ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user 'reader'", 60, 40), await client.ExpectChannelCloseAsync(1));
    }

    [Fact]
    public async Task A_missing_queue_is_a_channel_404()
    {
        var client = await OpenAsync();

        await client.SendMethodAsync(1, 60, 70, w => w.Short(0).ShortString("missing").Bits(false));

        Assert.Equal(new RawClose(404, "NOT_FOUND - no queue 'missing' in vhost '/'", 60, 70), await client.ExpectChannelCloseAsync(1));
    }

    [Fact]
    public async Task Another_connections_exclusive_queue_is_a_channel_405()
    {
        var owner = await OpenAsync();
        await owner.DeclareQueueAsync(1, "owned", exclusive: true);
        var other = await OpenAsync();

        await other.SendMethodAsync(1, 60, 70, w => w.Short(0).ShortString("owned").Bits(false));

        var close = await other.ExpectChannelCloseAsync(1);
        Assert.Equal((405, (ushort)60, (ushort)70), (close.ReplyCode, close.ClassId, close.MethodId));
        Assert.StartsWith("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'owned' in vhost '/'", close.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_delivery_tag_is_a_channel_406()
    {
        var client = await OpenAsync();

        await client.SendMethodAsync(1, 60, 80, w => w.LongLong(7).Bits(false));

        Assert.Equal(new RawClose(406, "PRECONDITION_FAILED - unknown delivery tag 7", 60, 80), await client.ExpectChannelCloseAsync(1));
    }

    [Fact]
    public async Task A_frame_without_its_end_octet_is_501()
    {
        var client = await OpenAsync();

        await client.SendFrameAsync(RawFrame.MethodType, 1, new RawWriter().Short(20).Short(10).ShortString("").ToArray(), frameEnd: 0x00);

        var close = await client.ExpectConnectionCloseAsync();
        Assert.Equal(501, close.ReplyCode);
        Assert.StartsWith("FRAME_ERROR - ", close.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_method_that_cannot_be_decoded_is_501_with_the_method()
    {
        var client = await OpenAsync();

        // queue.declare cut off inside its queue name.
        await client.SendFrameAsync(RawFrame.MethodType, 1, new RawWriter().Short(50).Short(10).Short(0).Octet(20).ToArray());

        var close = await client.ExpectConnectionCloseAsync();
        Assert.Equal((501, (ushort)50, (ushort)10), (close.ReplyCode, close.ClassId, close.MethodId));
    }

    [Fact]
    public async Task An_unknown_method_is_540_and_an_unimplemented_one_503()
    {
        var unknown = await OpenAsync();
        await unknown.SendMethodAsync(1, 60, 99);
        Assert.Equal(new RawClose(540, "NOT_IMPLEMENTED - unknown method 60.99", 60, 99), await unknown.ExpectConnectionCloseAsync());

        // basic.deliver is a server method: a client sending it is a command RabbitMQ does not implement
        // (RabbitMQ says so once the content is in; we at once, ignoring the content that follows).
        var unimplemented = await OpenAsync();
        await unimplemented.SendMethodAsync(1, 60, 60, w => w.ShortString("tag").LongLong(1).Bits(false).ShortString("").ShortString(""));
        await unimplemented.SendContentAsync(1, [1]);
        Assert.Equal(new RawClose(503, "COMMAND_INVALID - unimplemented method", 60, 60), await unimplemented.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task Methods_on_a_channel_that_is_not_open_are_504()
    {
        var client = (await _server.ConnectAsync()).Client;

        await client.SendMethodAsync(5, 50, 10, w => w.Short(0).ShortString("q").Bits(false, false, false, false, false).Table(null));

        Assert.Equal(new RawClose(504, "CHANNEL_ERROR - expected 'channel.open'", 50, 10), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_second_channel_open_is_504()
    {
        var client = await OpenAsync();

        await client.SendMethodAsync(1, 20, 10, w => w.ShortString(""));

        Assert.Equal(new RawClose(504, "CHANNEL_ERROR - second 'channel.open' seen", 20, 10), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_close_ok_the_broker_did_not_ask_for_is_504()
    {
        var client = await OpenAsync();

        await client.SendMethodAsync(0, 10, 51);

        Assert.Equal(new RawClose(504, "CHANNEL_ERROR - unexpected method in connection state running", 10, 51), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task After_a_frame_error_the_rest_of_the_broken_input_is_ignored_until_the_close_timeout()
    {
        var conversation = await _server.ConnectAsync(new RawConnectOptions { FrameMax = 4096 });

        // A frame announcing more than frame_max, then part of its payload: the broker closes at once
        // and cannot know where the next frame starts.
        var oversized = new RawWriter().Octet(RawFrame.BodyType).Short(1).Long(10_000).Bytes(new byte[3000]).ToArray();
        await conversation.Client.SendBytesAsync(oversized);
        var close = RawClose.Read(await conversation.Client.ExpectMethodAsync(0, 10, 50));
        Assert.Equal(501, close.ReplyCode);
        var rest = new byte[3000];
        var closeOk = new RawWriter().BeginMethod(0, 10, 51).EndFrame().ToArray();
        await conversation.Client.SendBytesAsync([.. rest, .. closeOk]);

        // The close-ok is lost in the broken stream: no second close, no error; the timeout ends it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => conversation.Client.ReadFrameAsync(TimeSpan.FromMilliseconds(200)));
        _server.Tick(_server.Options.CloseTimeout + TimeSpan.FromSeconds(1));
        await conversation.ExpectEndAsync();
    }

    [Fact]
    public async Task A_heartbeat_on_a_channel_other_than_zero_is_505()
    {
        var client = await OpenAsync();

        await client.SendFrameAsync(RawFrame.HeartbeatType, 1, []);

        Assert.Equal(new RawClose(505, "UNEXPECTED_FRAME - type 8, all octets = <<>>", 0, 0), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task Publishing_with_immediate_is_540()
    {
        var client = await OpenAsync();

        await client.SendMethodAsync(1, 60, 40, w => w.Short(0).ShortString("").ShortString("q").Bits(false, true));

        Assert.Equal(new RawClose(540, "NOT_IMPLEMENTED - immediate=true", 60, 40), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_durable_change_that_cannot_be_stored_is_541()
    {
        _server.Engine.Definitions = new FailingDefinitionStore();
        var client = await OpenAsync();

        await client.SendMethodAsync(1, 40, 10, w => w.Short(0).ShortString("kept").ShortString("direct").Bits(false, true, false, false, false).Table(null));

        var close = await client.ExpectConnectionCloseAsync();
        Assert.Equal(541, close.ReplyCode);
        Assert.Equal("INTERNAL_ERROR - could not store the change: disk gone", close.ReplyText);
    }

    private async Task<RawAmqpConnection> OpenAsync()
    {
        var client = (await _server.ConnectAsync()).Client;
        await client.OpenChannelAsync(1);
        return client;
    }

    private static Task DeclareQueueAsync(RawAmqpConnection client, string name) =>
        client.SendMethodAsync(1, 50, 10, w => w.Short(0).ShortString(name).Bits(false, false, false, false, false).Table(null));

    /// <summary>A store whose disk is gone: every change fails to persist.</summary>
    private sealed class FailingDefinitionStore : IDefinitionStore
    {
        public Task Persist(DefinitionChange change) => Task.FromException(new IOException("disk gone"));

        public Task WhenPersisted() => Task.FromException(new IOException("disk gone"));
    }
}
