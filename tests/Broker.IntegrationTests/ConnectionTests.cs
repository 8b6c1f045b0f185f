using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests;

public sealed class ConnectionTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Connection_opens_and_closes_cleanly()
    {
        var connection = await ConnectAsync();
        Assert.True(connection.IsOpen);

        await connection.CloseAsync();

        Assert.False(connection.IsOpen);
        var reason = connection.CloseReason!;
        Assert.Equal(ShutdownInitiator.Application, reason.Initiator);
        Assert.Equal(200, reason.ReplyCode);
    }

    [Theory]
    [InlineData("publisher_confirms")]
    [InlineData("exchange_exchange_bindings")]
    [InlineData("basic.nack")]
    [InlineData("consumer_cancel_notify")]
    [InlineData("connection.blocked")]
    [InlineData("authentication_failure_close")]
    [InlineData("per_consumer_qos")]
    public void Server_capabilities_advertise(string capability)
    {
        var capabilities = Assert.IsAssignableFrom<IDictionary<string, object?>>(Connection.ServerProperties!["capabilities"]);
        Assert.True(capabilities.ContainsKey(capability), $"capability {capability} missing");
        Assert.Equal(true, capabilities[capability]);
    }

    [Theory]
    [InlineData("product")]
    [InlineData("version")]
    [InlineData("platform")]
    public void Server_properties_include_non_empty_string(string key)
    {
        Assert.True(Connection.ServerProperties!.ContainsKey(key), $"server property {key} missing");
        Assert.NotEmpty(Amqp.HeaderString(Connection.ServerProperties[key]));
    }

    [Fact]
    public async Task Wrong_password_is_refused_with_access_refused()
    {
        var factory = Fixture.CreateFactory();
        factory.Password = "definitely-wrong";

        var ex = await Assert.ThrowsAsync<BrokerUnreachableException>(() => factory.CreateConnectionAsync());

        // The client advertises authentication_failure_close, so RabbitMQ sends connection.close 403 first.
        var auth = Assert.IsType<AuthenticationFailureException>(ex.InnerException);
        Assert.Equal("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.", auth.Message);
    }

    [Fact]
    public async Task Unknown_user_is_refused_with_access_refused()
    {
        var factory = Fixture.CreateFactory();
        factory.UserName = $"nobody-{Guid.NewGuid():N}";
        factory.Password = "x";

        var ex = await Assert.ThrowsAsync<BrokerUnreachableException>(() => factory.CreateConnectionAsync());

        var auth = Assert.IsType<AuthenticationFailureException>(ex.InnerException);
        Assert.Equal("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.", auth.Message);
    }

    [Fact]
    public async Task Unknown_vhost_is_refused_with_not_allowed()
    {
        var factory = Fixture.CreateFactory();
        factory.VirtualHost = "nope";

        ShutdownEventArgs reason;
        try
        {
            // RabbitMQ.Client 7 may return before the broker answers connection.open; the close follows.
            var connection = await factory.CreateConnectionAsync();
            reason = await connection.WaitForCloseAsync();
        }
        catch (BrokerUnreachableException e) when (e.InnerException is OperationInterruptedException inner)
        {
            reason = inner.ShutdownReason!;
        }

        Amqp.AssertReply(530, "NOT_ALLOWED - vhost nope not found", reason.ReplyCode, reason.ReplyText);
        Assert.Equal((10, 40), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public void Default_factory_negotiates_the_server_frame_max_and_channel_max()
    {
        // The fixture asks for heartbeat 30 s and leaves frame_max 0 (no limit) and channel_max 2047.
        Assert.Equal(131072u, Connection.FrameMax);
        Assert.Equal(2047, Connection.ChannelMax);
        Assert.Equal(TimeSpan.FromSeconds(30), Connection.Heartbeat);
    }

    [Fact]
    public async Task Client_asking_for_smaller_limits_gets_them()
    {
        var connection = await ConnectAsync(f =>
        {
            f.RequestedFrameMax = 16384;
            f.RequestedChannelMax = 16;
            f.RequestedHeartbeat = TimeSpan.FromSeconds(7);
        });

        Assert.Equal(16384u, connection.FrameMax);
        Assert.Equal(16, connection.ChannelMax);
        Assert.Equal(TimeSpan.FromSeconds(7), connection.Heartbeat);
    }

    [Fact]
    public async Task Client_asking_for_no_heartbeat_gets_the_server_value()
    {
        // Client rule: when one side says 0 the other value wins, so RabbitMQ's 60 s is used.
        var connection = await ConnectAsync(f => f.RequestedHeartbeat = TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(60), connection.Heartbeat);
    }

    [Fact]
    public async Task Client_asking_for_larger_frame_max_gets_the_server_maximum()
    {
        var connection = await ConnectAsync(f => f.RequestedFrameMax = 1024 * 1024);

        Assert.Equal(131072u, connection.FrameMax);
    }

    [Fact]
    public async Task Connection_works_with_a_small_frame_max()
    {
        var connection = await ConnectAsync(f => f.RequestedFrameMax = 4096);
        var channel = await connection.CreateChannelAsync();
        var queue = await DeclareQueueAsync(channel);
        var body = new byte[100_000];
        Random.Shared.NextBytes(body);

        await channel.BasicPublishAsync("", queue, body);
        var consumer = await channel.ConsumeAsync(queue, autoAck: true);

        Assert.Equal(body, (await consumer.NextAsync()).Body);
    }

    [Fact]
    public async Task Client_close_with_custom_reason_is_reflected_locally_and_closes_channels()
    {
        var connection = await ConnectAsync();
        var channel = await connection.CreateChannelAsync();

        await connection.CloseAsync(200, "test finished");

        Assert.False(connection.IsOpen);
        Assert.Equal((200, "test finished"), (connection.CloseReason!.ReplyCode, connection.CloseReason.ReplyText));
        Assert.False(channel.IsOpen);
    }

    [Fact]
    public async Task Many_channels_on_one_connection_work_independently()
    {
        const int count = 100;
        var channels = new List<IChannel>();
        for (var i = 0; i < count; i++)
        {
            channels.Add(await Connection.CreateChannelAsync());
        }

        Assert.Equal(count, channels.Select(c => c.ChannelNumber).Distinct().Count());
        var queue = await DeclareQueueAsync();
        for (var i = 0; i < count; i++)
        {
            await channels[i].PublishAsync("", queue, $"m{i}");
        }

        // Each channel publishes one message; all arrive (order across channels is not defined).
        await Amqp.EventuallyAsync(async () => await Channel.ReadyCountAsync(queue) == count, "all channels' messages enqueued");
        var bodies = new HashSet<string>();
        for (var i = 0; i < count; i++)
        {
            bodies.Add(Amqp.Text((await Channel.GetRequiredAsync(queue, autoAck: true)).Body));
        }

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}").ToHashSet(), bodies);
    }

    [Fact]
    public async Task Channels_can_be_opened_and_closed_repeatedly()
    {
        for (var i = 0; i < 50; i++)
        {
            var channel = await Connection.CreateChannelAsync();
            await channel.CloseAsync();
            Assert.True(channel.IsClosed);
        }

        Assert.True(Connection.IsOpen);
        var last = await Connection.CreateChannelAsync();
        var ok = await last.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        Assert.StartsWith("amq.gen-", ok.QueueName);
    }

    [Fact]
    public async Task Raw_connection_start_advertises_0_9_1_with_plain_and_amqplain()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { Open = false });

        Assert.Equal((0, 9), (raw.VersionMajor, raw.VersionMinor));
        var mechanisms = raw.Mechanisms.Split(' ');
        Assert.Contains("PLAIN", mechanisms);
        Assert.Contains("AMQPLAIN", mechanisms);
        Assert.Equal("en_US", raw.Locales);
        Assert.IsType<Dictionary<string, object?>>(raw.ServerProperties["capabilities"]);
    }

    [Fact]
    public async Task Raw_connection_tune_proposes_rabbitmq_defaults()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { Open = false });

        Assert.Equal(((ushort)2047, 131072u, (ushort)60), raw.Tune);
    }

    [Fact]
    public async Task Raw_opening_more_channels_than_channel_max_is_a_connection_error()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { ChannelMax = 3 });

        // RabbitMQ limits how many channels are open, not the channel number: 100 is fine as one of three.
        await raw.OpenChannelAsync(100);
        await raw.OpenChannelAsync(2);
        await raw.OpenChannelAsync(3);
        await raw.SendMethodAsync(4, 20, 10, w => w.ShortString(""));
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(530, "NOT_ALLOWED - number of channels opened (3) has reached the negotiated channel_max (3)", close.ReplyCode, close.ReplyText);
    }

    [Fact]
    public async Task Raw_client_close_gets_close_ok()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        // CloseAsync fails unless connection.close-ok comes back
        await raw.CloseAsync();
    }

    [Fact]
    public async Task A_close_ok_nobody_asked_for_is_a_504_connection_error()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);

        await raw.SendMethodAsync(0, 10, 51);
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(504, "CHANNEL_ERROR - unexpected method in connection state running", close.ReplyCode, close.ReplyText);
        Assert.Equal((10, 51), (close.ClassId, close.MethodId));
    }
}
