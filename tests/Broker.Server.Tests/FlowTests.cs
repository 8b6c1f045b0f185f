namespace Broker.Server.Tests;

/// <summary>channel.flow and connection.blocked: RabbitMQ throttles publishers with blocked, never with a client's flow.</summary>
public sealed class FlowTests : IAsyncLifetime
{
    private readonly ServerHarness _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Fact]
    public async Task Flow_active_is_confirmed_and_flow_inactive_is_540()
    {
        var client = (await _server.ConnectAsync()).Client;
        await client.OpenChannelAsync(1);

        await client.SendMethodAsync(1, 20, 20, w => w.Bits(true));
        var ok = await client.ExpectMethodAsync(1, 20, 21);
        Assert.Equal(1, ok.Arguments().ReadOctet());

        await client.SendMethodAsync(1, 20, 20, w => w.Bits(false));
        Assert.Equal(new RawClose(540, "NOT_IMPLEMENTED - active=false", 20, 20), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task An_alarm_blocks_publishers_that_asked_to_be_told_and_unblocks_them_after()
    {
        var told = await PublisherAsync(new Dictionary<string, object?> { ["connection.blocked"] = true });
        var untold = await PublisherAsync(new Dictionary<string, object?>());
        var consumerOnly = (await _server.ConnectAsync(new RawConnectOptions { Capabilities = new Dictionary<string, object?> { ["connection.blocked"] = true } })).Client;

        _server.Engine.Alarms.SetMemory(true);
        var blocked = await told.ExpectMethodAsync(0, 10, 60);
        Assert.Equal("low on memory", blocked.Arguments().ReadShortString());
        _server.Engine.Alarms.SetMemory(false);
        await told.ExpectMethodAsync(0, 10, 61);

        // The others hear nothing: one never asked, one never published.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => untold.ReadFrameAsync(TimeSpan.FromMilliseconds(100)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumerOnly.ReadFrameAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task A_blocked_publisher_is_not_read_until_the_alarm_clears()
    {
        var publisher = await PublisherAsync(new Dictionary<string, object?> { ["connection.blocked"] = true });
        _server.Engine.Alarms.SetDisk(true);
        await publisher.ExpectMethodAsync(0, 10, 60);

        // The read already waiting takes one more batch (RabbitMQ, too, blocks on the next publish
        // rather than at once); the loop then holds back before reading again.
        await publisher.OpenChannelAsync(3);
        await publisher.SendMethodAsync(1, 50, 10, w => w.Short(0).ShortString("later").Bits(false, false, false, false, false).Table(null));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher.ReadFrameAsync(TimeSpan.FromMilliseconds(200)));
        Assert.False(_server.Engine.TryGetVirtualHost("/", out var vhost) && vhost.TryGetQueue("later", out _));

        _server.Engine.Alarms.SetDisk(false);
        await publisher.ExpectMethodAsync(0, 10, 61);
        await publisher.ExpectMethodAsync(1, 50, 11);
    }

    private async Task<RawAmqpConnection> PublisherAsync(Dictionary<string, object?> capabilities)
    {
        var client = (await _server.ConnectAsync(new RawConnectOptions { Capabilities = capabilities })).Client;
        await client.OpenChannelAsync(1);
        await client.PublishAsync(1, "", "nowhere", [1]);

        // A round trip, so the publish was read before the alarm goes off.
        await client.OpenChannelAsync(2);
        return client;
    }
}
