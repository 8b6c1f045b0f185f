namespace Broker.Server.Tests;

/// <summary>Everything the server's one-second timer decides, with a clock the test moves: heartbeats and timeouts.</summary>
public sealed class TimerTests : IAsyncLifetime
{
    private readonly ServerHarness _server = new(new Hosting.ServerOptions { ConsumerTimeout = TimeSpan.FromSeconds(30) });

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Fact]
    public async Task A_quiet_connection_gets_a_heartbeat_after_half_the_interval()
    {
        var conversation = await _server.ConnectAsync(new RawConnectOptions { Heartbeat = 10 });

        _server.Tick(TimeSpan.FromSeconds(6));

        var frame = await conversation.Client.ReadFrameAsync(includeHeartbeats: true);
        Assert.Equal((RawFrame.HeartbeatType, (ushort)0), (frame!.Type, frame.Channel));
    }

    [Fact]
    public async Task A_peer_silent_for_two_intervals_is_dropped_and_one_that_talks_is_not()
    {
        var silent = await _server.ConnectAsync(new RawConnectOptions { Heartbeat = 10 });
        var talking = await _server.ConnectAsync(new RawConnectOptions { Heartbeat = 10 });

        _server.Tick(TimeSpan.FromSeconds(15));
        await talking.Client.SendFrameAsync(RawFrame.HeartbeatType, 0, []);
        await WaitUntilReceivedAsync(talking);
        _server.Tick(TimeSpan.FromSeconds(6));

        await silent.ExpectEndAsync();
        Assert.False(talking.Run.IsCompleted);
        Assert.True(talking.Connection.IsOpen);
    }

    [Fact]
    public async Task Without_heartbeats_a_silent_peer_stays()
    {
        var conversation = await _server.ConnectAsync(new RawConnectOptions { Heartbeat = 0 });

        _server.Tick(TimeSpan.FromHours(1));

        Assert.True(conversation.Connection.IsOpen);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => conversation.Client.ReadFrameAsync(TimeSpan.FromMilliseconds(100), includeHeartbeats: true));
    }

    [Fact]
    public async Task A_peer_that_never_answers_connection_close_is_dropped_after_the_close_timeout()
    {
        var conversation = await _server.ConnectAsync();
        conversation.Connection.CloseFromBroker(320, "going");
        await conversation.Client.ExpectMethodAsync(0, 10, 50);

        _server.Tick(TimeSpan.FromSeconds(2));
        Assert.False(conversation.Run.IsCompleted);
        _server.Tick(TimeSpan.FromSeconds(2));

        await conversation.ExpectEndAsync();
    }

    [Fact]
    public async Task A_delivery_unacknowledged_past_the_consumer_timeout_closes_its_channel_with_406()
    {
        var client = (await _server.ConnectAsync()).Client;
        await client.OpenChannelAsync(1);
        await client.DeclareQueueAsync(1, "q");
        await client.PublishAsync(1, "", "q", [1]);
        await client.SendMethodAsync(1, 60, 70, w => w.Short(0).ShortString("q").Bits(false));
        await client.ExpectMethodAsync(1, 60, 71);
        await client.ReadContentAsync(1);

        // The first tick that sees the delivery starts its clock.
        _server.Tick(TimeSpan.FromSeconds(1));
        _server.Tick(TimeSpan.FromSeconds(29));
        _server.Tick(TimeSpan.FromSeconds(2));

        Assert.Equal(
            new RawClose(406, "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 30000 ms. This timeout value can be configured, see consumers doc guide to learn more", 0, 0),
            await client.ExpectChannelCloseAsync(1));

        // Requeued, redelivered.
        await client.OpenChannelAsync(2);
        await client.SendMethodAsync(2, 60, 70, w => w.Short(0).ShortString("q").Bits(true));
        var getOk = (await client.ExpectMethodAsync(2, 60, 71)).Arguments();
        getOk.ReadLongLong();
        Assert.Equal(1, getOk.ReadOctet());
    }

    /// <summary>The read loop took the frame in: a heartbeat has no reply, so ask for one that has.</summary>
    private static async Task WaitUntilReceivedAsync(Conversation conversation)
    {
        await conversation.Client.OpenChannelAsync(9);
    }
}
